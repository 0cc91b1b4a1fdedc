// Simulator figures: wall time of `predist simulate` from start to report (runSimulate with the
// text output and the HTML report built) for Eschenauer-Gligor's deployment (N = 1,000, n' = 40,
// EG P = 10,000, k = 75, captures 0/10/50/100; target <= 10 s) with the model engine and the
// firmware engine; the model engine at N = 10,000 (target <= 3 min, <= 3 GiB peak RSS); nodes
// per second, handshakes per second (links made, per wall second), and how cost grows from
// 1,000 to 10,000 nodes. Each case runs in its own process, so its peak RSS is its own.
// The 10,000-node firmware case is not run (about 10x the 1,000-node one; docs/simulator.md).

import { spawnSync } from "node:child_process";
import type { Report } from "./harness.js";

const TARGET_1000_SECONDS = 10;
const TARGET_10000_SECONDS = 180;
const TARGET_RSS_BYTES = 3 * 1024 ** 3;
const CAPTURED = "0,10,50,100";
const SEED = "bench";

interface Case {
  engine: "model" | "firmware";
  nodes: number;
  neighbours: number;
}

interface Measured {
  seconds: number;
  maxRssBytes: number;
  directPairs: number;
  links: number;
  directFraction: number;
  components: number;
  framesPerNode: number;
  settleMs: number | null;
  reportBytes: number;
}

/** Runs one case in a child process; the clock starts after the modules are loaded. */
function measure(c: Case): Measured {
  const command = new URL("../provisioning/commands/simulate.js", import.meta.url).href;
  const script = `
    const { DEFAULTS, runSimulate } = await import(${JSON.stringify(command)});
    const start = performance.now();
    const { output, report } = runSimulate({ ...DEFAULTS, engine: "${c.engine}",
      nodes: "${c.nodes}", neighbours: "${c.neighbours}", pool: "10000", ring: "75",
      captured: "${CAPTURED}", seed: "${SEED}", json: true, report: "bench.html" });
    const seconds = (performance.now() - start) / 1000;
    const r = JSON.parse(output).runs[0];
    process.stdout.write(JSON.stringify({ seconds,
      maxRssBytes: process.resourceUsage().maxRSS * 1024, directPairs: r.directPairs,
      links: r.directPairs + r.pathKeys.links, directFraction: r.directFraction,
      components: r.components.count, framesPerNode: r.air.framesMean, settleMs: r.settleMs,
      reportBytes: report.length }));
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`simulate bench ${JSON.stringify(c)}: ${child.stderr}`);
  return JSON.parse(child.stdout) as Measured;
}

function figure(c: Case, m: Measured, target: number): Record<string, unknown> {
  return {
    bench: `simulator.${c.engine}`,
    nodes: c.nodes,
    neighbours: c.neighbours,
    scheme: "eg P=10000 k=75",
    captured: CAPTURED,
    wallSeconds: Number(m.seconds.toFixed(3)),
    targetSeconds: target,
    peakRssMiB: Math.round(m.maxRssBytes / 1024 ** 2),
    nodesPerSecond: Math.round(c.nodes / m.seconds),
    // The model's "handshakes" are the direct links it finds; the firmware's are links made.
    handshakesPerSecond: Math.round(m.links / m.seconds),
    directFraction: m.directFraction,
    components: m.components,
    framesPerNode: m.framesPerNode,
    settleMs: m.settleMs,
    reportKiB: Math.round(m.reportBytes / 1024),
  };
}

export default function bench(report: Report): void {
  const small: Case = { engine: "model", nodes: 1_000, neighbours: 40 };
  const model1k = measure(small);
  report(figure(small, model1k, TARGET_1000_SECONDS));

  const firmware: Case = { engine: "firmware", nodes: 1_000, neighbours: 40 };
  report(figure(firmware, measure(firmware), TARGET_1000_SECONDS));

  const big: Case = { engine: "model", nodes: 10_000, neighbours: 40 };
  const model10k = measure(big);
  report({
    ...figure(big, model10k, TARGET_10000_SECONDS),
    targetRssMiB: TARGET_RSS_BYTES / 1024 ** 2,
  });
  report({
    bench: "simulator.model.growth",
    from: 1_000,
    to: 10_000,
    wallRatio: Number((model10k.seconds / model1k.seconds).toFixed(2)),
    perNodeCostRatio: Number((model10k.seconds / 10_000 / (model1k.seconds / 1_000)).toFixed(2)),
    rssRatio: Number((model10k.maxRssBytes / model1k.maxRssBytes).toFixed(2)),
  });
}
