// Checks of a provisioning image where it lies, in flash (docs/image-format.md): the header
// fields the slots need, the trailer's CRC-32 and its CMAC tag under the node key, and the MMO
// digest of the raw bytes. Everything streams through a small buffer: the image is never copied
// whole into RAM. The erasable region (LEAP's K_IN) is read as zeros by the CRC and the tag, as
// the format says, so an image whose K_IN was zeroed in place still verifies.
//
// Not protected: the tag only shows the image was made for the key it carries; which node key is
// expected is the host's business (the end-of-line check).

import { flashRead } from "../hal";
import {
  MMO_CTX_LEN, mmoInit, mmoUpdate, mmoFinal, CMAC_CTX_LEN, cmacInit, cmacUpdate, cmacFinal,
  crc32Update, constantTimeEqual, wipe,
} from "../crypto/index";
import {
  IMAGE_MAGIC, IMAGE_VERSION, IMAGE_MIN_LEN, IMAGE_MAX_LEN, TRAILER_LEN, TRAILER_TAG_LEN,
  OFF_IMAGE_LEN, OFF_NODE_KEY_OFFSET, OFF_ERASABLE_OFFSET, OFF_ERASABLE_LEN,
} from "../image-layout";
export { IMAGE_MAGIC, IMAGE_VERSION, IMAGE_MIN_LEN, IMAGE_MAX_LEN } from "../image-layout";

export const DIGEST_LEN: i32 = 16;
export const KEY_LEN: i32 = 16;

/** Streaming buffer: flash is read this many bytes at a time. */
const CHUNK_LEN: i32 = 64;
const chunk = memory.data(CHUNK_LEN, 16);
const mmoCtx = memory.data(MMO_CTX_LEN, 16);
const cmacCtx = memory.data(CMAC_CTX_LEN, 16);
const nodeKey = memory.data(KEY_LEN, 16);
const tagBuf = memory.data(TRAILER_TAG_LEN, 16);
const word = memory.data(4, 4);

/** Reads a u32 (little-endian) at `addr`; 0xFFFFFFFF when the flash read fails. */
export function flashU32(addr: u32): u32 {
  store<u32>(word, 0xffffffff);
  if (flashRead(addr, word, 4) < 0) return 0xffffffff;
  return load<u32>(word);
}

/** True when the header at `addr` has the magic, version 1 and the image length `len`. */
export function imageHeaderValid(addr: u32, len: i32): bool {
  if (len < IMAGE_MIN_LEN || len > IMAGE_MAX_LEN) return false;
  if (flashU32(addr) != IMAGE_MAGIC) return false;
  if ((flashU32(addr + 4) & 0xffff) != IMAGE_VERSION) return false;
  return flashU32(addr + <u32>OFF_IMAGE_LEN) == <u32>len;
}

/** Erasable region [maskFrom, maskFrom + maskLen) of the image being read (loadErasable). */
let maskFrom: u32 = 0;
let maskLen: u32 = 0;

/** The erasable region from the header; empty when absent, at 0 or out of bounds. */
function loadErasable(addr: u32, len: i32): void {
  maskFrom = flashU32(addr + <u32>OFF_ERASABLE_OFFSET);
  maskLen = flashU32(addr + <u32>OFF_ERASABLE_LEN);
  if (maskFrom == 0 || <u64>maskFrom + <u64>maskLen > <u64>(len - TRAILER_LEN)) maskLen = 0;
}

/** Zeroes the bytes of `chunk` (holding image bytes [at, at + n)) inside the erasable region. */
function maskErasable(at: u32, n: i32): void {
  // One unsigned compare: positions before maskFrom wrap to values >= maskLen.
  for (let i = 0; i < n; i++) {
    if (at + <u32>i - maskFrom < maskLen) store<u8>(chunk + <usize>i, 0);
  }
}

// Where maskedScan feeds the bytes it reads.
const INTO_CRC: i32 = 0;
const INTO_CMAC: i32 = 1;
const INTO_MMO: i32 = 2;
/** Set by maskedScan when a flash read failed. */
let readFailed = false;

/**
 * Reads flash [addr, addr + len) with the erasable region (maskFrom, maskLen) as zeros into
 * `into`: a CRC-32, which it returns, cmacCtx or mmoCtx (0 and readFailed set on a read error).
 */
function maskedScan(addr: u32, len: i32, into: i32): u32 {
  readFailed = false;
  let crc: u32 = 0;
  for (let at = 0; at < len; at += CHUNK_LEN) {
    const n = min(CHUNK_LEN, len - at);
    if (flashRead(addr + <u32>at, chunk, n) < 0) {
      readFailed = true;
      return 0;
    }
    maskErasable(<u32>at, n);
    if (into == INTO_CMAC) cmacUpdate(cmacCtx, chunk, n);
    else if (into == INTO_MMO) mmoUpdate(mmoCtx, chunk, n);
    else crc = crc32Update(crc, chunk, n);
  }
  return crc;
}

/** CRC-32 of image bytes [0, len - 20) with the erasable region read as zeros. */
export function imageCrcValid(addr: u32, len: i32): bool {
  if (!imageHeaderValid(addr, len)) return false;
  loadErasable(addr, len);
  const body = len - TRAILER_LEN;
  const crc = maskedScan(addr, body, INTO_CRC);
  return !readFailed && crc == flashU32(addr + <u32>body);
}

/** CMAC tag at len - 16 under the node key in the image, erasable region read as zeros. */
export function imageTagValid(addr: u32, len: i32): bool {
  let ok = imageNodeKey(addr, len, nodeKey);
  loadErasable(addr, len);
  const body = len - TRAILER_TAG_LEN;
  if (ok) {
    cmacInit(cmacCtx, nodeKey);
    maskedScan(addr, body, INTO_CMAC);
    ok = !readFailed;
    cmacFinal(cmacCtx, tagBuf);
  }
  if (ok) ok = flashRead(addr + <u32>body, chunk, TRAILER_TAG_LEN) >= 0;
  const valid = ok && constantTimeEqual(tagBuf, chunk, TRAILER_TAG_LEN);
  wipe(nodeKey, KEY_LEN);
  wipe(tagBuf, TRAILER_TAG_LEN);
  wipe(cmacCtx, CMAC_CTX_LEN);
  return valid;
}

/** MMO digest of the raw bytes [addr, addr + len) into `out` (16 bytes); false on a read error. */
export function flashDigest(addr: u32, len: i32, out: usize): bool {
  mmoInit(mmoCtx);
  maskLen = 0;
  maskedScan(addr, len, INTO_MMO);
  if (readFailed) return false;
  mmoFinal(mmoCtx, out);
  return true;
}

/** CRC-32 of the raw bytes [addr, addr + len), for the resume check; 0 on a read error. */
export function flashCrc(addr: u32, len: i32): u32 {
  maskLen = 0;
  return maskedScan(addr, len, INTO_CRC);
}

/** Copies the node key of the image at `addr` to `out`; false when the header is not valid. */
export function imageNodeKey(addr: u32, len: i32, out: usize): bool {
  if (!imageHeaderValid(addr, len)) return false;
  const keyAt = flashU32(addr + <u32>OFF_NODE_KEY_OFFSET);
  if (keyAt < 96 || <u64>keyAt + <u64>KEY_LEN > <u64>(len - TRAILER_LEN)) return false;
  return flashRead(addr + keyAt, out, KEY_LEN) >= 0;
}
