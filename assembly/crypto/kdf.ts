// Key derivation in counter mode (NIST SP 800-108r1 section 4.1) with AES-CMAC as the PRF
// (SP 800-108r1 section 3 allows CMAC; SP 800-38B). Block i, from 1, is
//   K(i) = CMAC(key, [i]_32 || fixed input)
// with the counter as a 32-bit big-endian integer (r = 32) placed before the fixed input. kdf()
// builds the fixed input of host/crypto kdf(): Label || 0x00 || Context || [8 * outLen]_32.
// kdfCounter() takes an opaque fixed input, as NIST CAVP KDFCTR vectors state it.
//
// Not protected: the PRF's 128-bit key bounds the strength; outLen is limited to 255 blocks
// (4,080 bytes) like host/crypto. Output bytes are written as they are made, so `out` must not
// overlap the key, label or context.

import { AES_BLOCK_LEN } from "./aes";
import { CMAC_CTX_LEN, CMAC_TAG_LEN, cmacFinish, cmacInit, cmacUpdate } from "./cmac";
import { copyBytes, wipe } from "./util";
import { OK, ERR_BAD_LENGTH } from "../status";

/** Longest output: 255 PRF blocks, the limit host/crypto kdf() enforces. */
export const KDF_OUT_MAX: i32 = 255 * AES_BLOCK_LEN;
const COUNTER_LEN: i32 = 4;
/** The separator byte between Label and Context (SP 800-108r1 section 4). */
const SEPARATOR: u8 = 0x00;

const CTX = memory.data(CMAC_CTX_LEN, 16);
const BLOCK = memory.data(CMAC_TAG_LEN, 16);
/** [i]_32, the separator and [L]_32, staged for cmacUpdate. */
const COUNTER = memory.data(COUNTER_LEN, 4);
const SEPARATOR_BYTE = memory.data(1, 1);
const LENGTH_FIELD = memory.data(COUNTER_LEN, 4);

function storeU32BigEndian(ptr: usize, value: u32): void {
  store<u32>(ptr, bswap<u32>(value));
}

/**
 * The counter-mode loop over the fixed input a || 0x00 || b || [8 * outLen]_32 (label a, context
 * b) when `fields` is 1, or over [a, a + aLen) alone when `fields` and bLen are 0.
 */
function run(key: usize, a: usize, aLen: i32, b: usize, bLen: i32, fields: i32, out: usize,
  outLen: i32): i32 {
  if (outLen < 1 || outLen > KDF_OUT_MAX || aLen < 0 || bLen < 0) return ERR_BAD_LENGTH;
  cmacInit(CTX, key);
  storeU32BigEndian(LENGTH_FIELD, <u32>outLen << 3);
  store<u8>(SEPARATOR_BYTE, SEPARATOR);
  for (let i = 1, done = 0; done < outLen; i++, done += AES_BLOCK_LEN) {
    storeU32BigEndian(COUNTER, <u32>i);
    cmacUpdate(CTX, COUNTER, COUNTER_LEN);
    cmacUpdate(CTX, a, aLen);
    cmacUpdate(CTX, SEPARATOR_BYTE, fields);
    cmacUpdate(CTX, b, bLen);
    cmacUpdate(CTX, LENGTH_FIELD, fields * COUNTER_LEN);
    // cmacFinish leaves the schedule and an empty message for the next block.
    cmacFinish(CTX, BLOCK);
    const take = outLen - done < AES_BLOCK_LEN ? outLen - done : AES_BLOCK_LEN;
    copyBytes(out + <usize>done, BLOCK, take);
  }
  wipe(CTX, CMAC_CTX_LEN);
  wipe(BLOCK, CMAC_TAG_LEN);
  return OK;
}

/** SP 800-108 counter-mode KDF with AES-CMAC; the layout of host/crypto kdf(). */
export function kdf(key: usize, label: usize, labelLen: i32, context: usize, contextLen: i32,
  out: usize, outLen: i32): i32 {
  return run(key, label, labelLen, context, contextLen, 1, out, outLen);
}

/** The same KDF over an opaque fixed input (the form of NIST CAVP KDFCTR, counter first). */
export function kdfCounter(key: usize, fixed: usize, fixedLen: i32, out: usize, outLen: i32): i32 {
  return run(key, fixed, fixedLen, 0, 0, 0, out, outLen);
}
