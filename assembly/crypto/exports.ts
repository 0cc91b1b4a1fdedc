// Entry of build/crypto.wasm: the crypto core behind thin exports for differential tests and
// benches. Each export checks its (pointer, length) pairs against linear memory and its lengths
// against the primitive's limits, then calls the core; it returns a status code
// (assembly/status.ts) and never traps on bad arguments. scratch() is a buffer the host may fill.
//
// Not protected: a caller may still pass overlapping or aliased buffers the core documents as
// unsupported (they give wrong output, not a trap), or a context that it never started.

import "../hal";
import { validRegion } from "../memory";
import { OK, ERR_BAD_LENGTH, ERR_BAD_POINTER, ERR_INVALID_TAG } from "../status";
import * as core from "./index";

/** Host-writable scratch: half the page, room for bulk measurement. */
const SCRATCH_LEN: i32 = 32768;
const SCRATCH = memory.data(SCRATCH_LEN, 16);
/** Upper bound on any one length through these exports: the size of the page. */
const REGION_MAX: i32 = 65536;
const CRC_LEN: i32 = 4;

export const AES_SCHEDULE_LEN = core.AES_SCHEDULE_LEN;
export const CMAC_CTX_LEN = core.CMAC_CTX_LEN;
export const CCM_CTX_LEN = core.CCM_CTX_LEN;
export const MMO_CTX_LEN = core.MMO_CTX_LEN;
export const KDF_OUT_MAX = core.KDF_OUT_MAX;

export function scratch(): usize {
  return SCRATCH;
}

export function scratchLen(): i32 {
  return SCRATCH_LEN;
}

// @ts-ignore: decorator
@inline function inside(ptr: usize, len: i32): bool {
  return validRegion(ptr, len, REGION_MAX);
}

export function aesExpandKey(key: usize, schedule: usize): i32 {
  if (!inside(key, core.AES_KEY_LEN) || !inside(schedule, core.AES_SCHEDULE_LEN)) {
    return ERR_BAD_POINTER;
  }
  core.aesExpandKey(key, schedule);
  return OK;
}

export function aesEncryptBlock(schedule: usize, input: usize, output: usize): i32 {
  if (!inside(schedule, core.AES_SCHEDULE_LEN) || !inside(input, core.AES_BLOCK_LEN)
    || !inside(output, core.AES_BLOCK_LEN)) {
    return ERR_BAD_POINTER;
  }
  core.aesEncryptBlock(schedule, input, output);
  return OK;
}

export function aesEncryptBlocks(schedule: usize, input: usize, output: usize, count: i32): i32 {
  if (count < 0 || count > REGION_MAX / core.AES_BLOCK_LEN) return ERR_BAD_LENGTH;
  const len = count * core.AES_BLOCK_LEN;
  if (!inside(schedule, core.AES_SCHEDULE_LEN) || !inside(input, len) || !inside(output, len)) {
    return ERR_BAD_POINTER;
  }
  core.aesEncryptBlocks(schedule, input, output, count);
  return OK;
}

/** AES block encryptions since instantiation or the last aesBlockCountReset (wraps at 2^32). */
export function aesBlockCount(): u32 {
  return core.aesBlockCount();
}

export function aesBlockCountReset(): void {
  core.aesBlockCountReset();
}

export function cmacInit(ctx: usize, key: usize): i32 {
  if (!inside(ctx, core.CMAC_CTX_LEN) || !inside(key, core.AES_KEY_LEN)) return ERR_BAD_POINTER;
  core.cmacInit(ctx, key);
  return OK;
}

export function cmacUpdate(ctx: usize, ptr: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ctx, core.CMAC_CTX_LEN) || !inside(ptr, len)) return ERR_BAD_POINTER;
  core.cmacUpdate(ctx, ptr, len);
  return OK;
}

export function cmacFinal(ctx: usize, tagOut: usize): i32 {
  if (!inside(ctx, core.CMAC_CTX_LEN) || !inside(tagOut, core.CMAC_TAG_LEN)) {
    return ERR_BAD_POINTER;
  }
  core.cmacFinal(ctx, tagOut);
  return OK;
}

export function cmac(key: usize, ptr: usize, len: i32, tagOut: usize): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(key, core.AES_KEY_LEN) || !inside(ptr, len) || !inside(tagOut, core.CMAC_TAG_LEN)) {
    return ERR_BAD_POINTER;
  }
  core.cmac(key, ptr, len, tagOut);
  return OK;
}

export function cmacVerify(key: usize, ptr: usize, len: i32, tag: usize, tagLen: i32): i32 {
  if (len < 0 || tagLen < 1 || tagLen > core.CMAC_TAG_LEN) return ERR_BAD_LENGTH;
  if (!inside(key, core.AES_KEY_LEN) || !inside(ptr, len) || !inside(tag, tagLen)) {
    return ERR_BAD_POINTER;
  }
  return core.cmacVerify(key, ptr, len, tag, tagLen);
}

export function ctrXor(schedule: usize, counterBlock: usize, ptr: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(schedule, core.AES_SCHEDULE_LEN) || !inside(counterBlock, core.AES_BLOCK_LEN)
    || !inside(ptr, len)) {
    return ERR_BAD_POINTER;
  }
  core.ctrXor(schedule, counterBlock, ptr, len);
  return OK;
}

export function ccmStart(ctx: usize, key: usize, nonce: usize, aadLen: i32, dataLen: i32,
  tagLen: i32): i32 {
  if (!inside(ctx, core.CCM_CTX_LEN) || !inside(key, core.AES_KEY_LEN)
    || !inside(nonce, core.CCM_NONCE_LEN)) {
    return ERR_BAD_POINTER;
  }
  return core.ccmStart(ctx, key, nonce, aadLen, dataLen, tagLen);
}

export function ccmAad(ctx: usize, ptr: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ctx, core.CCM_CTX_LEN) || !inside(ptr, len)) return ERR_BAD_POINTER;
  return core.ccmAad(ctx, ptr, len);
}

export function ccmEncrypt(ctx: usize, input: usize, output: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ctx, core.CCM_CTX_LEN) || !inside(input, len) || !inside(output, len)) {
    return ERR_BAD_POINTER;
  }
  return core.ccmEncrypt(ctx, input, output, len);
}

export function ccmDecrypt(ctx: usize, input: usize, output: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ctx, core.CCM_CTX_LEN) || !inside(input, len) || !inside(output, len)) {
    return ERR_BAD_POINTER;
  }
  return core.ccmDecrypt(ctx, input, output, len);
}

export function ccmFinish(ctx: usize, tagOut: usize): i32 {
  if (!inside(ctx, core.CCM_CTX_LEN)) return ERR_BAD_POINTER;
  if (!inside(tagOut, core.ccmTagLen(ctx))) return ERR_BAD_POINTER;
  return core.ccmFinish(ctx, tagOut);
}

export function ccmVerify(ctx: usize, tag: usize): i32 {
  if (!inside(ctx, core.CCM_CTX_LEN)) return ERR_BAD_POINTER;
  if (!inside(tag, core.ccmTagLen(ctx))) return ERR_BAD_POINTER;
  return core.ccmVerify(ctx, tag);
}

export function ccmSeal(key: usize, nonce: usize, aad: usize, aadLen: i32, data: usize,
  dataLen: i32, tagLen: i32, out: usize): i32 {
  if (aadLen < 0 || dataLen < 0 || tagLen < 0 || tagLen > core.CCM_TAG_MAX) return ERR_BAD_LENGTH;
  if (!inside(key, core.AES_KEY_LEN) || !inside(nonce, core.CCM_NONCE_LEN)
    || !inside(aad, aadLen) || !inside(data, dataLen) || !inside(out, dataLen + tagLen)) {
    return ERR_BAD_POINTER;
  }
  return core.ccmSeal(key, nonce, aad, aadLen, data, dataLen, tagLen, out);
}

export function ccmOpen(key: usize, nonce: usize, aad: usize, aadLen: i32, sealed: usize,
  sealedLen: i32, tagLen: i32, out: usize): i32 {
  if (aadLen < 0 || tagLen < 0 || tagLen > core.CCM_TAG_MAX || sealedLen < tagLen) {
    return ERR_BAD_LENGTH;
  }
  if (!inside(key, core.AES_KEY_LEN) || !inside(nonce, core.CCM_NONCE_LEN)
    || !inside(aad, aadLen) || !inside(sealed, sealedLen) || !inside(out, sealedLen - tagLen)) {
    return ERR_BAD_POINTER;
  }
  return core.ccmOpen(key, nonce, aad, aadLen, sealed, sealedLen, tagLen, out);
}

export function kdf(key: usize, label: usize, labelLen: i32, context: usize, contextLen: i32,
  out: usize, outLen: i32): i32 {
  if (labelLen < 0 || contextLen < 0 || outLen < 1 || outLen > core.KDF_OUT_MAX) {
    return ERR_BAD_LENGTH;
  }
  if (!inside(key, core.AES_KEY_LEN) || !inside(label, labelLen) || !inside(context, contextLen)
    || !inside(out, outLen)) {
    return ERR_BAD_POINTER;
  }
  return core.kdf(key, label, labelLen, context, contextLen, out, outLen);
}

export function kdfCounter(key: usize, fixed: usize, fixedLen: i32, out: usize, outLen: i32): i32 {
  if (fixedLen < 0 || outLen < 1 || outLen > core.KDF_OUT_MAX) return ERR_BAD_LENGTH;
  if (!inside(key, core.AES_KEY_LEN) || !inside(fixed, fixedLen) || !inside(out, outLen)) {
    return ERR_BAD_POINTER;
  }
  return core.kdfCounter(key, fixed, fixedLen, out, outLen);
}

export function oneWay(input: usize, output: usize): i32 {
  if (!inside(input, core.AES_BLOCK_LEN) || !inside(output, core.AES_BLOCK_LEN)) {
    return ERR_BAD_POINTER;
  }
  core.oneWay(input, output);
  return OK;
}

export function mmoInit(ctx: usize): i32 {
  if (!inside(ctx, core.MMO_CTX_LEN)) return ERR_BAD_POINTER;
  core.mmoInit(ctx);
  return OK;
}

export function mmoUpdate(ctx: usize, ptr: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ctx, core.MMO_CTX_LEN) || !inside(ptr, len)) return ERR_BAD_POINTER;
  core.mmoUpdate(ctx, ptr, len);
  return OK;
}

export function mmoFinal(ctx: usize, digestOut: usize): i32 {
  if (!inside(ctx, core.MMO_CTX_LEN) || !inside(digestOut, core.MMO_DIGEST_LEN)) {
    return ERR_BAD_POINTER;
  }
  core.mmoFinal(ctx, digestOut);
  return OK;
}

/** OK when the `len` bytes at `a` and `b` are equal, ERR_INVALID_TAG when they differ. */
export function constantTimeEqual(a: usize, b: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(a, len) || !inside(b, len)) return ERR_BAD_POINTER;
  return core.constantTimeEqual(a, b, len) ? OK : ERR_INVALID_TAG;
}

export function wipe(ptr: usize, len: i32): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ptr, len)) return ERR_BAD_POINTER;
  core.wipe(ptr, len);
  return OK;
}

/** Writes crc32Update(crc, data) as a little-endian u32 at `out`. */
export function crc32Update(crc: u32, ptr: usize, len: i32, out: usize): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ptr, len) || !inside(out, CRC_LEN)) return ERR_BAD_POINTER;
  store<u32>(out, core.crc32Update(crc, ptr, len));
  return OK;
}

/** Writes crc32(data) as a little-endian u32 at `out`. */
export function crc32(ptr: usize, len: i32, out: usize): i32 {
  if (len < 0) return ERR_BAD_LENGTH;
  if (!inside(ptr, len) || !inside(out, CRC_LEN)) return ERR_BAD_POINTER;
  store<u32>(out, core.crc32(ptr, len));
  return OK;
}
