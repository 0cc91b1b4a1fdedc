// Key derivation building blocks of the authority (docs/schemes.md, "Derivations"): the labels,
// the little-endian ID contexts, a node:crypto fast path of host/crypto kdfSha256 for bulk pool
// derivation (checked equal to kdfSha256 in test/authority-derive.test.ts), the seeded ring
// generator that nodes also run, and GF(2^31 - 1) arithmetic for polynomial shares.
//
// Not protected against: side channels of the JavaScript engine (timing of Map lookups, BigInt
// free code paths only); keys live in ordinary memory until wiped.

import { createHmac } from "node:crypto";
import { Aes128, BLOCK_LEN, KEY_LEN } from "../crypto/index.js";

/** Labels of every derivation, fixed by docs/schemes.md. */
export const LABEL = {
  pool: "pool",
  node: "node",
  full: "full",
  pairwise: "pairwise",
  pairing: "pairing",
  qcomposite: "qcomposite",
  polypool: "polypool",
  polypoolKey: "polypool-key",
  leapInitial: "leap-initial",
  leapNode: "leap-node",
  leapPair: "leap-pair",
  ringSeed: "ring-seed",
  ringSecret: "ring-secret",
  chain: "tesla-chain",
} as const;

export const MASTER_LEN = 32;

/** u32 values as consecutive little-endian words: the context of every ID-bound derivation. */
export function le32(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((value, i) => view.setUint32(4 * i, value >>> 0, true));
  return out;
}

/**
 * kdfSha256(master, label, context) for a 16-byte output, through node:crypto's HMAC: the one
 * block is HMAC(master, [1]_32 BE || label || 0x00 || context || [128]_32 BE), truncated.
 */
export function fastKdfSha256(master: Uint8Array, label: string, context: Uint8Array): Uint8Array {
  const labelBytes = Buffer.from(label, "utf8");
  const input = Buffer.alloc(4 + labelBytes.length + 1 + context.length + 4);
  input.writeUInt32BE(1, 0);
  labelBytes.copy(input, 4);
  input.set(context, 4 + labelBytes.length + 1);
  input.writeUInt32BE(KEY_LEN * 8, input.length - 4);
  const mac = createHmac("sha256", master).update(input).digest();
  const out = new Uint8Array(mac.subarray(0, KEY_LEN));
  mac.fill(0);
  input.fill(0);
  return out;
}

/**
 * Derives the pool keys with IDs [from, from + count) into one buffer of count * 16 bytes:
 * key i = kdfSha256(master, "pool", i as u32 LE).
 */
export function derivePoolKeys(master: Uint8Array, from: number, count: number): Uint8Array {
  const out = new Uint8Array(count * KEY_LEN);
  const prefix = Buffer.alloc(4 + LABEL.pool.length + 1);
  prefix.writeUInt32BE(1, 0);
  prefix.write(LABEL.pool, 4, "utf8");
  const suffix = Buffer.alloc(8);
  suffix.writeUInt32BE(KEY_LEN * 8, 4);
  const context = suffix.subarray(0, 4);
  for (let i = 0; i < count; i++) {
    context.writeUInt32LE((from + i) >>> 0, 0);
    const mac = createHmac("sha256", master).update(prefix).update(suffix).digest();
    out.set(mac.subarray(0, KEY_LEN), i * KEY_LEN);
    mac.fill(0);
  }
  return out;
}

/** Result of the ring generator: sorted distinct IDs and the words consumed. */
export interface DrawnRing {
  ids: Uint32Array;
  draws: number;
}

/** Blocks encrypted per batch by the ring generator (a few rings' worth of words). */
const RING_BATCH_BLOCKS = 64;

/**
 * The ring generator (docs/schemes.md, "Ring generator"): block j = AES_seed(nodeID || j || 0^8)
 * (u32 LE each), split into four u32 LE words; a word w < floor(2^32 / P) * P gives ID w mod P;
 * repeats are skipped until k distinct IDs. With `maxDraws` it stops after that many words
 * (a neighbour regenerating a ring from the header's draws count).
 */
export function drawRing(
  cipher: Aes128,
  nodeId: number,
  poolSize: number,
  ringSize: number,
  maxDraws = Infinity,
): DrawnRing {
  if (ringSize > poolSize) throw new RangeError(`ring size ${ringSize} exceeds pool ${poolSize}`);
  const limit = Math.floor(2 ** 32 / poolSize) * poolSize;
  const seen = new Set<number>();
  const ids = new Uint32Array(ringSize);
  let count = 0;
  let draws = 0;
  let block = 0;
  const input = new Uint8Array(RING_BATCH_BLOCKS * BLOCK_LEN);
  const inputView = new DataView(input.buffer);
  while (count < ringSize && draws < maxDraws) {
    for (let b = 0; b < RING_BATCH_BLOCKS; b++) {
      inputView.setUint32(b * BLOCK_LEN, nodeId, true);
      inputView.setUint32(b * BLOCK_LEN + 4, block + b, true);
    }
    block += RING_BATCH_BLOCKS;
    const stream = cipher.encrypt(input);
    const words = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    for (let w = 0; w < stream.length / 4 && count < ringSize && draws < maxDraws; w++) {
      const word = words.getUint32(4 * w, true);
      draws++;
      if (word >= limit) continue;
      const id = word % poolSize;
      if (seen.has(id)) continue;
      seen.add(id);
      ids[count++] = id;
    }
  }
  if (count < ringSize) {
    throw new RangeError(`ring of node ${nodeId}: ${draws} draws gave ${count} of ${ringSize} IDs`);
  }
  ids.sort();
  return { ids, draws };
}

/** p = 2^31 - 1, the polypool field. */
export const P31 = 2 ** 31 - 1;

/** a * b mod p for a, b < p, exact in doubles: split a into 15 + 16 bits so no product > 2^47. */
export function mulMod(a: number, b: number): number {
  const high = Math.floor(a / 65536);
  const low = a % 65536;
  return (((high * b) % P31) * 65536 + low * b) % P31;
}

/** A u64 given as two u32 halves, reduced mod p: 2^32 = 2 mod p. */
export function reduceU64(low: number, high: number): number {
  return (low + 2 * high) % P31;
}

/** f(v) = sum_j coefficients[j] v^j mod p, by Horner's rule (what a node computes per lane). */
export function evaluateShare(coefficients: ArrayLike<number>, v: number): number {
  let acc = 0;
  for (let j = coefficients.length - 1; j >= 0; j--) acc = (mulMod(acc, v) + coefficients[j]) % P31;
  return acc;
}
