// The sealed store holds no key: after init, provisioning records, an unseal session, a
// revocation, a capture report and an export with secrets, no 16-byte window of any pool key,
// node key, μTESLA chain key, the master, the KEK or a share value (raw or as hex) appears in the
// .db, -wal or -shm file. The keys are derived here with the authority from the unsealed master.

import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthority } from "../host/authority/index.js";
import { authorityOptions, obtainKek, obtainMaster } from "../provisioning/custody/index.js";
import { decodeShare } from "../provisioning/custody/share-code.js";
import { openStore } from "../provisioning/store/index.js";

const root = resolve(import.meta.dirname, "..");
let dir: string;
let configDir: string;

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
  dir = mkdtempSync(join(tmpdir(), "predist-cli-"));
  configDir = join(dir, "config");
  process.env.PREDIST_CONFIG_DIR = configDir;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `predist` in a child process; resolves with its exit code and output. */
function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(root, "bin/predist.js"), ...args], {
      cwd: dir,
      env: { ...process.env, PREDIST_CONFIG_DIR: configDir, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

async function initStore(name: string, ...extra: string[]): Promise<{ db: string; shares: string[] }> {
  const db = join(dir, `${name}.db`);
  const shareDir = join(dir, `${name}-shares`);
  const r = await run("init", "--db", db, "--share-dir", shareDir, "--pool", "64", "--ring", "8",
    "--chain-length", "50", ...extra);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const shares = readdirSync(shareDir).sort().map((f) => join(shareDir, f));
  return { db, shares };
}

const flags = (files: string[]) => files.flatMap((f) => ["--share", f]);

async function register(db: string, count: number): Promise<void> {
  const store = await openStore({ path: db, station: "test" });
  for (let i = 0; i < count; i++) {
    const node = await store.allocateNode({ scheme: "eg" });
    await store.markFlashed(node.nodeId, { imageDigest: "0a".repeat(16) });
    await store.markVerified(node.nodeId);
  }
  await store.close();
}

describe("sealed store", () => {
  it("leaves no key byte of pool, master, KEK or shares in the .db, -wal and -shm files", async () => {
    const { db, shares } = await initStore("scan");
    // Hold a connection open so the WAL and shared-memory files stay on disk while we scan.
    const holder = new Database(db);
    holder.prepare("SELECT count(*) FROM journal").get();
    await register(db, 8);
    await run("unseal", "--db", db, "--session", ...flags(shares.slice(0, 3)));
    await run("revoke", "--db", db, "--node", "2", "--out", join(dir, "scan-rev.json"));
    await run("report", "--db", db, "--node", "4");
    const passFile = join(dir, "pass.txt");
    writeFileSync(passFile, "a long enough export passphrase\n");
    await run("export", "--db", db, "--out", join(dir, "scan-export"), "--with-secrets",
      "--passphrase-file", passFile);

    const store = await openStore({ path: db });
    const kek = await obtainKek(store, { dbPath: db, shareFiles: shares.slice(0, 3) });
    const master = await obtainMaster(store, { dbPath: db, shareFiles: shares.slice(0, 3) });
    const record = (await store.getAuthority())!;
    await store.close();
    const authority = createAuthority({ ...authorityOptions(record), master: master.slice() });
    const secrets: Uint8Array[] = [master, kek];
    for (let id = 0; id < 64; id++) secrets.push(authority.poolKey(id));
    for (let id = 1; id <= 8; id++) secrets.push(authority.nodeKey(id));
    for (let i = 1; i <= 50; i++) secrets.push(authority.chainKey(i));
    for (const f of shares) secrets.push(decodeShare(readFileSync(f, "utf8"), f).value);
    authority.destroy();

    const files = [db, `${db}-wal`, `${db}-shm`];
    expect(existsSync(`${db}-wal`)).toBe(true);
    const contents = files.map((f) => readFileSync(f));
    // The scan sees the store's content: the (public) authority ID and the journal are there.
    const all = Buffer.concat(contents);
    expect(all.indexOf(Buffer.from(record.authorityId))).toBeGreaterThanOrEqual(0);
    expect(all.indexOf(Buffer.from("capture-report"))).toBeGreaterThanOrEqual(0);
    for (const [f, bytes] of contents.entries()) {
      for (const secret of secrets) {
        // Each 16-byte half of a secret, raw and as hex: a leak of either would show.
        for (let at = 0; at + 16 <= secret.length; at += 16) {
          const window = Buffer.from(secret.subarray(at, at + 16));
          expect(bytes.indexOf(window), files[f]).toBe(-1);
          expect(bytes.indexOf(Buffer.from(window.toString("hex"))), files[f]).toBe(-1);
        }
      }
    }
    holder.close();
  });
});
