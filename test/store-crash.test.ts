// Crash consistency of the store: a provisioning drill (provisioning/store/drill.ts: allocate,
// build the image with the authority, record flashed, record verified) in a child process killed
// with SIGKILL at random points and restarted until done; and two stations provisioning into one
// file at once. The children run the drill transpiled from the TypeScript sources.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import Database from "better-sqlite3";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../provisioning/store/index.js";

const root = resolve(import.meta.dirname, "..");
let drillModule: string;
/** Runs killed at random points before the drill is let to finish. */
const KILLS = 12;
/** A kill lands this many ms at most after the child's first write of the run. */
const KILL_SPREAD_MS = 400;
const POLL_MS = 25;

/** A seeded generator (mulberry32) for the kill times, so a failing run can be repeated. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = seeded(0x5eed);
let dir: string;

/** Where the drill and its imports are transpiled for the child processes. */
const buildDir = join(root, "node_modules/.cache/predist-store-crash");

/**
 * Transpiles `entry` and every module it imports by relative path (TypeScript's transpileModule:
 * no type check, so fast and indifferent to other areas' type errors) into buildDir, keeping the
 * layout so the `.js` import suffixes resolve and packages resolve from the repo's node_modules.
 */
function transpileClosure(entry: string): string {
  const seen = new Set<string>();
  const pending = [resolve(root, entry)];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    const output = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      fileName: file,
    }).outputText;
    const target = join(buildDir, relative(root, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output);
    for (const match of source.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) {
      pending.push(resolve(dirname(file), `${match[1]}.ts`));
    }
  }
  return join(buildDir, entry.replace(/\.ts$/, ".js"));
}

beforeAll(() => {
  drillModule = transpileClosure("provisioning/store/drill.ts");
  dir = mkdtempSync(join(tmpdir(), "predist-crash-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts one drill child; resolves with its exit code or the signal that ended it. */
function startDrill(options: Record<string, unknown>): {
  done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill: () => void;
} {
  const script =
    `const { runDrill } = await import(${JSON.stringify(drillModule)});` +
    "await runDrill(JSON.parse(process.argv[1]));";
  const args = ["--input-type=module", "-e", script, JSON.stringify(options)];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((ok) =>
    child.on("exit", (code, signal) => ok({ code, signal, stderr })),
  );
  return { done, kill: () => child.kill("SIGKILL") };
}

interface Row {
  node_id: number;
  state: string;
}

function readFile(db: string): { nodes: Row[]; journal: { event: string; node_id: number }[] } {
  const file = new Database(db, { readonly: true });
  const nodes = file.prepare("SELECT node_id, state FROM nodes ORDER BY node_id").all() as Row[];
  const journal = file.prepare("SELECT event, node_id FROM journal ORDER BY seq").all() as {
    event: string;
    node_id: number;
  }[];
  file.close();
  return { nodes, journal };
}

/**
 * Journal records in the file so far; 0 while the child has not yet created the file or its
 * schema (the poll below can look in between the two).
 */
function journalLength(db: string): number {
  if (!existsSync(db)) return 0;
  const file = new Database(db, { readonly: true });
  try {
    const table = file
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'journal'")
      .get();
    if (!table) return 0;
    return (file.prepare("SELECT count(*) AS n FROM journal").get() as { n: number }).n;
  } finally {
    file.close();
  }
}

describe("crash consistency", () => {
  it("finishes a 500-node run killed at random points: each ID once, no silent gap", async () => {
    const db = join(dir, "crash.db");
    const target = 500;
    let kills = 0;
    let killedAfterProgress = 0;
    // KILLS runs are cut short by SIGKILL at a random point; the run after them may finish.
    for (let run = 0; run <= KILLS + 2; run++) {
      // Retire the planned leftovers on some restarts, resume them on others.
      const policy = run % 3 === 2 ? "retire" : "resume";
      const drill = startDrill({ db, station: "line-1", target, policy });
      const before = run < KILLS ? journalLength(db) : 0;
      // Kill at a random moment after the child's first journal write (polled), so every kill
      // lands mid-run however slowly the child starts on a loaded machine.
      let timer: NodeJS.Timeout | undefined;
      const poll =
        run < KILLS
          ? setInterval(() => {
              if (timer || journalLength(db) <= before) return;
              timer = setTimeout(drill.kill, Math.floor(random() * KILL_SPREAD_MS));
            }, POLL_MS)
          : undefined;
      const result = await drill.done;
      clearInterval(poll);
      clearTimeout(timer);
      if (result.signal === "SIGKILL") {
        kills++;
        if (journalLength(db) > before) killedAfterProgress++;
        continue;
      }
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      break;
    }
    // Kills that landed after the child had written something, not only during start-up.
    expect(killedAfterProgress).toBeGreaterThan(2);
    expect(kills).toBeGreaterThan(2);

    const { nodes, journal } = readFile(db);
    const verified = nodes.filter((n) => n.state === "verified");
    expect(verified.length).toBe(target);
    // IDs are 1..max with no gap; every non-verified one is retired, with its record.
    expect(nodes.map((n) => n.node_id)).toEqual(nodes.map((_, i) => i + 1));
    for (const node of nodes.filter((n) => n.state !== "verified")) {
      expect(node.state).toBe("retired");
      expect(journal.some((r) => r.event === "retired" && r.node_id === node.node_id)).toBe(true);
    }
    // Each verified node was allocated, flashed and verified exactly once.
    const count = (event: string, id: number) =>
      journal.filter((r) => r.event === event && r.node_id === id).length;
    for (const node of verified) {
      expect([
        count("allocate", node.node_id),
        count("flashed", node.node_id),
        count("verified", node.node_id),
      ]).toEqual([1, 1, 1]);
    }
    const store = await openStore({ path: db });
    expect((await store.verifyJournal()).ok).toBe(true);
    await store.close();
  });

  it("gives two stations provisioning 1,000 nodes into one file unique IDs", async () => {
    const db = join(dir, "two.db");
    // Create the file first so both children open an existing schema.
    await (await openStore({ path: db, create: true })).close();
    const a = startDrill({ db, station: "line-a", target: 500 });
    const b = startDrill({ db, station: "line-b", target: 500 });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, ra.stderr, rb.code, rb.stderr]).toEqual([0, "", 0, ""]);

    const { nodes, journal } = readFile(db);
    expect(nodes.length).toBe(1000);
    expect(new Set(nodes.map((n) => n.node_id)).size).toBe(1000);
    expect(nodes.map((n) => n.node_id)).toEqual(nodes.map((_, i) => i + 1));
    expect(nodes.every((n) => n.state === "verified")).toBe(true);
    const allocations = journal.filter((r) => r.event === "allocate").map((r) => r.node_id);
    expect(new Set(allocations).size).toBe(1000);
    expect(allocations.length).toBe(1000);
    const file = new Database(db, { readonly: true });
    const perStation = file
      .prepare("SELECT station, count(*) AS n FROM nodes GROUP BY station ORDER BY station")
      .all();
    file.close();
    expect(perStation).toEqual([
      { station: "line-a", n: 500 },
      { station: "line-b", n: 500 },
    ]);
    const store = await openStore({ path: db });
    expect(await store.verifyJournal()).toMatchObject({ ok: true, checked: 3000 });
    await store.close();
  });
});
