// What a node computes from its ring and a neighbour's announcement (docs/schemes.md): the
// polynomial-pool pair key (Liu & Ning, CCS 2003; lanes over GF(2^31 - 1)) and the regeneration of
// a neighbour's seeded ring from its node ID and draw count (docs/schemes.md, "Ring generator").
// host/authority/node.ts is the reference both follow. Only 32/64-bit integer arithmetic and
// AES-128; nothing allocates.
//
// Not protected against: a neighbour announcing a false draw count (the handshake that follows
// authenticates the keys, not the announcement); the seed is public by design.

import { aesExpandKey, aesEncryptBlock, AES_SCHEDULE_LEN, wipe } from "../crypto/index";
import { ringFind, ringWordAt, ringLanes, ringThreshold, ringPoolSize, ringSeed } from "./store";

/** The field prime p = 2^31 - 1 (a Mersenne prime: x mod p by shift and add). */
const P31: u64 = 0x7fffffff;
/** Most words a neighbour may claim its seeded ring took: bounds the work per HELLO. */
export const DRAWS_MAX: u32 = 4096;

const schedule = memory.data(AES_SCHEDULE_LEN, 16);
const block = memory.data(16, 16);

/** x mod p for x < 2^63. */
function reduce(x: u64): u64 {
  x = (x & P31) + (x >> 31);
  x = (x & P31) + (x >> 31);
  return x >= P31 ? x - P31 : x;
}

/**
 * Writes e_l = f_l(own, v) = sum_j b_{l,j} v^j mod p for every lane l of the share in ring record
 * `index` to `out` (u32 little-endian each), by Horner's rule from the highest power.
 */
export function evaluateLanes(index: i32, v: u32, out: usize): void {
  const t = <i32>ringThreshold();
  const lanes = <i32>ringLanes();
  const x = <u64>v % P31;
  for (let l = 0; l < lanes; l++) {
    let acc: u64 = 0;
    for (let j = t; j >= 0; j--) {
      acc = reduce(acc * x + <u64>ringWordAt(index, l * (t + 1) + j));
    }
    store<u32>(out + <usize>(4 * l), <u32>acc);
  }
}

/**
 * Regenerates the seeded ring of node `peer` from exactly `draws` generator words and calls
 * `found` with every drawn ID this node's ring also holds (a repeat may be reported twice;
 * the caller's selection ignores repeats). False when `draws` is out of bounds.
 */
export function regenerateShared(peer: u32, draws: u32, found: (id: u32) => void): bool {
  const pool = ringPoolSize();
  if (draws == 0 || draws > DRAWS_MAX || pool == 0) return false;
  // Rejection bound: words at or above floor(2^32 / P) * P would bias `w mod P`.
  const limit: u64 = (<u64>0x100000000 / pool) * pool;
  aesExpandKey(ringSeed(), schedule);
  for (let w: u32 = 0; w < draws; w++) {
    if ((w & 3) == 0) {
      wipe(block, 16);
      store<u32>(block, peer);
      store<u32>(block + 4, w >> 2);
      aesEncryptBlock(schedule, block, block);
    }
    const word = <u64>load<u32>(block + <usize>(4 * (w & 3)));
    if (word >= limit) continue;
    const id = <u32>(word % pool);
    if (ringFind(id) >= 0) found(id);
  }
  return true;
}
