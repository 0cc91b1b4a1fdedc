// `predist simulate`: deploys N nodes in a square (or at positions from a CSV), provisions each
// with a real image from the key authority, runs the real firmware of every node on the emulator
// (or, with --engine model, the key model alone), and reports direct keys, connectivity, path-key
// hop counts, traffic on air, AES work, settle time and capture resilience beside the analytic
// predictions; with --revoke, a revocation run (docs/simulator.md).
// Comma lists sweep: every combination of the listed values is one run. Same --seed, same bytes.

import { readFileSync, writeFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { CliError, EXIT } from "../errors.js";
import { GROUP } from "../cli.js";
import { SCHEME_DEFAULTS } from "../scheme-flags.js";
import { LANES_MAX, type SchemeParams } from "../../host/authority/index.js";
import { NODES_MAX, parsePositionsCsv, sideOf } from "../../host/simulator/deploy.js";
import { renderReport } from "../../host/simulator/report.js";
import { REVOKED_NODES_MAX } from "../../host/simulator/revocation.js";
import {
  simulate,
  type CaptureMode,
  type SimulationDetail,
  type SimulationResult,
} from "../../host/simulator/simulate.js";
import type { Position } from "../../host/emulator/unit-disk.js";
import type { RevocationFigures } from "../../host/simulator/revocation.js";

const SCHEMES = ["eg", "qcomposite", "polypool", "pairwise", "full", "leap"] as const;
/** A sweep larger than this is refused: each run provisions every node. */
const RUNS_MAX = 200;
const LIST_ITEMS_MAX = 50;

export interface SimulateOptions {
  nodes: string;
  side: string;
  range?: string;
  neighbours: string;
  positions?: string;
  scheme: string;
  pool: string;
  ring: string;
  q: string;
  partners: string;
  polynomials: string;
  perNode: string;
  degree: string;
  lanes: string;
  seeded?: boolean;
  captured: string;
  captureMode: string;
  engine: string;
  loss: string;
  settleMs: string;
  revoke?: string;
  seed: string;
  json?: boolean;
  report?: string;
}

/**
 * Defaults of every flag. The scheme's are provisioning/scheme-flags.ts SCHEME_DEFAULTS (the same
 * as `analyze`, `rings` and `init`), as strings because each may be a comma list; the deployment
 * is Eschenauer-Gligor's own (1,000 nodes, 40 neighbours; EG 2002 section 4).
 */
export const DEFAULTS = {
  nodes: String(SCHEME_DEFAULTS.nodes),
  side: "1000",
  neighbours: "40",
  scheme: SCHEME_DEFAULTS.scheme,
  pool: String(SCHEME_DEFAULTS.pool),
  ring: String(SCHEME_DEFAULTS.ring),
  q: String(SCHEME_DEFAULTS.q),
  partners: String(SCHEME_DEFAULTS.partners),
  polynomials: String(SCHEME_DEFAULTS.polynomials),
  perNode: String(SCHEME_DEFAULTS.perNode),
  degree: String(SCHEME_DEFAULTS.degree),
  lanes: String(SCHEME_DEFAULTS.lanes),
  captured: "0,10,20,50,100",
  captureMode: "random",
  engine: "firmware",
  loss: "0",
  settleMs: "5000",
  seed: "predist",
} as const;

function usage(message: string, hint?: string): CliError {
  return new CliError(EXIT.USAGE, message, hint);
}

/** Parses a comma list of numbers within [min, max] (integers unless `real`). */
export function parseList(
  flag: string,
  text: string,
  min: number,
  max: number,
  real = false,
): number[] {
  const items = text.split(",").map((item) => item.trim());
  if (items.length > LIST_ITEMS_MAX) {
    throw usage(`${flag}: at most ${LIST_ITEMS_MAX} values, got ${items.length}`);
  }
  return items.map((item) => {
    const value = Number(item);
    if (item === "" || !Number.isFinite(value) || (!real && !Number.isInteger(value))) {
      throw usage(
        `${flag}: expected ${real ? "numbers" : "integers"} separated by commas, ` +
          `got "${text}"`,
      );
    }
    if (value < min || value > max) {
      throw usage(`${flag}: expected values from ${min} to ${max}, got ${value}`);
    }
    return value;
  });
}

function product<T extends Record<string, number>>(lists: { [K in keyof T]: number[] }): T[] {
  let out: Record<string, number>[] = [{}];
  for (const [key, values] of Object.entries(lists) as [string, number[]][]) {
    out = out.flatMap((partial) => values.map((value) => ({ ...partial, [key]: value })));
  }
  return out as T[];
}

function schemeParams(
  scheme: string,
  v: Record<string, number>,
  nodes: number,
  seeded: boolean,
): SchemeParams {
  switch (scheme) {
    case "eg":
      return { scheme: "eg", pool: v.pool!, ring: v.ring!, seeded };
    case "qcomposite":
      return { scheme: "qcomposite", pool: v.pool!, ring: v.ring!, q: v.q!, seeded };
    case "polypool":
      return {
        scheme: "polypool",
        polynomials: v.polynomials!,
        perNode: v.perNode!,
        degree: v.degree!,
        lanes: v.lanes!,
        seeded,
      };
    case "pairwise":
      return { scheme: "pairwise", nodes, partners: v.partners! };
    case "full":
      return { scheme: "full", nodes };
    default:
      return { scheme: "leap" };
  }
}

/** Runs every combination; returns the text (or JSON) output and, with --report, the HTML. */
export function runSimulate(options: SimulateOptions): { output: string; report?: string } {
  if (!(SCHEMES as readonly string[]).includes(options.scheme)) {
    throw usage(`--scheme: expected one of ${SCHEMES.join(", ")}, got "${options.scheme}"`);
  }
  const captureMode = options.captureMode;
  if (captureMode !== "random" && captureMode !== "best") {
    throw usage(`--capture-mode: expected random or best, got "${captureMode}"`);
  }
  const engine = options.engine;
  if (engine !== "model" && engine !== "firmware") {
    throw usage(`--engine: expected model or firmware, got "${engine}"`);
  }
  const lossRate = parseList("--loss", options.loss, 0, 1, true);
  if (lossRate.length !== 1) throw usage("--loss: one value, not a list");
  const settleMs = parseList("--settle-ms", options.settleMs, 1, 3_600_000);
  if (settleMs.length !== 1) throw usage("--settle-ms: one value, not a list");
  let revoke: number | undefined;
  if (options.revoke !== undefined) {
    if (engine !== "firmware") throw usage("--revoke: needs --engine firmware");
    const values = parseList("--revoke", options.revoke, 1, REVOKED_NODES_MAX);
    if (values.length !== 1) throw usage("--revoke: one value, not a list");
    revoke = values[0];
  }
  let positions: Position[] | undefined;
  if (options.positions !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.positions, "utf8");
    } catch (error) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `--positions: cannot read ${options.positions} ` +
          `(${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    try {
      positions = parsePositionsCsv(text);
    } catch (error) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `--positions ${options.positions}: ` + (error as Error).message,
        'one "x,y" line per node, IDs from 1 in line order',
      );
    }
  }
  const capture = parseList("--captured", options.captured, 0, NODES_MAX);
  const lists = {
    nodes:
      positions === undefined
        ? parseList("--nodes", options.nodes, 2, NODES_MAX)
        : [positions.length],
    reach:
      options.range !== undefined
        ? parseList("--range", options.range, 0, 1e12, true)
        : parseList("--neighbours", options.neighbours, 0, NODES_MAX, true),
    pool: parseList("--pool", options.pool, 1, 2 ** 32),
    ring: parseList("--ring", options.ring, 1, 1_024),
    q: parseList("--q", options.q, 1, 1_024),
    partners: parseList("--partners", options.partners, 1, NODES_MAX),
    polynomials: parseList("--polynomials", options.polynomials, 1, 2 ** 32 - 1),
    perNode: parseList("--per-node", options.perNode, 1, 1_024),
    degree: parseList("--degree", options.degree, 1, 1_000),
    lanes: parseList("--lanes", options.lanes, 1, LANES_MAX),
  };
  // Flags the scheme does not use do not multiply the runs.
  const used: Record<string, readonly string[]> = {
    eg: ["pool", "ring"],
    qcomposite: ["pool", "ring", "q"],
    pairwise: ["partners"],
    polypool: ["polynomials", "perNode", "degree", "lanes"],
    full: [],
    leap: [],
  };
  const schemeKeys = [
    "pool",
    "ring",
    "q",
    "partners",
    "polynomials",
    "perNode",
    "degree",
    "lanes",
  ] as const;
  for (const key of schemeKeys) {
    if (!used[options.scheme]!.includes(key)) lists[key] = [lists[key][0]!];
  }
  const combos = product<Record<keyof typeof lists, number>>(lists);
  if (combos.length > RUNS_MAX) {
    throw usage(`the sweep has ${combos.length} runs, at most ${RUNS_MAX}`, "shorten the lists");
  }
  const side =
    positions === undefined
      ? parseList("--side", options.side, Number.MIN_VALUE, 1e12, true)[0]!
      : sideOf(positions);

  const details: SimulationDetail[] = [];
  for (const combo of combos) {
    const scheme = schemeParams(options.scheme, combo, combo.nodes, options.seeded === true);
    if (capture.some((x) => x > combo.nodes)) {
      throw usage(`--captured: at most ${combo.nodes} nodes can be captured`);
    }
    try {
      details.push(
        simulate({
          nodes: combo.nodes,
          side,
          range: options.range !== undefined ? combo.reach : undefined,
          neighbours: options.range === undefined ? combo.reach : undefined,
          positions,
          scheme,
          seed: options.seed,
          capture,
          captureMode: captureMode as CaptureMode,
          engine,
          lossRate: lossRate[0],
          settleMs: settleMs[0],
          revoke,
        }),
      );
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError) {
        throw new CliError(EXIT.INVALID_INPUT, error.message, "check the scheme parameters");
      }
      throw error;
    }
  }
  const results = details.map((d) => d.result);
  const output =
    options.json === true
      ? `${JSON.stringify({ runs: results }, null, 2)}\n`
      : results.map(describe).join("\n");
  return options.report === undefined ? { output } : { output, report: renderReport(details) };
}

function hopsText(hops: Record<string, number>): string {
  return (
    Object.entries(hops)
      .map(([h, n]) => `${h} hops: ${n}`)
      .join(", ") || "none"
  );
}

function describe(r: SimulationResult, index: number): string {
  const m = r.model;
  const fw = r.firmware;
  const beside = (model: string | number | undefined) => (m === null ? "" : `; key model ${model}`);
  const lines = [
    `run ${index + 1}: ${r.scheme.scheme} ${JSON.stringify(r.scheme)}, ${r.nodes} nodes, ` +
      `range ${r.range} (mean neighbours ${r.meanNeighbours}` +
      `${r.wantedNeighbours === null ? "" : `, wanted ${r.wantedNeighbours}`}); engine ${r.engine}`,
    `  direct key: ${r.directPairs} of ${r.neighbourPairs} neighbour pairs = ${r.directFraction}` +
      ` (predicted ${r.predictedShareProbability}${beside(m?.directFraction)})`,
    `  secure degree: ${r.meanSecureDegree} (predicted ${r.predictedSecureDegree}` +
      `${beside(m?.meanSecureDegree)})`,
    `  secure graph: ${r.components.count} components, largest ${r.components.largest} ` +
      `(${r.components.largestFraction}), ${r.components.isolated} isolated (predicted ` +
      `P[connected] ${r.components.predictedConnectedProbability}` +
      `${beside(`${m?.components.count} components`)}); with path keys ` +
      `${r.pathKeys.largestFractionWithPathKeys}`,
    `  path keys: ${r.pathKeys.links} of ${r.pathKeys.keylessPairs} key-less pairs ` +
      `(${hopsText(r.pathKeys.hops)}); ${r.pathKeys.beyondReach} left unlinked` +
      `${beside(`${hopsText(m?.pathKeys.hops ?? {})}, ${m?.pathKeys.beyondReach} beyond reach`)}`,
    `  on air: ${r.air.framesMean} frames, ${r.air.bytesMean} bytes per node ` +
      `(max ${r.air.framesMax}, ${r.air.bytesMax})` +
      `${beside(`${m?.air.framesMean} frames, ${m?.air.bytesMean} bytes without path keys`)}`,
    ...(fw === null
      ? []
      : [
          `  AES blocks: ${r.aesBlocksMean} per node`,
          `  settle: ${fw.settled ? "settled" : "NOT settled"} at ${fw.settleMs} virtual ms ` +
            `(${fw.virtualMs} run); ${fw.framesToSettleMean} frames per node to settle, then ` +
            `${fw.framesAfterSettlePerSecond} per second; ${fw.crashes} crashes, ` +
            `${fw.bootFailures} boot failures`,
        ]),
    ...r.capture.map(
      (c) =>
        `  captured ${c.captured} (${c.mode}): ${c.compromised} of ${c.links}` +
        ` links exposed = ${c.fraction}` +
        (c.predicted === null ? "" : ` (predicted ${c.predicted})`),
    ),
    ...(r.revocation === null ? [] : describeRevocation(r.revocation)),
  ];
  return `${lines.join("\n")}\n`;
}

function describeRevocation(v: RevocationFigures): string[] {
  return [
    `  revoked ${v.revokedNodes.length} captured nodes and ${v.revokedKeys} keys in ` +
      `${v.intervals} μTESLA intervals from ${v.firstRevokeMs} to ${v.lastDiscloseMs} ` +
      `virtual ms ` +
      `(base station: ${v.baseStation.frames} frames, ${v.baseStation.bytes} bytes)`,
    `  links: ${v.linksBefore} before; ${v.lost} lost, ${v.reestablished} re-established, ` +
      `${v.lostForGood} lost for good, ${v.newLinks} new; ${v.linksAfter} after ` +
      `(${v.linksWithRevokedNodes} with a revoked node, ${v.linksOnRevokedKeys} on a revoked key)`,
    `  after: ${v.after.nodes} uncaptured nodes, direct key ${v.after.directFraction} of ` +
      `neighbour pairs (key model ${v.after.predictedDirectFraction}), ${v.after.components} ` +
      `components, largest ${v.after.largest} (${v.after.largestFraction}), ` +
      `${v.after.isolated} isolated; ${v.healed ? "healed" : "NOT healed"} ${v.healMs} ms after ` +
      `the last disclosure; ${v.framesPerNode} frames, ${v.aesBlocksPerNode} AES blocks per ` +
      `node; ${v.imageRewrites} images rewritten`,
  ];
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
}

export function registerSimulateCommands(program: Command): void {
  const d = DEFAULTS;
  program
    .command("simulate")
    .helpGroup(GROUP.plan)
    .description(
      "Simulate a deployment before flashing anything: place nodes, provision each with a real " +
        "image, and measure direct-key fraction, connectivity, path-key hops, traffic on air and " +
        "links exposed by captured nodes, beside the analytic predictions. Comma lists sweep.",
    )
    .option("--nodes <list>", "number of nodes N", d.nodes)
    .option("--side <m>", "side of the square field, in range units", d.side)
    .addOption(
      new Option(
        "--range <list>",
        "radio range in field units (default: derived from --neighbours)",
      ),
    )
    .option("--neighbours <list>", "wanted mean neighbour count n' (sets the range)", d.neighbours)
    .option(
      "--positions <file.csv>",
      'node positions, one "x,y" line per node; overrides ' +
        "--nodes (default: uniform at random in the square)",
    )
    .option("--scheme <name>", `key scheme: ${SCHEMES.join(", ")}`, d.scheme)
    .option("--pool <list>", "eg, qcomposite: pool size P", d.pool)
    .option("--ring <list>", "eg, qcomposite: keys per node k", d.ring)
    .option("--q <list>", "qcomposite: keys a link needs", d.q)
    .option("--partners <list>", "pairwise: mean partners per node m", d.partners)
    .option("--polynomials <list>", "polypool: polynomials in the pool s", d.polynomials)
    .option("--per-node <list>", "polypool: polynomials per node s'", d.perNode)
    .option("--degree <list>", "polypool: polynomial degree t", d.degree)
    .option("--lanes <list>", "polypool: 31-bit field lanes per polynomial", d.lanes)
    .option(
      "--seeded",
      "rings drawn from a public seed, so HELLO carries only the node ID " +
        "(eg, qcomposite, polypool)",
      false,
    )
    .option("--captured <list>", "captured-node counts to evaluate, comma-separated", d.captured)
    .option("--capture-mode <mode>", "random or best (best-connected first)", d.captureMode)
    .option(
      "--engine <name>",
      "firmware (node.wasm per node on the emulator until links " +
        "settle) or model (key sharing only; fast, for big sweeps)",
      d.engine,
    )
    .option("--loss <p>", "firmware engine: frame loss per receiver, 0..1", d.loss)
    .option(
      "--settle-ms <ms>",
      "firmware engine: virtual ms without a new link that ends the run",
      d.settleMs,
    )
    .option(
      "--revoke <x>",
      "firmware engine: after links settle, capture x nodes " +
        "(--capture-mode order), revoke them by μTESLA broadcast from a base station and " +
        `let the network heal; x <= ${REVOKED_NODES_MAX} (default: no revocation)`,
    )
    .option("--seed <text>", "seed of placement, keys, capture order and radio", d.seed)
    .option("--json", "print one JSON document instead of text", false)
    .option(
      "--report <file.html>",
      "write a self-contained HTML report with map and charts (default: none)",
    )
    .addHelpText(
      "after",
      examples(
        "predist simulate --nodes 200 --neighbours 12 --loss 0.1 --revoke 5 --report r.html",
        "predist simulate --engine model --ring 50,75,100 --captured 0,50 --json",
        "predist simulate --engine model --scheme qcomposite --ring 75 --q 2",
      ),
    )
    .action((options: SimulateOptions) => {
      const { output, report } = runSimulate(options);
      process.stdout.write(output);
      if (report !== undefined && options.report !== undefined) {
        try {
          writeFileSync(options.report, report);
          process.stderr.write(`predist: report written to ${options.report}\n`);
        } catch (error) {
          throw new CliError(
            EXIT.INVALID_INPUT,
            `--report: cannot write ${options.report} ` +
              `(${(error as NodeJS.ErrnoException).code ?? "error"})`,
          );
        }
      }
    });
}
