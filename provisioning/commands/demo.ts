// `predist demo` (what `npm start` runs): the whole factory-to-field job in one folder, with no
// hardware. Each step runs the real `predist` command as a child process, exactly as a user would
// type it, so the demo exercises the same code paths and prints the command it ran. Steps that
// need a Debian package that is missing (socat for virtual nodes) are skipped with the package to
// install named; every other step still runs.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { GROUP } from "../cli.js";
import { CliError, EXIT } from "../errors.js";

/** The demo's deployment: small enough to finish in well under a minute on two cores. */
export const DEMO = {
  nodes: 300,
  neighbours: 30,
  connectivity: 0.999,
  memory: 4096,
  pool: 1000,
  ring: 30,
  shares: 5,
  threshold: 3,
  virtualNodes: 4,
  captured: [0, 10, 30],
  revoked: 10,
  seed: "predist-demo",
} as const;

/** Marks a folder as the demo's own, so a rerun may clear it. */
const MARKER = ".predist-demo";
/** How long the virtual nodes may take to print their ports. */
const EMULATE_READY_MS = 20_000;

const CLI = fileURLToPath(new URL("../../../bin/predist.js", import.meta.url));

interface StepResult {
  stdout: string;
  stderr: string;
  status: number;
}

interface DemoOptions {
  dir: string;
  json: boolean;
}

/** The figures and artifacts the demo reports at the end (and with --json). */
export interface DemoSummary {
  dir: string;
  seconds: number;
  database: string;
  shareFiles: string[];
  plan: { scheme: string; parameters: string; linkProbability: number }[];
  provisioned: { port: string; nodeId: number; digest: string }[];
  virtualNodesSkipped?: string;
  flashFiles: string[];
  simulation: {
    nodes: number;
    directKeyFraction: number;
    predictedDirectKeyFraction: number;
    largestComponent: number;
    compromised: { captured: number; measured: number; predicted: number }[];
    revocation: {
      revokedNodes: number;
      revokedKeys: number;
      lost: number;
      reestablished: number;
      linksOnRevokedKeys: number;
      linksWithRevokedNodes: number;
      componentsAfter: number;
    };
  };
  report: string;
  revocation: string;
  journalRecords: number;
}

function runCli(args: string[], cwd: string): StepResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? EXIT.INTERNAL };
}

function parseJson<T>(text: string, step: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(EXIT.INTERNAL, `demo step "${step}" printed no JSON document`);
  }
}

function parseJsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function prepareFolder(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, MARKER))) {
      throw new CliError(
        EXIT.USAGE,
        `demo folder ${dir} exists and is not a previous demo's`,
        "give an empty or new folder with --dir",
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), "made by predist demo; safe to delete\n");
}

function hasSocat(): boolean {
  return spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;
}

/** Starts `predist emulate` and resolves with its ports once it reports ready. */
function startVirtualNodes(
  dir: string,
  count: number,
): Promise<{ child: ChildProcess; ports: string[] }> {
  const child = spawn(
    process.execPath,
    [CLI, "emulate", "--count", String(count), "--dir", "nodes"],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  return new Promise((resolvePorts, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(
        new CliError(
          EXIT.NO_DEVICE,
          `virtual nodes did not start within ${EMULATE_READY_MS}` +
            ` ms; emulate printed: ${output.trim() || "nothing"}`,
        ),
      );
    }, EMULATE_READY_MS);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      if (!output.includes("ready:")) return;
      clearTimeout(timer);
      const ports = [...output.matchAll(/^node \d+: (\S+)/gm)].map((match) => match[1]);
      resolvePorts({ child, ports });
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new CliError(EXIT.NO_DEVICE, `virtual nodes exited with ${code}: ${output.trim()}`));
    });
  });
}

function stopVirtualNodes(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.removeAllListeners("exit");
    child.on("exit", () => done());
    child.kill("SIGTERM");
  });
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const dir = resolve(options.dir);
  const say = (text: string) => {
    if (!options.json) process.stdout.write(`${text}\n`);
  };
  const totalSteps = 8;
  let stepNumber = 0;
  const step = (title: string, args: string[]): StepResult => {
    stepNumber += 1;
    say(`\n[${stepNumber}/${totalSteps}] ${title}\n  $ predist ${args.join(" ")}`);
    const result = runCli(args, dir);
    if (result.status !== EXIT.OK) {
      throw new CliError(
        result.status as (typeof EXIT)[keyof typeof EXIT],
        `demo step "${title}" failed (exit ${result.status}): ${result.stderr.trim()}`,
        "rerun that command by hand in the demo folder to see the whole output",
      );
    }
    return result;
  };

  prepareFolder(dir);
  say(`predist demo in ${dir}`);

  // 1. Plan: which schemes fit the deployment and the memory budget.
  const planned = parseJson<{
    rows?: { scheme: string; params: Record<string, unknown>; linkProbability: number }[];
  }>(
    step("Plan a deployment", [
      "plan",
      "--nodes",
      String(DEMO.nodes),
      "--neighbours",
      String(DEMO.neighbours),
      "--connectivity",
      String(DEMO.connectivity),
      "--memory",
      String(DEMO.memory),
      "--json",
    ]).stdout,
    "plan",
  );
  const plan = (planned.rows ?? []).slice(0, 3).map((c) => ({
    scheme: c.scheme,
    parameters: Object.entries(c.params)
      .filter(([name]) => name !== "scheme")
      .map(([name, value]) => `${name}=${value}`)
      .join(" "),
    linkProbability: c.linkProbability,
  }));
  for (const c of plan) {
    say(`  ${c.scheme.padEnd(11)} ${c.parameters.padEnd(36)} p=${c.linkProbability.toFixed(3)}`);
  }

  // 2. Create the authority: the master sealed under a KEK split 3-of-5.
  step("Create the authority, 5 shares, threshold 3", [
    "init",
    "--db",
    "predist.db",
    "--scheme",
    "eg",
    "--pool",
    String(DEMO.pool),
    "--ring",
    String(DEMO.ring),
    "--shares",
    String(DEMO.shares),
    "--threshold",
    String(DEMO.threshold),
    "--share-dir",
    "shares",
    "--json",
  ]);
  const shareFiles = readdirSync(join(dir, "shares"))
    .sort()
    .map((name) => join("shares", name));
  say(`  ${shareFiles.length} share files in shares/ (give each to a different custodian)`);

  // 3. Unseal with three of the five shares, keeping a short session for the next steps.
  step("Unseal with 3 of the 5 shares", [
    "unseal",
    "--db",
    "predist.db",
    "--session",
    "--ttl",
    "10m",
    ...shareFiles.slice(0, DEMO.threshold).flatMap((file) => ["--share", file]),
    "--json",
  ]);
  say("  unsealed; the KEK is kept in a session file encrypted to this machine for 10 minutes");

  // 4 and 5. Virtual nodes on pseudo-terminals, provisioned over serial.
  const provisioned: DemoSummary["provisioned"] = [];
  let virtualNodesSkipped: string | undefined;
  stepNumber += 1;
  say(
    `\n[${stepNumber}/${totalSteps}] Start ${DEMO.virtualNodes} virtual nodes on ` +
      "pseudo-terminals\n  $ predist emulate --count 4 --dir nodes",
  );
  if (!hasSocat()) {
    virtualNodesSkipped = "socat is not installed: run `apt-get install socat` and rerun";
    say(`  skipped: ${virtualNodesSkipped}`);
    stepNumber += 1;
  } else {
    const { child, ports } = await startVirtualNodes(dir, DEMO.virtualNodes);
    try {
      for (const port of ports) say(`  ${port}`);
      const flashed = step("Provision and verify them over serial", [
        "provision",
        "--db",
        "predist.db",
        "--json",
        ...ports.flatMap((port) => ["--port", port]),
      ]);
      for (const event of parseJsonLines(flashed.stdout)) {
        if (event.event !== "end" || event.ok !== true) continue;
        provisioned.push({
          port: String(event.port),
          nodeId: Number(event.nodeId),
          digest: String(event.digest ?? ""),
        });
      }
      for (const node of provisioned) say(`  node ${node.nodeId} on ${node.port}: verified`);
    } finally {
      await stopVirtualNodes(child);
    }
  }

  // 6. Simulate the deployed network on the real firmware, with a capture round.
  const simulated = parseJson<Record<string, unknown>>(
    step(`Simulate ${DEMO.nodes} nodes on the firmware, capture and revoke nodes`, [
      "simulate",
      "--engine",
      "firmware",
      "--nodes",
      String(DEMO.nodes),
      "--neighbours",
      String(DEMO.neighbours),
      "--pool",
      String(DEMO.pool),
      "--ring",
      String(DEMO.ring),
      "--captured",
      DEMO.captured.join(","),
      "--revoke",
      String(DEMO.revoked),
      "--seed",
      DEMO.seed,
      "--report",
      "report.html",
      "--json",
    ]).stdout,
    "simulate",
  );
  const simulation = summarizeSimulation(simulated);
  say(
    `  direct keys ${simulation.directKeyFraction.toFixed(3)} of neighbour pairs ` +
      `(predicted ${simulation.predictedDirectKeyFraction.toFixed(3)}); largest component ` +
      `${simulation.largestComponent} of ${simulation.nodes}`,
  );
  for (const row of simulation.compromised) {
    say(
      `  ${row.captured} captured: ${(row.measured * 100).toFixed(1)} % of other links ` +
        `exposed (predicted ${(row.predicted * 100).toFixed(1)} %)`,
    );
  }
  const healed = simulation.revocation;
  say(
    `  revoked ${healed.revokedNodes} captured nodes and their ${healed.revokedKeys} keys over ` +
      `the air: ${healed.lost} links lost, ${healed.reestablished} re-established, ` +
      `${healed.linksOnRevokedKeys} left on a revoked key; ${healed.componentsAfter} ` +
      "component(s) after",
  );

  // 7. Revoke a captured node: the authenticated broadcast for the base station.
  const victim = provisioned[0]?.nodeId;
  if (victim === undefined) {
    stepNumber += 1;
    say(
      `\n[${stepNumber}/${totalSteps}] Revoke a captured node\n  skipped: no node was ` +
        "provisioned (see step 4)",
    );
  } else {
    const revoked = parseJson<{ revokedKeyIds?: number[]; frames?: number; linksToRekey?: number }>(
      step(`Revoke captured node ${victim}`, [
        "revoke",
        "--db",
        "predist.db",
        "--node",
        String(victim),
        "--out",
        "revocation.json",
        "--json",
      ]).stdout,
      "revoke",
    );
    say(
      `  ${revoked.revokedKeyIds?.length ?? 0} pool keys revoked, ${revoked.linksToRekey ?? 0} ` +
        `registered pairs must re-key; ${revoked.frames ?? 0} broadcast frames in revocation.json`,
    );
  }

  // 8. The journal: every step above, chained by hash.
  const verdict = parseJson<{ ok?: boolean; checked?: number }>(
    step("Verify the journal's hash chain", ["log", "--db", "predist.db", "--verify", "--json"])
      .stdout,
    "log --verify",
  );
  say(`  ${verdict.checked ?? 0} journal records, chain ${verdict.ok ? "intact" : "BROKEN"}`);

  const flashDir = join(dir, "nodes");
  const summary: DemoSummary = {
    dir,
    seconds: (Date.now() - started) / 1000,
    database: join(dir, "predist.db"),
    shareFiles: shareFiles.map((file) => join(dir, file)),
    plan,
    provisioned,
    virtualNodesSkipped,
    flashFiles: existsSync(flashDir)
      ? readdirSync(flashDir)
          .filter((name) => name.endsWith(".flash"))
          .map((n) => join(flashDir, n))
      : [],
    simulation,
    report: join(dir, "report.html"),
    revocation: existsSync(join(dir, "revocation.json")) ? join(dir, "revocation.json") : "",
    journalRecords: verdict.checked ?? 0,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else say(renderSummary(summary));
  return summary;
}

function numberAt(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new CliError(EXIT.INTERNAL, `simulate --json has no number at ${name}`);
  }
  return value;
}

function summarizeSimulation(result: Record<string, unknown>): DemoSummary["simulation"] {
  const runs = result.runs as Record<string, any>[] | undefined;
  const run = runs?.[0];
  if (!run) throw new CliError(EXIT.INTERNAL, "simulate --json printed no run");
  return {
    nodes: numberAt(run.nodes, "nodes"),
    directKeyFraction: numberAt(run.directFraction, "directFraction"),
    predictedDirectKeyFraction: numberAt(
      run.predictedShareProbability,
      "predictedShareProbability",
    ),
    largestComponent: numberAt(run.components?.largest, "components.largest"),
    compromised: ((run.capture ?? []) as Record<string, number>[]).map((c) => ({
      captured: numberAt(c.captured, "capture.captured"),
      measured: numberAt(c.fraction, "capture.fraction"),
      predicted: numberAt(c.predicted, "capture.predicted"),
    })),
    revocation: {
      revokedNodes: (run.revocation?.revokedNodes ?? []).length,
      revokedKeys: numberAt(run.revocation?.revokedKeys, "revocation.revokedKeys"),
      lost: numberAt(run.revocation?.lost, "revocation.lost"),
      reestablished: numberAt(run.revocation?.reestablished, "revocation.reestablished"),
      linksOnRevokedKeys: numberAt(
        run.revocation?.linksOnRevokedKeys,
        "revocation.linksOnRevokedKeys",
      ),
      linksWithRevokedNodes: numberAt(
        run.revocation?.linksWithRevokedNodes,
        "revocation.linksWithRevokedNodes",
      ),
      componentsAfter: numberAt(run.revocation?.after?.components, "revocation.after.components"),
    },
  };
}

function renderSummary(summary: DemoSummary): string {
  const here = (path: string) => relative(process.cwd(), path) || ".";
  const lines = [
    "",
    `Done in ${summary.seconds.toFixed(1)} s. What was written:`,
    `  store (registry, sealed master, journal)  ${here(summary.database)}`,
    `  KEK shares, one file per custodian        ${here(join(summary.dir, "shares"))}/`,
    summary.flashFiles.length > 0
      ? `  flash of the virtual nodes                ${here(join(summary.dir, "nodes"))}/`
      : `  virtual nodes skipped: ${summary.virtualNodesSkipped}`,
    `  simulation report (open in a browser)     ${here(summary.report)}`,
  ];
  if (summary.revocation)
    lines.push(`  revocation broadcast                      ${here(summary.revocation)}`);
  const db = here(summary.database);
  lines.push(
    "",
    "Next, try:",
    `  predist nodes --db ${db}`,
    `  predist log --db ${db}`,
    `  predist report --db ${db} --node 2`,
    "  predist analyze --scheme qcomposite --pool 20000 --ring 100 --q 2 --captured 10,50,100",
    "  predist simulate --engine model --ring 50,75,100 --captured 0,50 --report sweep.html",
  );
  return lines.join("\n");
}

export function registerDemoCommands(program: Command): void {
  program
    .command("demo")
    .helpGroup(GROUP.plan)
    .description(
      "Run the whole job with no hardware in a fresh folder: plan a deployment, create an " +
        "authority with 5 shares (threshold 3), unseal it with 3, start 4 virtual nodes on " +
        "pseudo-terminals, provision and verify them over serial, simulate 300 nodes on the " +
        "firmware with a capture round, revoke a node, verify the journal. This is `npm start`.",
    )
    .option(
      "--dir <folder>",
      "working folder (cleared if it holds a previous demo)",
      "predist-demo",
    )
    .option("--json", "print one JSON summary instead of text", false)
    .addHelpText(
      "after",
      ["", "Examples:", "  $ predist demo", "  $ predist demo --dir /tmp/try-predist --json"].join(
        "\n",
      ),
    )
    .action(async (flags: { dir: string; json: boolean }) => {
      await runDemo({ dir: flags.dir, json: flags.json });
    });
}

/** Reads a JSON file the demo wrote; used by tests that check the summary against artifacts. */
export function readJsonFile(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}
