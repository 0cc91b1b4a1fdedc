// Crash consistency of the store: a provisioning drill (provisioning/store/drill.ts: allocate,
// build the image with the authority, record flashed, record verified) in a child process killed
// with SIGKILL at random points and restarted until done; and two stations provisioning into one
// file at once. The drill runs from dist/, so the test compiles first (others' type errors do
// not stop tsc from emitting).

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../provisioning/store/index.js";

const root = resolve(import.meta.dirname, "..");
const drillModule = join(root, "dist/provisioning/store/drill.js");
let dir: string;

/** Newest modification time of the .ts files under `folder`. */
function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles to dist/ unless it is newer than every source (others' type errors still emit). */
function buildIfStale(): void {
  const built = join(root, "dist/provisioning/cli.js");
  const stale = !existsSync(built) ||
    statSync(built).mtimeMs < Math.max(newestSource(join(root, "host")),
      newestSource(join(root, "provisioning")));
  if (!stale) return;
  try {
    execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "ignore" });
  } catch {
    // tsc exits non-zero on other areas' type errors but still emits dist/.
  }
}

beforeAll(() => {
  buildIfStale();
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

describe("crash consistency", () => {
  it("finishes a 500-node run killed at random points: each ID once, none skipped silently", async () => {
    const db = join(dir, "crash.db");
    const target = 500;
    let kills = 0;
    for (let run = 0; run < 60; run++) {
      // Retire the planned leftovers on some restarts, resume them on others.
      const policy = run % 3 === 2 ? "retire" : "resume";
      const drill = startDrill({ db, station: "line-1", target, policy });
      const delay = 150 + Math.floor(Math.random() * 700);
      const timer = setTimeout(drill.kill, delay);
      const result = await drill.done;
      clearTimeout(timer);
      if (result.signal === "SIGKILL") {
        kills++;
        continue;
      }
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      break;
    }
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
      expect([count("allocate", node.node_id), count("flashed", node.node_id),
        count("verified", node.node_id)]).toEqual([1, 1, 1]);
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
