// AES-CMAC (NIST SP 800-38B, RFC 4493): a 16-byte tag over a message of any length, streaming
// (cmacInit / cmacUpdate / cmacFinal with the context in caller memory) and one-shot (cmac).
//
// Context layout (CMAC_CTX_LEN bytes, caller memory, wiped by cmacFinal):
//   [0, 176)   AES key schedule          [176, 192) chaining value C_i (SP 800-38B 6.2 step 6)
//   [192, 208) pending bytes of the last, possibly partial block   [208, 212) pending count
// The last block is held back until cmacFinal, which needs to know whether it is complete
// (SP 800-38B section 6.2 step 4).
//
// Not protected: the AES underneath is table-based (see aes.ts). A tag shorter than 64 bits
// is the caller's choice (SP 800-38B appendix A discusses the risk).

import { AES_BLOCK_LEN, AES_SCHEDULE_LEN, aesEncryptBlock, aesExpandKey } from "./aes";
import { constantTimeEqual, wipe } from "./util";
import { OK, ERR_BAD_LENGTH, ERR_INVALID_TAG } from "../status";

export const CMAC_TAG_LEN: i32 = 16;
const CTX_STATE: usize = <usize>AES_SCHEDULE_LEN;
const CTX_PENDING: usize = CTX_STATE + <usize>AES_BLOCK_LEN;
const CTX_PENDING_LEN: usize = CTX_PENDING + <usize>AES_BLOCK_LEN;
export const CMAC_CTX_LEN: i32 = <i32>CTX_PENDING_LEN + 4;
/** R_128 of SP 800-38B section 5.3: the constant folded in when doubling overflows. */
const CMAC_RB: u32 = 0x87;
/** Padding marker of SP 800-38B section 6.2 step 3: a 1 bit, then zeros. */
const CMAC_PAD: u8 = 0x80;

const SUBKEY = memory.data(AES_BLOCK_LEN, 16);
const ONE_SHOT_CTX = memory.data(CMAC_CTX_LEN, 16);
const ONE_SHOT_TAG = memory.data(CMAC_TAG_LEN, 16);

/** XORs the 16 bytes at `src` into the 16 bytes at `dst`, a word at a time. */
export function xorBlock(dst: usize, src: usize): void {
  store<u32>(dst, load<u32>(dst, 0) ^ load<u32>(src, 0), 0);
  store<u32>(dst, load<u32>(dst, 4) ^ load<u32>(src, 4), 4);
  store<u32>(dst, load<u32>(dst, 8) ^ load<u32>(src, 8), 8);
  store<u32>(dst, load<u32>(dst, 12) ^ load<u32>(src, 12), 12);
}

/** Doubling in GF(2^128), big-endian, in place (SP 800-38B section 6.1 steps 2-3). */
function doubleBlock(block: usize): void {
  const carry = <u32>load<u8>(block) >> 7;
  for (let i = 0; i < AES_BLOCK_LEN - 1; i++) {
    const at = block + <usize>i;
    store<u8>(at, (<u32>load<u8>(at) << 1) | (<u32>load<u8>(at, 1) >> 7));
  }
  const last = block + <usize>(AES_BLOCK_LEN - 1);
  store<u8>(last, (<u32>load<u8>(last) << 1) ^ (CMAC_RB & -carry));
}

/** Starts a new message under the schedule already in `ctx` (the KDF reuses one schedule). */
export function cmacRestart(ctx: usize): void {
  wipe(ctx + CTX_STATE, CMAC_CTX_LEN - <i32>CTX_STATE);
}

export function cmacInit(ctx: usize, key: usize): void {
  aesExpandKey(key, ctx);
  cmacRestart(ctx);
}

export function cmacUpdate(ctx: usize, ptr: usize, len: i32): void {
  const state = ctx + CTX_STATE;
  let held = load<i32>(ctx + CTX_PENDING_LEN);
  for (let i = 0; i < len; i++) {
    // A full pending block is absorbed only once another byte follows it (it may be the last).
    if (held == AES_BLOCK_LEN) {
      xorBlock(state, ctx + CTX_PENDING);
      aesEncryptBlock(ctx, state, state);
      held = 0;
    }
    store<u8>(ctx + CTX_PENDING + <usize>held, load<u8>(ptr + <usize>i));
    held++;
  }
  store<i32>(ctx + CTX_PENDING_LEN, held);
}

/** Writes the 16-byte tag to `tagOut` and leaves the schedule in `ctx` (for cmacRestart). */
export function cmacFinish(ctx: usize, tagOut: usize): void {
  const state = ctx + CTX_STATE;
  const pending = ctx + CTX_PENDING;
  const held = load<i32>(ctx + CTX_PENDING_LEN);
  // Subkeys (SP 800-38B section 6.1): L = AES_K(0^128), K1 = dbl(L), K2 = dbl(K1).
  wipe(SUBKEY, AES_BLOCK_LEN);
  aesEncryptBlock(ctx, SUBKEY, SUBKEY);
  doubleBlock(SUBKEY);
  if (held < AES_BLOCK_LEN) {
    // An incomplete (or empty) last block is padded and takes K2 (section 6.2 step 3).
    store<u8>(pending + <usize>held, CMAC_PAD);
    for (let i = held + 1; i < AES_BLOCK_LEN; i++) store<u8>(pending + <usize>i, 0);
    doubleBlock(SUBKEY);
  }
  xorBlock(state, pending);
  xorBlock(state, SUBKEY);
  aesEncryptBlock(ctx, state, tagOut);
  wipe(SUBKEY, AES_BLOCK_LEN);
}

/** Writes the 16-byte tag to `tagOut` and wipes the context. */
export function cmacFinal(ctx: usize, tagOut: usize): void {
  cmacFinish(ctx, tagOut);
  wipe(ctx, CMAC_CTX_LEN);
}

export function cmac(key: usize, ptr: usize, len: i32, tagOut: usize): void {
  cmacInit(ONE_SHOT_CTX, key);
  cmacUpdate(ONE_SHOT_CTX, ptr, len);
  cmacFinal(ONE_SHOT_CTX, tagOut);
}

/**
 * Checks a tag of `tagLen` bytes (1 to 16: the leftmost bytes of the full tag, SP 800-38B
 * section 6.2 step 7) in constant time. Returns OK, ERR_INVALID_TAG or ERR_BAD_LENGTH.
 */
export function cmacVerify(key: usize, ptr: usize, len: i32, tag: usize, tagLen: i32): i32 {
  if (tagLen < 1 || tagLen > CMAC_TAG_LEN) return ERR_BAD_LENGTH;
  cmac(key, ptr, len, ONE_SHOT_TAG);
  const equal = constantTimeEqual(ONE_SHOT_TAG, tag, tagLen);
  wipe(ONE_SHOT_TAG, CMAC_TAG_LEN);
  return equal ? OK : ERR_INVALID_TAG;
}
