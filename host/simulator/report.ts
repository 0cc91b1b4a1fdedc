// The simulator's HTML report: one self-contained offline page (chart.js inlined from
// node_modules, no network) with a map of nodes and secure links as SVG, share probability
// against ring size and compromised fraction against captured nodes, simulated points on the
// analytic curves, and a table of every run. Output is a pure function of the runs: no dates.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { SchemeParams } from "../authority/index.js";
import { compromisedFraction, linkProbability } from "../analytics/index.js";
import type { SimulationDetail, SimulationResult } from "./simulate.js";

/** The map draws at most this many links, so a huge network still gives a page a browser opens. */
const MAP_LINKS_MAX = 40_000;
const MAP_SIZE = 640;
const CURVE_POINTS = 60;

function chartJsSource(): string {
  const main = createRequire(import.meta.url).resolve("chart.js");
  return readFileSync(join(dirname(main), "chart.umd.js"), "utf8");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

function schemeLabel(s: SchemeParams): string {
  switch (s.scheme) {
    case "eg":
      return `eg P=${s.pool} k=${s.ring}`;
    case "qcomposite":
      return `qcomposite P=${s.pool} k=${s.ring} q=${s.q}`;
    case "polypool":
      return `polypool s=${s.polynomials} s'=${s.perNode} t=${s.degree}`;
    case "pairwise":
      return `pairwise n=${s.nodes} m=${s.partners}`;
    case "full":
      return `full n=${s.nodes}`;
    case "leap":
      return "leap";
  }
}

function mapSvg(detail: SimulationDetail): string {
  const { positions, links, result } = detail;
  const scale = MAP_SIZE / Math.max(result.side, 1);
  const xy = (i: number) => {
    const p = positions[i]!;
    return `${(p.x * scale).toFixed(1)},${(MAP_SIZE - p.y * scale).toFixed(1)}`;
  };
  const parts: string[] = [];
  parts.push(
    `<svg id="map" xmlns="http://www.w3.org/2000/svg" width="${MAP_SIZE}" ` +
      `height="${MAP_SIZE}" viewBox="0 0 ${MAP_SIZE} ${MAP_SIZE}" role="img" ` +
      `aria-label="nodes and secure links">`,
  );
  parts.push(`<rect width="${MAP_SIZE}" height="${MAP_SIZE}" fill="#fafafa" stroke="#ccc"/>`);
  const drawn = links.slice(0, MAP_LINKS_MAX);
  const path = drawn.map(([i, j]) => `M${xy(i)}L${xy(j)}`).join("");
  parts.push(`<path d="${path}" stroke="#3b7dd8" stroke-opacity="0.35" stroke-width="0.6"/>`);
  const dots = positions.map((_, i) => `M${xy(i)}h0`).join("");
  parts.push(`<path d="${dots}" stroke="#c0392b" stroke-width="3" stroke-linecap="round"/>`);
  parts.push("</svg>");
  if (links.length > drawn.length) {
    parts.push(`<p>Map shows ${drawn.length} of ${links.length} links.</p>`);
  }
  return parts.join("");
}

function shareCurve(s: SchemeParams, maxRing: number): { x: number; y: number }[] | undefined {
  if (s.scheme !== "eg" && s.scheme !== "qcomposite") return undefined;
  const out: { x: number; y: number }[] = [];
  const step = Math.max(1, Math.ceil(maxRing / CURVE_POINTS));
  for (let k = 1; k <= Math.min(maxRing, s.pool); k += step) {
    // A ring smaller than q never links.
    const y = s.scheme === "qcomposite" && k < s.q ? 0 : linkProbability({ ...s, ring: k });
    out.push({ x: k, y });
  }
  return out;
}

function captureCurve(s: SchemeParams, maxX: number): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  const step = Math.max(1, Math.ceil(maxX / CURVE_POINTS));
  for (let x = 0; x <= maxX; x += step) {
    out.push({ x, y: compromisedFraction(s, x, "exact") });
  }
  return out;
}

/** Datasets for both charts: analytic curves (lines) and simulated points, per scheme setting. */
function chartData(runs: readonly SimulationResult[]) {
  const maxRing = Math.max(...runs.map((r) => ("ring" in r.scheme ? r.scheme.ring : 1))) * 2;
  const share: unknown[] = [];
  const capture: unknown[] = [];
  const curveKeys = new Set<string>();
  runs.forEach((run, index) => {
    const s = run.scheme;
    const poolKey =
      s.scheme === "qcomposite"
        ? `${s.scheme} P=${s.pool} q=${s.q}`
        : s.scheme === "eg"
          ? `eg P=${s.pool}`
          : undefined;
    const curve = shareCurve(s, maxRing);
    if (poolKey !== undefined && curve !== undefined && !curveKeys.has(poolKey)) {
      curveKeys.add(poolKey);
      share.push({ type: "line", label: `analytic ${poolKey}`, data: curve, pointRadius: 0 });
    }
    share.push({
      type: "scatter",
      label: `simulated run ${index + 1}`,
      data: [{ x: "ring" in s ? s.ring : 1, y: run.directFraction }],
      pointRadius: 5,
    });
    const maxX = Math.max(1, ...run.capture.map((c) => c.captured));
    capture.push({
      type: "line",
      label: `analytic ${schemeLabel(s)}`,
      data: captureCurve(s, maxX),
      pointRadius: 0,
    });
    capture.push({
      type: "scatter",
      label: `simulated run ${index + 1} (${run.capture[0]?.mode ?? "random"})`,
      data: run.capture.map((c) => ({ x: c.captured, y: c.fraction })),
      pointRadius: 5,
    });
  });
  return { share, capture };
}

/** The report page for one or more runs; the map is of the first run. */
export function renderReport(details: readonly SimulationDetail[]): string {
  if (details.length === 0) throw new RangeError("report: no runs");
  const runs = details.map((d) => d.result);
  const first = runs[0]!;
  const rows = runs
    .map(
      (r, i) =>
        `<tr><td>${i + 1}</td><td>${escapeHtml(schemeLabel(r.scheme))}</td>` +
        `<td>${r.engine}</td><td>${r.nodes}</td><td>${r.range}</td>` +
        `<td>${r.meanNeighbours}</td>` +
        `<td>${r.directFraction}</td><td>${r.predictedShareProbability}</td>` +
        `<td>${r.model?.directFraction ?? "-"}</td>` +
        `<td>${r.components.count}</td><td>${r.components.largestFraction}</td>` +
        `<td>${r.pathKeys.largestFractionWithPathKeys}</td>` +
        `<td>${r.air.framesMean}</td><td>${r.air.bytesMean}</td>` +
        `<td>${r.model?.air.framesMean ?? "-"}</td><td>${r.aesBlocksMean ?? "-"}</td>` +
        `<td>${r.settleMs ?? "-"}</td>` +
        `<td>${
          r.revocation === null
            ? "-"
            : `${r.revocation.lost} / ${r.revocation.reestablished}` +
              ` / ${r.revocation.after.largestFraction}`
        }</td></tr>`,
    )
    .join("\n");
  const data = chartData(runs);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>predist simulate: ${escapeHtml(schemeLabel(first.scheme))}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.chart { width: 560px; height: 360px; }
table { border-collapse: collapse; margin-top: 16px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
</style>
</head>
<body>
<h1>predist simulate</h1>
<p>Seed <code>${escapeHtml(first.seed)}</code>. Engine firmware: every figure is what node.wasm
did on the emulator until links settled; the key-model columns beside it come from the nodes'
rings, with frames from the protocol's message sizes and no path-key traffic. Engine model: the
key model only.</p>
<h2>Map of run 1: ${escapeHtml(schemeLabel(first.scheme))}, ${first.nodes} nodes, range
${first.range}</h2>
${mapSvg(details[0]!)}
<div class="charts">
<div class="chart"><canvas id="share"></canvas></div>
<div class="chart"><canvas id="capture"></canvas></div>
</div>
<table>
<tr><th>run</th><th>scheme</th><th>engine</th><th>nodes</th><th>range</th>
<th>mean neighbours</th><th>direct key fraction</th><th>predicted</th><th>key model</th>
<th>components</th><th>largest component</th><th>with path keys</th><th>frames / node</th>
<th>bytes / node</th><th>frames / node (key model)</th><th>AES blocks / node</th>
<th>settle ms</th><th>revocation: lost / re-established / largest after</th></tr>
${rows}
</table>
<script>${chartJsSource().replace(/<\/script/gi, "<\\/script")}</script>
<script id="data" type="application/json">${scriptJson(data)}</script>
<script>
const data = JSON.parse(document.getElementById("data").textContent);
const axes = (x, y) => ({
  x: { type: "linear", title: { display: true, text: x } },
  y: { type: "linear", min: 0, max: 1, title: { display: true, text: y } },
});
new Chart(document.getElementById("share"), {
  data: { datasets: data.share },
  options: { animation: false, maintainAspectRatio: false,
    plugins: { title: { display: true, text: "Share probability vs ring size" } },
    scales: axes("ring size k", "P[neighbours share a key]") },
});
new Chart(document.getElementById("capture"), {
  data: { datasets: data.capture },
  options: { animation: false, maintainAspectRatio: false,
    plugins: { title: { display: true, text: "Compromised links vs captured nodes" } },
    scales: axes("captured nodes x", "fraction of other links exposed") },
});
</script>
</body>
</html>
`;
}
