// `predist simulate`: deploys N nodes in a square (or at positions from a CSV), provisions each
// with a real image from the key authority, and reports key connectivity, path-key hop counts,
// traffic on air and capture resilience beside the analytic predictions (docs/simulator.md).
// Comma lists sweep: every combination of the listed values is one run. Same --seed, same bytes.

import { readFileSync, writeFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { CliError, EXIT } from "../errors.js";
import { GROUP } from "../cli.js";
import { SCHEME_DEFAULTS } from "../scheme-flags.js";
import { LANES_MAX, type SchemeParams } from "../../host/authority/index.js";
import { NODES_MAX, parsePositionsCsv, sideOf } from "../../host/simulator/deploy.js";
import { renderReport } from "../../host/simulator/report.js";
import {
  simulate,
  type CaptureMode,
  type SimulationDetail,
  type SimulationResult,
} from "../../host/simulator/simulate.js";
import type { Position } from "../../host/emulator/unit-disk.js";

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
  engine: "model",
  loss: "0",
  settleMs: "5000",
  seed: "predist",
} as const;

function usage(message: string, hint?: string): CliError {
  return new CliError(EXIT.USAGE, message, hint);
}

/** Parses a comma list of numbers within [min, max] (integers unless `real`). */
export function parseList(flag: string, text: string, min: number, max: number,
  real = false): number[] {
  const items = text.split(",").map((item) => item.trim());
  if (items.length > LIST_ITEMS_MAX) {
    throw usage(`${flag}: at most ${LIST_ITEMS_MAX} values, got ${items.length}`);
  }
  return items.map((item) => {
    const value = Number(item);
    if (item === "" || !Number.isFinite(value) || (!real && !Number.isInteger(value))) {
      throw usage(`${flag}: expected ${real ? "numbers" : "integers"} separated by commas, ` +
        `got "${text}"`);
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

function schemeParams(scheme: string, v: Record<string, number>, nodes: number,
  seeded: boolean): SchemeParams {
  switch (scheme) {
    case "eg":
      return { scheme: "eg", pool: v.pool!, ring: v.ring!, seeded };
    case "qcomposite":
      return { scheme: "qcomposite", pool: v.pool!, ring: v.ring!, q: v.q!, seeded };
    case "polypool":
      return { scheme: "polypool", polynomials: v.polynomials!, perNode: v.perNode!,
        degree: v.degree!, lanes: v.lanes!, seeded };
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
  let positions: Position[] | undefined;
  if (options.positions !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.positions, "utf8");
    } catch (error) {
      throw new CliError(EXIT.INVALID_INPUT, `--positions: cannot read ${options.positions} ` +
        `(${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    try {
      positions = parsePositionsCsv(text);
    } catch (error) {
      throw new CliError(EXIT.INVALID_INPUT, `--positions ${options.positions}: ` +
        (error as Error).message, 'one "x,y" line per node, IDs from 1 in line order');
    }
  }
  const capture = parseList("--captured", options.captured, 0, NODES_MAX);
  const lists = {
    nodes: positions === undefined ? parseList("--nodes", options.nodes, 2, NODES_MAX) :
      [positions.length],
    reach: options.range !== undefined ? parseList("--range", options.range, 0, 1e12, true) :
      parseList("--neighbours", options.neighbours, 0, NODES_MAX, true),
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
    eg: ["pool", "ring"], qcomposite: ["pool", "ring", "q"], pairwise: ["partners"],
    polypool: ["polynomials", "perNode", "degree", "lanes"], full: [], leap: [],
  };
  const schemeKeys = ["pool", "ring", "q", "partners", "polynomials", "perNode", "degree",
    "lanes"] as const;
  for (const key of schemeKeys) {
    if (!used[options.scheme]!.includes(key)) lists[key] = [lists[key][0]!];
  }
  const combos = product<Record<keyof typeof lists, number>>(lists);
  if (combos.length > RUNS_MAX) {
    throw usage(`the sweep has ${combos.length} runs, at most ${RUNS_MAX}`, "shorten the lists");
  }
  const side = positions === undefined ?
    parseList("--side", options.side, Number.MIN_VALUE, 1e12, true)[0]! : sideOf(positions);

  const details: SimulationDetail[] = [];
  for (const combo of combos) {
    const scheme = schemeParams(options.scheme, combo, combo.nodes, options.seeded === true);
    if (capture.some((x) => x > combo.nodes)) {
      throw usage(`--captured: at most ${combo.nodes} nodes can be captured`);
    }
    try {
      details.push(simulate({
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
      }));
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError) {
        throw new CliError(EXIT.INVALID_INPUT, error.message, "check the scheme parameters");
      }
      throw error;
    }
  }
  const results = details.map((d) => d.result);
  const output = options.json === true ?
    `${JSON.stringify({ runs: results }, null, 2)}\n` : results.map(describe).join("\n");
  return options.report === undefined ? { output } : { output, report: renderReport(details) };
}

function describe(r: SimulationResult, index: number): string {
  const hops = Object.entries(r.pathKeys.hops).map(([h, n]) => `${h} hops: ${n}`).join(", ");
  const lines = [
    `run ${index + 1}: ${r.scheme.scheme} ${JSON.stringify(r.scheme)}, ${r.nodes} nodes, ` +
      `range ${r.range} (mean neighbours ${r.meanNeighbours}` +
      `${r.wantedNeighbours === null ? "" : `, wanted ${r.wantedNeighbours}`})`,
    `  direct key: ${r.directPairs} of ${r.neighbourPairs} neighbour pairs = ${r.directFraction}` +
      ` (predicted ${r.predictedShareProbability})`,
    `  secure graph: ${r.components.count} components, largest ${r.components.largest} ` +
      `(${r.components.largestFraction}); with path keys ${r.pathKeys.largestFractionWithPathKeys}`,
    `  path keys: ${r.pathKeys.keylessPairs} key-less pairs; ${hops || "none"}; ` +
      `${r.pathKeys.beyondReach} beyond reach`,
    `  on air (model): ${r.air.framesMean} frames, ${r.air.bytesMean} bytes per node ` +
      `(max ${r.air.framesMax}, ${r.air.bytesMax})`,
    ...(r.firmware === null ? [] : [
      `  firmware: ${r.firmware.links} links (${r.firmware.directLinks} on scheme keys = ` +
        `${r.firmware.directFraction} of neighbour pairs, ${r.firmware.pathLinks} on path keys), ` +
        `largest component ${r.firmware.largestFraction}`,
      `  firmware: ${r.firmware.settled ? "settled" : "NOT settled"} at ${r.firmware.settleMs} ` +
        `virtual ms; ${r.firmware.framesToSettleMean} frames per node to settle, then ` +
        `${r.firmware.framesAfterSettlePerSecond} per second; in all ` +
        `${r.firmware.framesMean} frames, ${r.firmware.bytesMean} bytes, ` +
        `${r.firmware.aesBlocksMean} AES blocks per node; ${r.firmware.crashes} crashes, ` +
        `${r.firmware.bootFailures} boot failures`,
    ]),
    ...r.capture.map((c) => `  captured ${c.captured} (${c.mode}): ${c.compromised} of ${c.links}` +
      ` links exposed = ${c.fraction}` +
      (c.predicted === null ? "" : ` (predicted ${c.predicted})`)),
  ];
  return `${lines.join("\n")}\n`;
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
    .addOption(new Option("--range <list>",
      "radio range in field units (default: derived from --neighbours)"))
    .option("--neighbours <list>", "wanted mean neighbour count n' (sets the range)",
      d.neighbours)
    .option("--positions <file.csv>", 'node positions, one "x,y" line per node; overrides ' +
      "--nodes (default: uniform at random in the square)")
    .option("--scheme <name>", `key scheme: ${SCHEMES.join(", ")}`, d.scheme)
    .option("--pool <list>", "eg, qcomposite: pool size P", d.pool)
    .option("--ring <list>", "eg, qcomposite: keys per node k", d.ring)
    .option("--q <list>", "qcomposite: keys a link needs", d.q)
    .option("--partners <list>", "pairwise: mean partners per node m", d.partners)
    .option("--polynomials <list>", "polypool: polynomials in the pool s", d.polynomials)
    .option("--per-node <list>", "polypool: polynomials per node s'", d.perNode)
    .option("--degree <list>", "polypool: polynomial degree t", d.degree)
    .option("--lanes <list>", "polypool: 31-bit field lanes per polynomial", d.lanes)
    .option("--seeded", "rings drawn from a public seed, so HELLO carries only the node ID " +
      "(eg, qcomposite, polypool)", false)
    .option("--captured <list>", "captured-node counts to evaluate, comma-separated", d.captured)
    .option("--capture-mode <mode>", "random or best (best-connected first)", d.captureMode)
    .option("--engine <name>", "model (key sharing only) or firmware (node.wasm on the " +
      "emulator until links settle)", d.engine)
    .option("--loss <p>", "firmware engine: frame loss per receiver, 0..1", d.loss)
    .option("--settle-ms <ms>", "firmware engine: virtual ms without a new link that ends the run",
      d.settleMs)
    .option("--seed <text>", "seed of placement, keys, capture order and radio", d.seed)
    .option("--json", "print one JSON document instead of text", false)
    .option("--report <file.html>",
      "write a self-contained HTML report with map and charts (default: none)")
    .addHelpText("after", examples(
      "predist simulate --nodes 1000 --neighbours 40 --pool 10000 --ring 75 --report r.html",
      "predist simulate --scheme qcomposite --ring 50,75,100 --q 2 --captured 0,50 --json",
      "predist simulate --engine firmware --nodes 200 --neighbours 12 --loss 0.1",
    ))
    .action((options: SimulateOptions) => {
      const { output, report } = runSimulate(options);
      process.stdout.write(output);
      if (report !== undefined && options.report !== undefined) {
        try {
          writeFileSync(options.report, report);
          process.stderr.write(`predist: report written to ${options.report}\n`);
        } catch (error) {
          throw new CliError(EXIT.INVALID_INPUT, `--report: cannot write ${options.report} ` +
            `(${(error as NodeJS.ErrnoException).code ?? "error"})`);
        }
      }
    });
}
