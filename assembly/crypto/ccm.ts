// AES-CCM* as IEEE 802.15.4 uses it (IEEE 802.15.4-2006 annex B; CCM itself is NIST SP 800-38C
// and RFC 3610): 13-byte nonce, so the length field is L = 2 bytes and a payload is at most
// 65,535 bytes; tags of 4, 8 or 16 bytes; and tagLen 0, the encryption-only level, which is plain
// CTR from counter block A_1 with no authentication (annex B.4 with M = 0). The MIC-only level is
// the caller passing every byte as AAD and an empty payload.
//
// Streaming: ccmStart fixes the key, nonce and both lengths (CCM puts the payload length in B_0,
// RFC 3610 section 2.2), then ccmAad chunks, then ccmEncrypt or ccmDecrypt chunks, then ccmFinish
// (writes the tag) or ccmVerify (checks it). The CBC-MAC is CMAC's CBC chaining (cmac.ts) and
// the encryption CTR's keystream loop (ctr.ts). The context lives in caller memory:
//   [0, 212)   the CMAC context fields: schedule, CBC-MAC value X_i (RFC 3610 2.2), pending
//              CBC-MAC input, pending count
//   [212, 228) counter block A_i            [228, 244) keystream block S_i
//   then i32 fields: AAD bytes left, payload bytes left, tag length, keystream bytes used, phase.
// Any call out of order, or past a declared length, wipes the context and returns
// ERR_CRYPTO_STATE; so does every later call on it (fail closed).
//
// Not protected: streaming decryption releases plaintext before the tag is checked; a caller of
// ccmDecrypt must discard (and wipe) it unless ccmVerify returns OK. ccmOpen does that itself.
// Nonce uniqueness under one key is the caller's duty (802.15.4 frame counters). The
// encryption-only level authenticates nothing.

import { AES_BLOCK_LEN, aesEncryptBlock, aesExpandKey } from "./aes";
import {
  CBC_HELD, CBC_PENDING, CBC_STATE, CMAC_CTX_LEN, cbcPadFlush, cbcUpdate, xorBlock,
} from "./cmac";
import { ctrStream } from "./ctr";
import { copyBytes, verifyTag, wipe } from "./util";
import {
  OK, ERR_BAD_ARGUMENT, ERR_BAD_LENGTH, ERR_CRYPTO_STATE, ERR_INVALID_TAG,
} from "../status";

export const CCM_NONCE_LEN: i32 = 13;
/** Bytes of the length field: L = 15 - nonce length (RFC 3610 section 2). */
const CCM_L: i32 = 15 - CCM_NONCE_LEN;
/** The largest payload a 2-byte length field can state. */
export const CCM_DATA_MAX: i32 = (1 << (8 * CCM_L)) - 1;
export const CCM_TAG_MAX: i32 = 16;
/** Tag lengths CCM* allows here as a bit set: bit M for M = 0, 4, 8 and 16. */
const TAG_LENS_ALLOWED: u32 = (1 << 0) | (1 << 4) | (1 << 8) | (1 << 16);
/** B_0 flag bit saying AAD follows (RFC 3610 section 2.2). */
const FLAG_ADATA: u32 = 0x40;
/**
 * AAD shorter than 2^16 - 2^8 bytes has a 2-byte length encoding (RFC 3610 section 2.2); longer
 * AAD cannot fit beside a context in the node's one 64 KiB page, so it is refused.
 */
export const CCM_AAD_MAX: i32 = 0xff00 - 1;
/** Bytes of the encoded AAD length l(a) that begins the AAD blocks. */
const AAD_LENGTH_LEN: i32 = 2;

const CTX_COUNTER: usize = <usize>CMAC_CTX_LEN;
const CTX_KEYSTREAM: usize = CTX_COUNTER + 16;
const CTX_AAD_LEFT: usize = CTX_KEYSTREAM + 16;
const CTX_DATA_LEFT: usize = CTX_AAD_LEFT + 4;
const CTX_TAG_LEN: usize = CTX_DATA_LEFT + 4;
const CTX_KEYSTREAM_USED: usize = CTX_TAG_LEN + 4;
const CTX_PHASE: usize = CTX_KEYSTREAM_USED + 4;
export const CCM_CTX_LEN: i32 = <i32>CTX_PHASE + 4;
/** Phase marker of a started context; a wiped (zero) context is idle. */
const PHASE_ACTIVE: u32 = 0x43434d2a;

const ONE_SHOT_CTX = memory.data(CCM_CTX_LEN, 16);
const TAG_EXPECTED = memory.data(CCM_TAG_MAX, 16);
const TAG_RECEIVED = memory.data(CCM_TAG_MAX, 16);

function fail(ctx: usize): i32 {
  wipe(ctx, CCM_CTX_LEN);
  return ERR_CRYPTO_STATE;
}

/** True when the context is started and every AAD byte (and with `dataDone`, payload) is in. */
function ready(ctx: usize, dataDone: bool): bool {
  return load<u32>(ctx + CTX_PHASE) == PHASE_ACTIVE && load<i32>(ctx + CTX_AAD_LEFT) == 0
    && (!dataDone || load<i32>(ctx + CTX_DATA_LEFT) == 0);
}

/** B_0 and A_i share one layout: flags (1) | nonce (13) | a 2-byte big-endian value. */
function formatBlock(block: usize, flags: u32, nonce: usize, value: i32): void {
  store<u8>(block, <u8>flags);
  copyBytes(block + 1, nonce, CCM_NONCE_LEN);
  store<u8>(block, <u8>(value >> 8), AES_BLOCK_LEN - 2);
  store<u8>(block, <u8>value, AES_BLOCK_LEN - 1);
}

/**
 * Starts CCM* under `key` and the 13-byte `nonce` for exactly `aadLen` AAD bytes and `dataLen`
 * payload bytes, with a tag of `tagLen` bytes (0, 4, 8 or 16). Returns OK, ERR_BAD_ARGUMENT for
 * a tag length, or ERR_BAD_LENGTH (the context is then wiped).
 */
export function ccmStart(ctx: usize, key: usize, nonce: usize, aadLen: i32, dataLen: i32,
  tagLen: i32): i32 {
  wipe(ctx, CCM_CTX_LEN);
  if (<u32>tagLen > <u32>CCM_TAG_MAX || ((TAG_LENS_ALLOWED >> tagLen) & 1) == 0) {
    return ERR_BAD_ARGUMENT;
  }
  if (<u32>aadLen > <u32>CCM_AAD_MAX || <u32>dataLen > <u32>CCM_DATA_MAX) return ERR_BAD_LENGTH;
  aesExpandKey(key, ctx);
  store<i32>(ctx + CTX_AAD_LEFT, aadLen);
  store<i32>(ctx + CTX_DATA_LEFT, dataLen);
  store<i32>(ctx + CTX_TAG_LEN, tagLen);
  store<i32>(ctx + CTX_KEYSTREAM_USED, AES_BLOCK_LEN);
  store<u32>(ctx + CTX_PHASE, PHASE_ACTIVE);

  // Counter block A_1: flags L - 1, nonce, counter 1 (RFC 3610 section 2.3).
  formatBlock(ctx + CTX_COUNTER, CCM_L - 1, nonce, 1);
  if (tagLen == 0) return OK;

  // X_1 = AES_K(B_0); B_0 flags: Adata | M' = (M - 2) / 2 in bits 3-5 | L' = L - 1.
  const state = ctx + CBC_STATE;
  const flags = (aadLen > 0 ? FLAG_ADATA : 0) | (<u32>((tagLen - 2) >> 1) << 3) | <u32>(CCM_L - 1);
  formatBlock(state, flags, nonce, dataLen);
  aesEncryptBlock(ctx, state, state);

  // The encoded AAD length l(a) that starts the AAD blocks (RFC 3610 section 2.2).
  if (aadLen > 0) {
    store<u8>(ctx + CBC_PENDING, <u8>(aadLen >> 8));
    store<u8>(ctx + CBC_PENDING, <u8>aadLen, 1);
    store<i32>(ctx + CBC_HELD, AAD_LENGTH_LEN);
  }
  return OK;
}

/** Feeds `len` AAD bytes; the AAD ends (and is padded) when the declared length is reached. */
export function ccmAad(ctx: usize, ptr: usize, len: i32): i32 {
  const left = load<i32>(ctx + CTX_AAD_LEFT);
  if (load<u32>(ctx + CTX_PHASE) != PHASE_ACTIVE || <u32>len > <u32>left) return fail(ctx);
  if (load<i32>(ctx + CTX_TAG_LEN) != 0) {
    cbcUpdate(ctx, ptr, len);
    if (len == left) cbcPadFlush(ctx, false);
  }
  store<i32>(ctx + CTX_AAD_LEFT, left - len);
  return OK;
}

function ccmCrypt(ctx: usize, input: usize, output: usize, len: i32, decrypting: bool): i32 {
  const left = load<i32>(ctx + CTX_DATA_LEFT);
  if (!ready(ctx, false) || <u32>len > <u32>left) return fail(ctx);
  const authenticated = load<i32>(ctx + CTX_TAG_LEN) != 0;
  // The CBC-MAC runs over the plaintext: before `output` (maybe `input`) changes when
  // encrypting, after it is written when decrypting.
  if (authenticated && !decrypting) cbcUpdate(ctx, input, len);
  store<i32>(ctx + CTX_KEYSTREAM_USED, ctrStream(ctx, ctx + CTX_COUNTER, ctx + CTX_KEYSTREAM,
    load<i32>(ctx + CTX_KEYSTREAM_USED), input, output, len));
  if (authenticated) {
    if (decrypting) cbcUpdate(ctx, output, len);
    if (len == left) cbcPadFlush(ctx, false);
  }
  store<i32>(ctx + CTX_DATA_LEFT, left - len);
  return OK;
}

/** Encrypts `len` payload bytes from `input` to `output` (the same address is allowed). */
export function ccmEncrypt(ctx: usize, input: usize, output: usize, len: i32): i32 {
  return ccmCrypt(ctx, input, output, len, false);
}

/** Decrypts `len` payload bytes; the plaintext is unauthenticated until ccmVerify says OK. */
export function ccmDecrypt(ctx: usize, input: usize, output: usize, len: i32): i32 {
  return ccmCrypt(ctx, input, output, len, true);
}

/** The tag U = T xor first-M-bytes(E(A_0)) (RFC 3610 section 2.4), into `tagOut`. */
function computeTag(ctx: usize, tagOut: usize): i32 {
  if (!ready(ctx, true)) return fail(ctx);
  const tagLen = load<i32>(ctx + CTX_TAG_LEN);
  if (tagLen != 0) {
    // A_0: the counter block with counter 0.
    const counter = ctx + CTX_COUNTER;
    store<u8>(counter, 0, AES_BLOCK_LEN - 2);
    store<u8>(counter, 0, AES_BLOCK_LEN - 1);
    aesEncryptBlock(ctx, counter, counter);
    xorBlock(counter, ctx + CBC_STATE);
    copyBytes(tagOut, counter, tagLen);
  }
  wipe(ctx, CCM_CTX_LEN);
  return OK;
}

/** The tag length a started context will write or check (0 when idle). */
export function ccmTagLen(ctx: usize): i32 {
  return load<u32>(ctx + CTX_PHASE) == PHASE_ACTIVE ? load<i32>(ctx + CTX_TAG_LEN) : 0;
}

/** Writes the tag (tagLen bytes; nothing for tagLen 0) to `tagOut` and wipes the context. */
export function ccmFinish(ctx: usize, tagOut: usize): i32 {
  return computeTag(ctx, tagOut);
}

/**
 * Checks the received tag at `tag` (tagLen bytes) in constant time and wipes the context.
 * Returns OK, ERR_INVALID_TAG or ERR_CRYPTO_STATE. With tagLen 0 there is nothing to check.
 */
export function ccmVerify(ctx: usize, tag: usize): i32 {
  const tagLen = load<i32>(ctx + CTX_TAG_LEN);
  const status = computeTag(ctx, TAG_EXPECTED);
  if (status != OK) return status;
  return verifyTag(TAG_EXPECTED, tag, tagLen);
}

/** The one-shot steps before the tag: start, all the AAD, all the payload. */
function ccmRun(key: usize, nonce: usize, aad: usize, aadLen: i32, input: usize, dataLen: i32,
  tagLen: i32, out: usize, decrypting: bool): i32 {
  let status = ccmStart(ONE_SHOT_CTX, key, nonce, aadLen, dataLen, tagLen);
  if (status == OK) status = ccmAad(ONE_SHOT_CTX, aad, aadLen);
  if (status == OK) status = ccmCrypt(ONE_SHOT_CTX, input, out, dataLen, decrypting);
  return status;
}

/**
 * CCM* seal with a 13-byte nonce: writes ciphertext || tag (tagLen 0, 4, 8, 16) to `out`, which
 * may equal `data` but must not overlap `aad`. Returns OK or a status code.
 */
export function ccmSeal(key: usize, nonce: usize, aad: usize, aadLen: i32, data: usize,
  dataLen: i32, tagLen: i32, out: usize): i32 {
  const status = ccmRun(key, nonce, aad, aadLen, data, dataLen, tagLen, out, false);
  return status == OK ? computeTag(ONE_SHOT_CTX, out + <usize>dataLen) : status;
}

/** CCM* open: writes the plaintext to `out`; returns ERR_INVALID_TAG and wipes `out` on failure. */
export function ccmOpen(key: usize, nonce: usize, aad: usize, aadLen: i32, sealed: usize,
  sealedLen: i32, tagLen: i32, out: usize): i32 {
  // Bounded here so the copy below stays inside TAG_RECEIVED; ccmStart rejects 5, 6, ...
  if (<u32>tagLen > <u32>CCM_TAG_MAX) return ERR_BAD_ARGUMENT;
  const dataLen = sealedLen - tagLen;
  if (dataLen < 0) return ERR_BAD_LENGTH;
  // Keep the received tag apart: `out` may overwrite `sealed`.
  copyBytes(TAG_RECEIVED, sealed + <usize>dataLen, tagLen);
  let status = ccmRun(key, nonce, aad, aadLen, sealed, dataLen, tagLen, out, true);
  if (status == OK) status = ccmVerify(ONE_SHOT_CTX, TAG_RECEIVED);
  wipe(TAG_RECEIVED, CCM_TAG_MAX);
  // Fail closed: no byte of an unauthenticated plaintext survives. Only a tag mismatch comes
  // after decryption; every other failure returns before `out` is written.
  if (status == ERR_INVALID_TAG) wipe(out, dataLen);
  return status;
}
