// Crypto core figures: wasm size of the core against its 3,072-byte code target, AES-128 block
// throughput (bulk and single-block calls) and AES-CMAC over 16, 64 and 127 bytes, each as a
// ratio against @noble/ciphers (and node:crypto for AES) measured in the same process.
//
// The machine is shared, so its speed changes from one second to the next. The sides of each
// comparison therefore run interleaved: ROUNDS rounds, each giving every side one SLICE_MS slice
// of this process's CPU time (the order rotating per round), and a ratio is taken per round from
// slices a few milliseconds apart. CPU time, not wall time: time the process spends descheduled
// by other jobs is not charged to whichever side happened to be running (wall-time slices gave
// per-round ratios from 0.2x to 2.9x on one run). The report gives the median ratio and the min
// and max over the rounds.

import { spawnSync } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cmac as nobleCmac, ecb } from "@noble/ciphers/aes.js";
import type { Report } from "./harness.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Target for the code section (all function bodies) of the raw core. */
const CORE_TARGET_BYTES = 3072;
const BLOCK_LEN = 16;
const BULK_LEN = 16384;
const CMAC_LENGTHS = [16, 64, 127] as const;
/** Interleaved rounds per comparison, and the CPU time of one side's slice in a round. */
const ROUNDS = 20;
const SLICE_MS = 50;
/** Warm-up per side before the rounds (lets the JIT settle), also used to size a batch. */
const WARMUP_MS = 100;
/** A batch of calls between clock reads lasts about this long. */
const BATCH_MS = 1;

type Fn = (...args: number[]) => number;

interface Side {
  body: () => void;
  /** Calls between clock reads, fixed during warm-up. */
  batch: number;
  rates: number[];
}

/** CPU time of this process (every thread: V8's GC helpers count), in milliseconds. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Runs `body` in batches for `ms` milliseconds of CPU time; returns calls per CPU second. */
function slice(side: Side, ms: number): number {
  let calls = 0;
  const start = cpuMs();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < side.batch; i++) side.body();
    calls += side.batch;
    now = cpuMs();
  }
  return (calls * 1000) / (now - start);
}

/**
 * Measures every side in ROUNDS interleaved slices; returns calls per second per side and round.
 * The first side is the subject: ratios are subject rate / other rate within one round.
 */
function interleaved(bodies: Record<string, () => void>): Map<string, number[]> {
  const sides = new Map<string, Side>();
  for (const [name, body] of Object.entries(bodies)) {
    const side: Side = { body, batch: 1, rates: [] };
    const perSecond = slice(side, WARMUP_MS);
    side.batch = Math.max(1, Math.round((perSecond * BATCH_MS) / 1000));
    sides.set(name, side);
  }
  const order = [...sides.values()];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no side always runs first (or right after a garbage-heavy one).
    for (let k = 0; k < order.length; k++) {
      const side = order[(round + k) % order.length];
      side.rates.push(slice(side, SLICE_MS));
    }
  }
  return new Map([...sides].map(([name, side]) => [name, side.rates]));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round3 = (x: number): number => +x.toFixed(3);

/** Median, min and max of the per-round ratios subject / reference. */
function ratio(subject: number[], reference: number[]): Record<string, number> {
  const ratios = subject.map((s, i) => s / reference[i]);
  return {
    median: round3(median(ratios)),
    min: round3(Math.min(...ratios)),
    max: round3(Math.max(...ratios)),
  };
}

/** Section sizes of a wasm binary, by section id. */
function sectionSizes(bytes: Uint8Array): Map<number, number> {
  const sizes = new Map<number, number>();
  let p = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[p++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    sizes.set(id, (sizes.get(id) ?? 0) + size);
    p += size;
  }
  return sizes;
}

const CODE_SECTION = 10;
const DATA_SECTION = 11;

/** Compiles assembly/crypto/core.ts (raw exports, no wrappers) as the release target does. */
function buildCoreOnly(): Uint8Array | undefined {
  const dir = mkdtempSync(join(tmpdir(), "predist-core-"));
  try {
    const config = join(dir, "asconfig.json");
    writeFileSync(config, "{}");
    const out = join(dir, "core.wasm");
    const asc = join(ROOT, "node_modules/assemblyscript/bin/asc.js");
    const result = spawnSync(
      process.execPath,
      [
        asc,
        join(ROOT, "assembly/crypto/core.ts"),
        "--config",
        config,
        "--runtime",
        "stub",
        "--initialMemory",
        "1",
        "--maximumMemory",
        "1",
        "--disable",
        "bulk-memory,sign-extension,mutable-globals,nontrapping-f2i",
        "-O3",
        "--shrinkLevel",
        "2",
        "--converge",
        "--noAssert",
        "-o",
        out,
      ],
      { cwd: ROOT },
    );
    if (result.status !== 0) return undefined;
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function crypto(report: Report): Promise<void> {
  const cryptoBytes = new Uint8Array(readFileSync(join(ROOT, "build/crypto.wasm")));
  const core = buildCoreOnly();
  if (core === undefined) {
    report({ bench: "crypto.size", error: "could not compile assembly/crypto/core.ts" });
  } else {
    const sections = sectionSizes(core);
    const codeBytes = sections.get(CODE_SECTION) ?? 0;
    report({
      bench: "crypto.size",
      method:
        "assembly/crypto/core.ts (raw core exports, no validating wrappers) compiled with " +
        "the release options; codeBytes = code section (all function bodies), the target's " +
        "measure; coreModuleBytes adds export names, types and the data section",
      codeBytes,
      targetBytes: CORE_TARGET_BYTES,
      ratioToTarget: round3(codeBytes / CORE_TARGET_BYTES),
      coreModuleBytes: core.length,
      dataBytes: sections.get(DATA_SECTION) ?? 0,
      cryptoWasmBytes: cryptoBytes.length,
      nodeWasmBytes: statSync(join(ROOT, "build/node.wasm")).size,
    });
  }

  const instance = new WebAssembly.Instance(new WebAssembly.Module(cryptoBytes), {});
  const fn = instance.exports as unknown as Record<string, Fn>;
  const memory = new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer);
  const scratch = fn.scratch();
  const key = new Uint8Array(BLOCK_LEN).map((_, i) => i * 17 + 1);
  const keyAt = scratch;
  const scheduleAt = scratch + 64;
  const blockAt = scratch + 256;
  const tagAt = scratch + 512;
  const bulkAt = scratch + 1024;
  memory.set(key, keyAt);
  fn.aesExpandKey(keyAt, scheduleAt);
  const method =
    `${ROUNDS} interleaved rounds of ${SLICE_MS} ms CPU time per side, order ` +
    "rotated; ratio = per-round wasm rate / reference rate (median, min, max)";

  // Bulk: BULK_LEN bytes per call, key schedule kept on every side.
  const bulk = new Uint8Array(BULK_LEN).map((_, i) => i & 0xff);
  memory.set(bulk, bulkAt);
  const blocks = BULK_LEN / BLOCK_LEN;
  const nodeEcb = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  // noble refuses a second encrypt() on one instance: a new one per call (one key expansion per
  // 1,024 blocks, negligible).
  const bulkRates = interleaved({
    wasm: () => fn.aesEncryptBlocks(scheduleAt, bulkAt, bulkAt, blocks),
    noble: () => ecb(key, { disablePadding: true }).encrypt(bulk),
    node: () => nodeEcb.update(bulk),
  });
  const mbps = (rates: number[]): number => +((median(rates) * BULK_LEN) / 1e6).toFixed(1);
  report({
    bench: "crypto.aes.bulk",
    method,
    bytesPerCall: BULK_LEN,
    wasmMBps: mbps(bulkRates.get("wasm")!),
    nobleEcbMBps: mbps(bulkRates.get("noble")!),
    nodeCryptoMBps: mbps(bulkRates.get("node")!),
    ratioVsNoble: ratio(bulkRates.get("wasm")!, bulkRates.get("noble")!),
    ratioVsNodeCrypto: ratio(bulkRates.get("wasm")!, bulkRates.get("node")!),
    target: "ratioVsNoble.median >= 0.7",
  });

  // Single block per call: copy in, encrypt, copy out, as a caller from JS would.
  const block = bulk.subarray(0, BLOCK_LEN);
  const singleRates = interleaved({
    wasm: () => {
      memory.set(block, blockAt);
      fn.aesEncryptBlock(scheduleAt, blockAt, blockAt);
      memory.slice(blockAt, blockAt + BLOCK_LEN);
    },
    noble: () => ecb(key, { disablePadding: true }).encrypt(block),
    node: () => nodeEcb.update(block),
  });
  report({
    bench: "crypto.aes.single",
    method,
    note: "noble ecb() re-expands the key per call; node:crypto and wasm keep the schedule",
    wasmBlocksPerSec: Math.round(median(singleRates.get("wasm")!)),
    nobleEcbBlocksPerSec: Math.round(median(singleRates.get("noble")!)),
    nodeCryptoBlocksPerSec: Math.round(median(singleRates.get("node")!)),
    ratioVsNoble: ratio(singleRates.get("wasm")!, singleRates.get("noble")!),
    ratioVsNodeCrypto: ratio(singleRates.get("wasm")!, singleRates.get("node")!),
  });

  // CMAC one-shot (key expanded per call on both sides), message copied in and tag copied out.
  for (const len of CMAC_LENGTHS) {
    const message = bulk.subarray(0, len);
    const rates = interleaved({
      wasm: () => {
        memory.set(message, bulkAt);
        fn.cmac(keyAt, bulkAt, len, tagAt);
        memory.slice(tagAt, tagAt + BLOCK_LEN);
      },
      noble: () => nobleCmac(message, key),
    });
    report({
      bench: `crypto.cmac.${len}`,
      method,
      messageBytes: len,
      wasmPerSec: Math.round(median(rates.get("wasm")!)),
      noblePerSec: Math.round(median(rates.get("noble")!)),
      ratioVsNoble: ratio(rates.get("wasm")!, rates.get("noble")!),
      target: len === 64 ? "ratioVsNoble.median >= 1.0" : undefined,
    });
  }
}
