// Commands of the key authority and analytics area: `analyze`, `plan`, `rings`, `image show`.
// Formulas: docs/analytics.md; derivations: docs/schemes.md; image layout: docs/image-format.md.
// Malformed values (not a non-negative integer, missing) exit with EXIT.USAGE, impossible
// parameter combinations with EXIT.INVALID_INPUT, a memory budget nothing fits with EXIT.NO_FIT.
// No output of these commands carries a key byte, except the images `rings` writes by design.

import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import {
  PLAN_CAPTURES,
  PLAN_RANK_CAPTURE,
  type AnalysisParams,
  analyze,
  egShareProbability,
  plan,
  polypoolShareProbability,
  qcompositeLinkProbability,
} from "../../host/analytics/index.js";
import {
  type Authority,
  type SchemeParams,
  MASTER_LEN,
  buildImage,
  createAuthority,
} from "../../host/authority/index.js";
import { wipe } from "../../host/crypto/index.js";
import { ImageError, decodeImage, describeImage } from "../../host/image/index.js";
import { GROUP } from "../cli.js";
import { type SchemeFlags, addSchemeOptions, count, schemeParamsFrom } from "../scheme-flags.js";
import { CliError, EXIT } from "../errors.js";

/** Capture counts `analyze` reports when --captured is not given. */
const DEFAULT_CAPTURED = "10,50,100,500";
/** Pairs sampled by `rings --check` (all pairs when fewer). */
const CHECK_PAIRS = 200_000;
/** Agreement bound of `rings --check`, in standard errors. */
const CHECK_SIGMAS = 4;
/** Largest node count `rings` writes in one run. */
const RINGS_MAX = 1_000_000;
const MASTER_FILE_MODE = 0o600;

const EXIT_HELP =
  "\nExit codes: 0 ok, 2 usage (malformed or missing value), 3 invalid input (impossible " +
  "parameters, bad image), 12 no fit (no scheme fits the budget).";

function probability(value: string): number {
  const p = Number(value);
  if (value.trim() === "" || !(p > 0 && p < 1)) {
    throw new InvalidArgumentError(
      `expected a probability strictly between 0 and 1, got "${value}".`,
    );
  }
  return p;
}

function countList(value: string): number[] {
  return value.split(",").map((part) => count(part));
}

interface AnalyzeFlags extends SchemeFlags {
  kinErased?: boolean;
}

function analysisParams(params: SchemeParams, flags: AnalyzeFlags): AnalysisParams {
  if (params.scheme === "leap") return { scheme: "leap", erased: flags.kinErased !== false };
  return params as AnalysisParams;
}

function pct(x: number): string {
  if (x === 0) return "0";
  if (x < 1e-4) return x.toExponential(2);
  return x.toFixed(4);
}

function describeParams(params: AnalysisParams): string {
  return Object.entries(params)
    .filter(([key]) => key !== "scheme")
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
}

function runAnalyze(
  flags: SchemeFlags & { neighbours?: number; captured: number[]; json?: boolean },
) {
  const params = schemeParamsFrom(flags);
  const analysis = analyze(analysisParams(params, flags), flags.neighbours, flags.captured);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(analysis)}\n`);
    return;
  }
  const lines = [
    `scheme            ${params.scheme} ${describeParams(analysis.params)}`,
    `link probability  ${pct(analysis.linkProbability)}`,
    `secure degree     ${
      analysis.expectedSecureDegree === null
        ? "(give --neighbours)"
        : analysis.expectedSecureDegree.toFixed(2)
    }`,
    `storage           ${analysis.storageBytes} bytes per node (image)`,
    "captured  compromised fraction of other links",
    ...analysis.compromised.map((c) => `${String(c.captured).padStart(8)}  ${pct(c.fraction)}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

function runPlan(flags: {
  nodes: number;
  neighbours: number;
  connectivity: number;
  memory: number;
  json?: boolean;
}) {
  let result;
  try {
    result = plan(flags);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        error.message,
        "check --nodes, --neighbours, --memory",
      );
    }
    throw error;
  }
  if (result.rows.length === 0) {
    throw new CliError(
      EXIT.NO_FIT,
      `no scheme fits ${flags.memory} bytes per node for n = ${flags.nodes}, ` +
        `n' = ${flags.neighbours}, Pc = ${flags.connectivity} (needs p' = ${pct(result.required)})`,
      "raise --memory (LEAP+ needs 220 bytes), add neighbours, or lower --connectivity",
    );
  }
  const criterion = `compromised fraction at x = ${PLAN_RANK_CAPTURE}, then storage (ascending)`;
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        ...flags,
        json: undefined,
        requiredShareProbability: result.required,
        expectedDegree: result.degree,
        rankedBy: criterion,
        rows: result.rows,
      })}\n`,
    );
    return;
  }
  const header = [
    "scheme",
    "parameters",
    "p link",
    "bytes",
    ...PLAN_CAPTURES.map((x) => `x=${x}`),
    "note",
  ];
  const rows = result.rows.map((row) => [
    row.scheme,
    describeParams(row.params),
    pct(row.linkProbability),
    String(row.storageBytes),
    ...row.compromised.map((c) => pct(c.fraction)),
    row.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  process.stdout.write(
    `required share probability p' = ${pct(result.required)} (degree d = ` +
      `${result.degree.toFixed(2)}, Erdős–Rényi)\nranked by ${criterion}\n\n` +
      [fmt(header), ...rows.map(fmt)].join("\n") +
      "\n",
  );
}

/** Reads or creates the 32-byte master file (created from the CSPRNG, mode 0600). */
function masterFrom(file: string): Uint8Array {
  if (!existsSync(file)) {
    const master = new Uint8Array(randomBytes(MASTER_LEN));
    writeFileSync(file, master, { mode: MASTER_FILE_MODE, flag: "wx" });
    process.stderr.write(`predist: created a new master secret in ${file} (keep it safe)\n`);
    return master;
  }
  const master = new Uint8Array(readFileSync(file));
  if (master.length !== MASTER_LEN) {
    wipe(master);
    throw new CliError(
      EXIT.INVALID_INPUT,
      `master file ${file}: expected ${MASTER_LEN} bytes, ` + `got a different length`,
      "give the 32-byte file written by an earlier run",
    );
  }
  return master;
}

/** Empirical share probability of generated rings against the closed form. */
function checkRings(authority: Authority, count: number, params: SchemeParams) {
  const rings: number[][] = [];
  for (let u = 1; u <= count; u++) rings.push(authority.keyIdsOf(u));
  const threshold = params.scheme === "qcomposite" ? params.q : 1;
  let expected: number;
  if (params.scheme === "eg") expected = egShareProbability(params.pool, params.ring);
  else if (params.scheme === "qcomposite")
    expected = qcompositeLinkProbability(params.pool, params.ring, params.q);
  else if (params.scheme === "polypool")
    expected = polypoolShareProbability(params.polynomials, params.perNode);
  else
    throw new CliError(
      EXIT.INVALID_INPUT,
      `--check: scheme ${params.scheme} has no random rings`,
      "use --check with eg, qcomposite or polypool",
    );
  const totalPairs = (count * (count - 1)) / 2;
  let pairs = 0;
  let shared = 0;
  const sets = rings.map((ring) => new Set(ring));
  const countShared = (a: number, b: number) => {
    let c = 0;
    for (const id of rings[a]) if (sets[b].has(id)) c++;
    return c;
  };
  if (totalPairs <= CHECK_PAIRS) {
    for (let a = 0; a < count; a++)
      for (let b = a + 1; b < count; b++, pairs++) {
        if (countShared(a, b) >= threshold) shared++;
      }
  } else {
    for (; pairs < CHECK_PAIRS; pairs++) {
      const a = Math.floor(Math.random() * count);
      let b = Math.floor(Math.random() * (count - 1));
      if (b >= a) b++;
      if (countShared(a, b) >= threshold) shared++;
    }
  }
  const observed = shared / pairs;
  // Pairs sharing a node are correlated; the bound uses the independent-pairs error, so it is a
  // screening check, not a proof.
  const standardError = Math.sqrt((expected * (1 - expected)) / pairs);
  const sigmas = standardError === 0 ? 0 : Math.abs(observed - expected) / standardError;
  return { pairs, observed, expected, standardError, sigmas, ok: sigmas <= CHECK_SIGMAS };
}

function runRings(
  flags: SchemeFlags & {
    count: number;
    out?: string;
    ndjson?: string;
    check?: boolean;
    masterFile?: string;
    insecureFixedSeed?: string;
    json?: boolean;
  },
) {
  const params = schemeParamsFrom(flags);
  if (flags.count < 1 || flags.count > RINGS_MAX) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `--count: expected 1 to ${RINGS_MAX}, got ${flags.count}`,
    );
  }
  if ((params.scheme === "full" || params.scheme === "pairwise") && flags.count > params.nodes) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `--count ${flags.count} exceeds --nodes ${params.nodes}`,
      "node IDs run 1..nodes",
    );
  }
  if ((flags.masterFile === undefined) === (flags.insecureFixedSeed === undefined)) {
    throw new CliError(
      EXIT.USAGE,
      "give exactly one of --master-file and --insecure-fixed-seed",
      "--master-file FILE keeps the master (created if missing); --insecure-fixed-seed is for" +
        " demos only",
    );
  }
  if (flags.out !== undefined && flags.ndjson !== undefined) {
    throw new CliError(EXIT.USAGE, "give at most one of --out and --ndjson");
  }
  const master = flags.masterFile !== undefined ? masterFrom(flags.masterFile) : undefined;
  if (flags.insecureFixedSeed !== undefined) {
    process.stderr.write("predist: WARNING: --insecure-fixed-seed makes every key predictable\n");
  }
  const authority = createAuthority({ ...params, master, insecureSeed: flags.insecureFixedSeed });
  wipe(master);
  try {
    let fd: number | undefined;
    if (flags.out !== undefined) mkdirSync(flags.out, { recursive: true });
    if (flags.ndjson !== undefined) fd = flags.ndjson === "-" ? 1 : openSync(flags.ndjson, "w");
    let bytes = 0;
    if (flags.out !== undefined || fd !== undefined) {
      for (let u = 1; u <= flags.count; u++) {
        let image: Uint8Array;
        try {
          image = buildImage(authority, u);
        } catch (error) {
          if (error instanceof RangeError)
            throw new CliError(
              EXIT.INVALID_INPUT,
              error.message,
              "lower the ring size, partners or degree so the image fits one 32 KiB slot",
            );
          throw error;
        }
        bytes += image.length;
        if (flags.out !== undefined) {
          writeFileSync(join(flags.out, `node-${u}.img`), image, { mode: MASTER_FILE_MODE });
        } else {
          writeSync(
            fd as number,
            `${JSON.stringify({ nodeId: u, image: Buffer.from(image).toString("base64") })}\n`,
          );
        }
        wipe(image);
      }
      if (fd !== undefined && fd !== 1) closeSync(fd);
    }
    const summary: Record<string, unknown> = { scheme: params.scheme, nodes: flags.count, bytes };
    if (flags.check) summary.check = checkRings(authority, flags.count, params);
    if (flags.ndjson !== "-") {
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        const where = flags.out ?? flags.ndjson;
        process.stdout.write(
          where === undefined ? "" : `wrote ${flags.count} images (${bytes} bytes) to ${where}\n`,
        );
        const check = summary.check as ReturnType<typeof checkRings> | undefined;
        if (check) {
          process.stdout.write(
            `share probability: observed ${pct(check.observed)} over ` +
              `${check.pairs} pairs, closed form ${pct(check.expected)}, ` +
              `${check.sigmas.toFixed(2)} standard errors: ${check.ok ? "agrees" : "DISAGREES"}\n`,
          );
        }
      }
    }
    const check = summary.check as ReturnType<typeof checkRings> | undefined;
    if (check && !check.ok) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `rings disagree with the closed form by ` +
          `${check.sigmas.toFixed(2)} standard errors (bound ${CHECK_SIGMAS})`,
        "report this as a bug",
      );
    }
  } finally {
    authority.destroy();
  }
}

function runImageShow(file: string, flags: { json?: boolean }) {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (error) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `cannot read image ${file}: ${(error as Error).message}`,
    );
  }
  let summary: Record<string, unknown>;
  try {
    const decoded = decodeImage(bytes);
    summary = describeImage(decoded);
    wipe(decoded.nodeKey, decoded.initialKey, ...decoded.records.map((r) => r.key));
  } catch (error) {
    if (error instanceof ImageError) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `image ${file} rejected (${error.reason}): ${error.message}`,
        "the file is not a predist image of format version 1, or it is damaged",
      );
    }
    throw error;
  } finally {
    wipe(bytes);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const ids = summary.recordIds as number[];
  const shown = {
    ...summary,
    recordIds:
      ids.length > 16
        ? `${ids.slice(0, 16).join(", ")}, ... ` + `(${ids.length} in all)`
        : ids.join(", "),
  };
  for (const [key, value] of Object.entries(shown)) {
    const text =
      typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    process.stdout.write(`${key.padEnd(14)} ${text}\n`);
  }
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n${EXIT_HELP}\n`;
}

export function registerAuthorityCommands(program: Command): void {
  addSchemeOptions(
    program
      .command("analyze")
      .helpGroup(GROUP.plan)
      .description(
        "Analyze one scheme: link probability, secure degree, storage per node and the " +
          "fraction of links exposed after x captured nodes (docs/analytics.md).",
      ),
  )
    .option(
      "--neighbours <n'>",
      "neighbours in radio range, for the expected secure degree (default: degree not shown)",
      count,
    )
    .option(
      "--captured <list>",
      "captured-node counts, comma-separated",
      countList,
      countList(DEFAULT_CAPTURED),
    )
    .option("--kin-not-erased", "leap: assume captures before K_IN was erased", false)
    .option("--json", "print one JSON object", false)
    .addHelpText(
      "after",
      examples(
        "predist analyze --scheme eg --pool 10000 --ring 75 --neighbours 40",
        "predist analyze --scheme qcomposite --pool 10000 --ring 200 --q 2 --captured 50,100" +
          " --json",
      ),
    )
    .action((options) => runAnalyze({ ...options, kinErased: !options.kinNotErased }));

  program
    .command("plan")
    .helpGroup(GROUP.plan)
    .description(
      "For a network and a memory budget, list every scheme that fits with its " +
        "parameters, direct-link probability, storage and compromised fraction at " +
        "x = 10, 50, 100, 500; best first by the compromised fraction at x = 100, then storage.",
    )
    .requiredOption("--nodes <n>", "nodes in the network", count)
    .requiredOption("--neighbours <n'>", "neighbours in radio range of a node", count)
    .option(
      "--connectivity <Pc>",
      "wanted probability that the key graph is connected",
      probability,
      0.99999,
    )
    .requiredOption("--memory <bytes>", "flash bytes per node for the image", count)
    .option("--json", "print one JSON object", false)
    .addHelpText(
      "after",
      examples(
        "predist plan --nodes 10000 --neighbours 40 --memory 4096",
        "predist plan --nodes 1000 --neighbours 25 --connectivity 0.999 --memory 2048 --json",
      ),
    )
    .action((options) => runPlan(options));

  addSchemeOptions(
    program
      .command("rings")
      .helpGroup(GROUP.provision)
      .description(
        "Assign rings to nodes 1..count and encode their images into a folder " +
          "(node-<id>.img) or one NDJSON stream ({nodeId, image: base64} per line); --check " +
          "compares the generated rings' share probability with the closed form.",
      ),
  )
    .requiredOption("--count <N>", "nodes to generate (IDs 1..N)", count)
    .option("--out <dir>", "write one image file per node into this folder (default: no folder)")
    .option(
      "--ndjson <file>",
      "write one JSON line per node to this file, - for stdout (default: no stream)",
    )
    .option("--check", "compare empirical and closed-form share probability", false)
    .option(
      "--master-file <file>",
      "32-byte master secret, created from the CSPRNG if missing (default: none; required " +
        "unless --insecure-fixed-seed)",
    )
    .option(
      "--insecure-fixed-seed <text>",
      "INSECURE, tests and demos only: master from this text (default: none)",
    )
    .option("--json", "print the summary as one JSON object", false)
    .addHelpText(
      "after",
      examples(
        "predist rings --scheme eg --pool 100000 --ring 200 --count 1000 --master-file m.key" +
          " --out imgs",
        "predist rings --scheme qcomposite --pool 1000 --ring 40 --q 2 --count 300 " +
          "--insecure-fixed-seed demo --check",
      ),
    )
    .action((options) => runRings(options));

  const image = program
    .command("image")
    .helpGroup(GROUP.inspect)
    .description("Inspect provisioning images (docs/image-format.md).");
  image
    .command("show")
    .description(
      "Check an image (layout, CRC, tag, records) and print its header, offsets and " +
        "record IDs, never a key byte.",
    )
    .argument("<file>", "image file")
    .option("--json", "print one JSON object", false)
    .addHelpText(
      "after",
      examples("predist image show imgs/node-1.img", "predist image show imgs/node-1.img --json"),
    )
    .action((file, options) => runImageShow(file, options));
}
