// The CLI as a user runs it, for the store and custody tests: `node bin/predist.js` (over dist/,
// built by `npm test`) in a child process, in a temporary folder with its own config folder (the
// unseal session's machine secret), plus helpers to create a small store and register nodes.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { openStore } from "../../provisioning/store/index.js";

const binary = resolve(import.meta.dirname, "../../bin/predist.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StoreCli {
  /** The temporary folder the commands run in. */
  dir(): string;
  /** Runs `predist ...args`; resolves with its exit code and output. */
  run(...args: string[]): Promise<CliResult>;
  /** `predist init` of a small eg store (P = 64, k = 8); returns its file and share files. */
  initStore(name: string, ...extra: string[]): Promise<{ db: string; shares: string[] }>;
  /** `count` nodes allocated, flashed and verified through the store API. */
  register(db: string, count: number): Promise<void>;
}

/** `--share FILE` for each file. */
export const shareFlags = (files: string[]) => files.flatMap((file) => ["--share", file]);

/** Sets up a temporary folder for the calling test file (removed after it). */
export function useStoreCli(): StoreCli {
  let dir = "";
  let configDir = "";

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "predist-cli-"));
    configDir = join(dir, "config");
    process.env.PREDIST_CONFIG_DIR = configDir;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]): Promise<CliResult> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [binary, ...args], {
        cwd: dir,
        env: { ...process.env, PREDIST_CONFIG_DIR: configDir, NO_COLOR: "1" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
    });

  const initStore = async (name: string, ...extra: string[]) => {
    const db = join(dir, `${name}.db`);
    const shareDir = join(dir, `${name}-shares`);
    const result = await run(
      "init",
      "--db",
      db,
      "--share-dir",
      shareDir,
      "--pool",
      "64",
      "--ring",
      "8",
      "--chain-length",
      "50",
      ...extra,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const shares = readdirSync(shareDir)
      .sort()
      .map((file) => join(shareDir, file));
    return { db, shares };
  };

  const register = async (db: string, count: number) => {
    const store = await openStore({ path: db, station: "test" });
    for (let i = 0; i < count; i++) {
      const node = await store.allocateNode({ scheme: "eg" });
      await store.markFlashed(node.nodeId, { imageDigest: "0a".repeat(16) });
      await store.markVerified(node.nodeId);
    }
    await store.close();
  };

  return { dir: () => dir, run, initStore, register };
}
