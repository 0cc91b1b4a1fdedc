// Crypto core figures: wasm size of the core against its 3,072-byte target, AES-128 block
// throughput (bulk and single-block calls) and AES-CMAC over 16, 64 and 127 bytes, each as a
// ratio against @noble/ciphers (and node:crypto for AES) measured in the same process and run.

import { spawnSync } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cmac as nobleCmac, ecb } from "@noble/ciphers/aes.js";
import type { Report } from "./harness.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CORE_TARGET_BYTES = 3072;
const BLOCK_LEN = 16;
const BULK_LEN = 16384;
const CMAC_LENGTHS = [16, 64, 127] as const;
/** Wall time per measured side; warm-up runs the same body first. */
const MEASURE_MS = 400;
const WARMUP_MS = 100;

type Fn = (...args: number[]) => number;

/** Calls `body` in batches until `ms` pass; returns calls per second. */
function rate(body: () => void, ms = MEASURE_MS): number {
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) body();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 64; i++) body();
    calls += 64;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
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
    const result = spawnSync(process.execPath, [asc, join(ROOT, "assembly/crypto/core.ts"),
      "--config", config, "--runtime", "stub", "--initialMemory", "1", "--maximumMemory", "1",
      "--disable", "bulk-memory,sign-extension,mutable-globals,nontrapping-f2i",
      "-O3", "--shrinkLevel", "2", "--converge", "--noAssert", "-o", out], { cwd: ROOT });
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
    report({
      bench: "crypto.size",
      method: "assembly/crypto/core.ts (raw core exports, no validating wrappers) compiled with "
        + "the release options; codeBytes = code section (all function bodies)",
      coreModuleBytes: core.length,
      codeBytes: sections.get(CODE_SECTION) ?? 0,
      dataBytes: sections.get(DATA_SECTION) ?? 0,
      targetBytes: CORE_TARGET_BYTES,
      ratioToTarget: +(core.length / CORE_TARGET_BYTES).toFixed(3),
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

  // Bulk: BULK_LEN bytes per call, key schedule kept on every side.
  const bulk = new Uint8Array(BULK_LEN).map((_, i) => i & 0xff);
  memory.set(bulk, bulkAt);
  const blocks = BULK_LEN / BLOCK_LEN;
  const nodeEcb = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  const wasmBulk = rate(() => fn.aesEncryptBlocks(scheduleAt, bulkAt, bulkAt, blocks)) * BULK_LEN;
  // noble refuses a second encrypt() on one instance: a new one per call (one key expansion per
  // 1,024 blocks, negligible).
  const nobleBulk = rate(() => ecb(key, { disablePadding: true }).encrypt(bulk)) * BULK_LEN;
  const nodeBulk = rate(() => nodeEcb.update(bulk)) * BULK_LEN;
  report({
    bench: "crypto.aes.bulk",
    bytesPerCall: BULK_LEN,
    wasmMBps: +(wasmBulk / 1e6).toFixed(1),
    nobleEcbMBps: +(nobleBulk / 1e6).toFixed(1),
    nodeCryptoMBps: +(nodeBulk / 1e6).toFixed(1),
    ratioVsNoble: +(wasmBulk / nobleBulk).toFixed(3),
    ratioVsNodeCrypto: +(wasmBulk / nodeBulk).toFixed(3),
    target: "ratioVsNoble >= 0.7",
  });

  // Single block per call: copy in, encrypt, copy out, as a caller from JS would.
  const block = bulk.subarray(0, BLOCK_LEN);
  const wasmSingle = rate(() => {
    memory.set(block, blockAt);
    fn.aesEncryptBlock(scheduleAt, blockAt, blockAt);
    memory.slice(blockAt, blockAt + BLOCK_LEN);
  });
  const nobleSingle = rate(() => ecb(key, { disablePadding: true }).encrypt(block));
  const nodeSingle = rate(() => nodeEcb.update(block));
  report({
    bench: "crypto.aes.single",
    note: "noble ecb() re-expands the key per call; node:crypto and wasm keep the schedule",
    wasmBlocksPerSec: Math.round(wasmSingle),
    nobleEcbBlocksPerSec: Math.round(nobleSingle),
    nodeCryptoBlocksPerSec: Math.round(nodeSingle),
    ratioVsNoble: +(wasmSingle / nobleSingle).toFixed(3),
    ratioVsNodeCrypto: +(wasmSingle / nodeSingle).toFixed(3),
  });

  // CMAC one-shot (key expanded per call on both sides), message copied in and tag copied out.
  for (const len of CMAC_LENGTHS) {
    const message = bulk.subarray(0, len);
    const wasm = rate(() => {
      memory.set(message, bulkAt);
      fn.cmac(keyAt, bulkAt, len, tagAt);
      memory.slice(tagAt, tagAt + BLOCK_LEN);
    });
    const noble = rate(() => nobleCmac(message, key));
    report({
      bench: `crypto.cmac.${len}`,
      messageBytes: len,
      wasmPerSec: Math.round(wasm),
      noblePerSec: Math.round(noble),
      ratioVsNoble: +(wasm / noble).toFixed(3),
      target: len === 64 ? "ratioVsNoble >= 1.0" : undefined,
    });
  }
}
