// Flash protocol figures (docs/flash-protocol.md), each against a reference from the same run:
//   wire overhead  - bytes on the wire (both directions) / image bytes, 250-key EG image (<= 1.10)
//   round trips    - per image vs ceil(image / chunk) (target <= ceil + 4)
//   parallel       - 8 virtual nodes flashed at once over ptys vs one, wall time ratio (<= 1.5)
//   line time      - modelled time at 115,200 baud (wire bytes x 10 / baud) beside the raw image
// The emulator runs as a separate `predist emulate` process, as a user would run it.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, createAuthority } from "../host/authority/index.js";
import { VirtualNode, memoryLink } from "../provisioning/serial/virtual.js";
import { DEFAULT_TIMING, Session, flashImage } from "../provisioning/flash/session.js";
import { runJobs, type Job } from "../provisioning/flash/run.js";
import type { Report } from "./harness.js";

const BAUD = 115_200;
const BITS_PER_BYTE = 10;
const PARALLEL = 8;
const REPEATS = 3;
const CHUNK = 1024;

async function startEmulator(
  count: number,
  lineRate: number,
): Promise<{ dir: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "predist-bench-"));
  const cli = fileURLToPath(new URL("../../bin/predist.js", import.meta.url));
  const child = spawn(
    process.execPath,
    [cli, "emulate", "--count", String(count), "--dir", dir, "--line-rate", String(lineRate)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("ready:")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`predist emulate exited with ${code}`)));
  });
  return {
    dir,
    stop: () => {
      child.kill("SIGINT");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function wallMs(jobs: Job[]): Promise<number> {
  const started = performance.now();
  const results = await runJobs(jobs, {
    timing: DEFAULT_TIMING,
    json: true,
    trace: false,
    bars: false,
    color: false,
    out: () => {},
    err: () => {},
  });
  const failed = results.find((r) => !r.ok);
  if (failed) throw new Error(`bench flash failed on ${failed.port}: ${failed.message}`);
  return performance.now() - started;
}

export default async function (report: Report): Promise<void> {
  const authority = createAuthority({
    scheme: "eg",
    pool: 10_000,
    ring: 250,
    insecureSeed: "flash-bench",
  });
  const image = buildImage(authority, 1);

  // Wire overhead and round trips: one fresh transfer with the end-of-line check.
  const virtual = new VirtualNode();
  const result = await flashImage(new Session(memoryLink(virtual), DEFAULT_TIMING), image);
  const wire = result.stats.bytesOut + result.stats.bytesIn;
  const ceil = Math.ceil(image.length / CHUNK);
  report({
    bench: "flash wire overhead",
    image: image.length,
    wireBytes: wire,
    hostToNode: result.stats.bytesOut,
    nodeToHost: result.stats.bytesIn,
    ratio: Number((wire / image.length).toFixed(4)),
    target: 1.1,
  });
  report({
    bench: "flash round trips",
    roundTrips: result.stats.roundTrips,
    ceilImageOverChunk: ceil,
    extra: result.stats.roundTrips - ceil,
    target: `<= ceil + 4 = ${ceil + 4}`,
  });
  report({
    bench: "flash line time at 115200 baud",
    modelledMs: Number(((wire * BITS_PER_BYTE * 1000) / BAUD).toFixed(1)),
    rawImageMs: Number(((image.length * BITS_PER_BYTE * 1000) / BAUD).toFixed(1)),
  });

  // Parallel: 8 nodes at once vs 1 node alone, through real ptys to a `predist emulate` process;
  // once as fast as the ptys go (CPU bound), once with the line modelled at 115,200 baud.
  for (const lineRate of [0, BAUD]) {
    const emulator = await startEmulator(PARALLEL, lineRate);
    try {
      const ports = readdirSync(emulator.dir)
        .filter((name) => /^port\d+$/.test(name))
        .sort()
        .map((name) => join(emulator.dir, name));
      // A different image per round, so every round transfers and commits.
      const fresh = (round: number, count: number): Job[] =>
        ports
          .slice(0, count)
          .map((port, i) => ({
            port,
            source: "bench",
            image: buildImage(authority, 1000 * (round + 1) + i),
          }));
      await wallMs(fresh(0, PARALLEL));
      let one = 0;
      let eight = 0;
      for (let round = 1; round <= REPEATS; round++) {
        const single = fresh(2 * round, 1);
        one += await wallMs(single);
        const all = fresh(2 * round + 1, PARALLEL);
        eight += await wallMs(all);
      }
      report({
        bench: "flash 8 nodes in parallel vs 1",
        line: lineRate === 0 ? "pty (no pacing)" : `${lineRate} baud modelled`,
        oneNodeMs: Number((one / REPEATS).toFixed(1)),
        eightNodesMs: Number((eight / REPEATS).toFixed(1)),
        ratio: Number((eight / one).toFixed(3)),
        target: 1.5,
      });
    } finally {
      emulator.stop();
    }
  }
}
