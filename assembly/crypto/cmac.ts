// AES-CMAC (NIST SP 800-38B, RFC 4493): a 16-byte tag over a message of any length, streaming
// (cmacInit / cmacUpdate / cmacFinal with the context in caller memory) and one-shot (cmac); and
// the CBC chaining X = AES_K(X xor B) underneath it, which CCM*'s CBC-MAC (ccm.ts) shares.
//
// Context layout (CMAC_CTX_LEN bytes, caller memory, wiped by cmacFinal; CCM* contexts begin
// with the same fields):
//   [0, 176)   AES key schedule          [176, 192) chaining value C_i (SP 800-38B 6.2 step 6)
//   [192, 208) pending bytes of the last, possibly partial block   [208, 212) pending count
// A full pending block is held back until another byte follows it: cmacFinal must know whether
// the last block is complete (SP 800-38B section 6.2 step 4).
//
// Not protected: the AES underneath is table-based (see aes.ts). A tag shorter than 64 bits
// is the caller's choice (SP 800-38B appendix A discusses the risk).

import { AES_BLOCK_LEN, AES_SCHEDULE_LEN, aesEncryptBlock, aesExpandKey } from "./aes";
import { copyBytes, verifyTag, wipe } from "./util";
import { ERR_BAD_LENGTH } from "../status";

export const CMAC_TAG_LEN: i32 = 16;
/** Offsets of the CBC chaining fields, shared with the CCM* context. */
export const CBC_STATE: usize = <usize>AES_SCHEDULE_LEN;
export const CBC_PENDING: usize = CBC_STATE + <usize>AES_BLOCK_LEN;
export const CBC_HELD: usize = CBC_PENDING + <usize>AES_BLOCK_LEN;
/** Bytes of the CBC chaining fields after the schedule: state, pending block, pending count. */
const CBC_FIELDS_LEN: i32 = <i32>(CBC_HELD + 4 - CBC_STATE);
export const CMAC_CTX_LEN: i32 = <i32>CBC_HELD + 4;
/** R_128 of SP 800-38B section 5.3: the constant folded in when doubling overflows. */
const CMAC_RB: u32 = 0x87;
/** Padding marker of SP 800-38B section 6.2 step 3: a 1 bit, then zeros. */
const CMAC_PAD: u8 = 0x80;

const SUBKEY = memory.data(AES_BLOCK_LEN, 16);
const ONE_SHOT_CTX = memory.data(CMAC_CTX_LEN, 16);
const ONE_SHOT_TAG = memory.data(CMAC_TAG_LEN, 16);

/** XORs the 16 bytes at `src` into the 16 bytes at `dst`, a word at a time. */
export function xorBlock(dst: usize, src: usize): void {
  for (let i: usize = 0; i < <usize>AES_BLOCK_LEN; i += 4) {
    store<u32>(dst + i, load<u32>(dst + i) ^ load<u32>(src + i));
  }
}

/** One CBC step on the pending block: X = AES_K(X xor B); nothing is pending afterwards. */
function cbcAbsorb(ctx: usize): void {
  const state = ctx + CBC_STATE;
  xorBlock(state, ctx + CBC_PENDING);
  aesEncryptBlock(ctx, state, state);
  store<i32>(ctx + CBC_HELD, 0);
}

/** Appends `len` bytes; a full pending block is absorbed only once another byte follows it. */
export function cbcUpdate(ctx: usize, ptr: usize, len: i32): void {
  let held = load<i32>(ctx + CBC_HELD);
  for (let i = 0; i < len; i++) {
    if (held == AES_BLOCK_LEN) {
      cbcAbsorb(ctx);
      held = 0;
    }
    store<u8>(ctx + CBC_PENDING + <usize>held, load<u8>(ptr + <usize>i));
    held++;
  }
  store<i32>(ctx + CBC_HELD, held);
}

/**
 * Ends a CBC run: pads the pending bytes with zeros (after a 0x80 marker when `marked`, CMAC's
 * padding) and absorbs them. With nothing pending and no marker it does nothing (CCM*'s zero
 * padding of RFC 3610 section 2.2); CMAC always absorbs a last block.
 */
export function cbcPadFlush(ctx: usize, marked: bool): void {
  const held = load<i32>(ctx + CBC_HELD);
  if (held == 0 && !marked) return;
  if (held < AES_BLOCK_LEN) {
    const at = ctx + CBC_PENDING + <usize>held;
    wipe(at, AES_BLOCK_LEN - held);
    if (marked) store<u8>(at, CMAC_PAD);
  }
  cbcAbsorb(ctx);
}

/** Doubling in GF(2^128), big-endian, in place (SP 800-38B section 6.1 steps 2-3). */
function doubleBlock(block: usize): void {
  // Shift left one bit from the last byte up, each byte taking the top bit of the one after it.
  let carry: u32 = 0;
  for (let at = block + <usize>(AES_BLOCK_LEN - 1); at >= block; at--) {
    const byte = <u32>load<u8>(at);
    store<u8>(at, (byte << 1) | carry);
    carry = byte >> 7;
  }
  // The bit shifted out of the first byte folds R_128 into the last byte.
  const last = block + <usize>(AES_BLOCK_LEN - 1);
  store<u8>(last, <u32>load<u8>(last) ^ (CMAC_RB & -carry));
}

export function cmacInit(ctx: usize, key: usize): void {
  aesExpandKey(key, ctx);
  wipe(ctx + CBC_STATE, CBC_FIELDS_LEN);
}

export function cmacUpdate(ctx: usize, ptr: usize, len: i32): void {
  cbcUpdate(ctx, ptr, len);
}

/**
 * Writes the 16-byte tag to `tagOut` and starts a new message under the same schedule (the KDF
 * computes one tag per output block under one key).
 */
export function cmacFinish(ctx: usize, tagOut: usize): void {
  const held = load<i32>(ctx + CBC_HELD);
  // Subkeys (SP 800-38B section 6.1): L = AES_K(0^128), K1 = dbl(L), K2 = dbl(K1).
  wipe(SUBKEY, AES_BLOCK_LEN);
  aesEncryptBlock(ctx, SUBKEY, SUBKEY);
  doubleBlock(SUBKEY);
  // An incomplete (or empty) last block is padded and takes K2 (section 6.2 step 3).
  if (held < AES_BLOCK_LEN) doubleBlock(SUBKEY);
  xorBlock(ctx + CBC_STATE, SUBKEY);
  cbcPadFlush(ctx, true);
  copyBytes(tagOut, ctx + CBC_STATE, CMAC_TAG_LEN);
  wipe(SUBKEY, AES_BLOCK_LEN);
  wipe(ctx + CBC_STATE, CBC_FIELDS_LEN);
}

/** Writes the 16-byte tag to `tagOut` and wipes the context. */
export function cmacFinal(ctx: usize, tagOut: usize): void {
  cmacFinish(ctx, tagOut);
  wipe(ctx, AES_SCHEDULE_LEN);
}

export function cmac(key: usize, ptr: usize, len: i32, tagOut: usize): void {
  cmacInit(ONE_SHOT_CTX, key);
  cbcUpdate(ONE_SHOT_CTX, ptr, len);
  cmacFinal(ONE_SHOT_CTX, tagOut);
}

/**
 * Checks a tag of `tagLen` bytes (1 to 16: the leftmost bytes of the full tag, SP 800-38B
 * section 6.2 step 7) in constant time. Returns OK, ERR_INVALID_TAG or ERR_BAD_LENGTH.
 */
export function cmacVerify(key: usize, ptr: usize, len: i32, tag: usize, tagLen: i32): i32 {
  if (tagLen < 1 || tagLen > CMAC_TAG_LEN) return ERR_BAD_LENGTH;
  cmac(key, ptr, len, ONE_SHOT_TAG);
  return verifyTag(ONE_SHOT_TAG, tag, tagLen);
}
