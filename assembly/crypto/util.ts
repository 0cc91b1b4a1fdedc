// Byte helpers of the crypto core: wiping, constant-time comparison and CRC-32.
//
// CRC-32 is the IEEE 802.3 / zlib checksum (reflected polynomial 0xEDB88320, initial value and
// final xor 0xFFFFFFFF). It detects accidental corruption of images and flash frames; it is not
// a tag and protects against no adversary. Processing is a bit at a time with no table: the
// smallest code, chosen by measurement (docs/crypto.md, "CRC-32").
//
// verifyTag is the one tag check of the core (CMAC and CCM*): constant time, expected tag wiped.
//
// Every function here takes raw addresses and trusts them: callers (assembly/crypto/exports.ts
// and the firmware) validate (pointer, length) pairs first. A length <= 0 does nothing.

import { OK, ERR_INVALID_TAG } from "../status";

/** Computed tags are held in 16-byte buffers (the AES block) and wiped whole. */
const EXPECTED_TAG_LEN: i32 = 16;
/** Reflected CRC-32 polynomial of IEEE 802.3 (x^32 + x^26 + ... + 1, bit-reversed). */
const CRC32_POLY: u32 = 0xedb88320;
const CRC32_BITS_PER_BYTE: i32 = 8;

/** Overwrites [ptr, ptr + len) with zeros. */
export function wipe(ptr: usize, len: i32): void {
  for (let i = 0; i < len; i++) store<u8>(ptr + <usize>i, 0);
}

/** XORs the `len` bytes at `src` into `dst` (the two may be the same address). */
export function xorInto(dst: usize, src: usize, len: i32): void {
  for (let i = 0; i < len; i++) {
    const at = <usize>i;
    store<u8>(dst + at, load<u8>(dst + at) ^ load<u8>(src + at));
  }
}

/** Copies `len` bytes from `src` to `dst`, forwards (safe when dst <= src). */
export function copyBytes(dst: usize, src: usize, len: i32): void {
  for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
}

/**
 * True when the `len` bytes at `a` and `b` are equal. The time depends on `len` only: every byte
 * is read and the differences are accumulated without an early exit.
 */
export function constantTimeEqual(a: usize, b: usize, len: i32): bool {
  let diff: u32 = 0;
  for (let i = 0; i < len; i++) diff |= load<u8>(a + <usize>i) ^ load<u8>(b + <usize>i);
  return diff == 0;
}

/**
 * Compares the `len` leftmost bytes of the computed tag at `expected` with `tag` in constant
 * time, wipes the expected tag (16 bytes) and returns OK or ERR_INVALID_TAG.
 */
export function verifyTag(expected: usize, tag: usize, len: i32): i32 {
  const equal = constantTimeEqual(expected, tag, len);
  wipe(expected, EXPECTED_TAG_LEN);
  return equal ? OK : ERR_INVALID_TAG;
}

/** Continues a CRC-32: crc32Update(crc32(a), b) == crc32(a || b); crc32Update(0, x) == crc32(x). */
export function crc32Update(crc: u32, ptr: usize, len: i32): u32 {
  let c = ~crc;
  for (let i = 0; i < len; i++) {
    c ^= load<u8>(ptr + <usize>i);
    // Reflected division step: shift out the low bit, subtract the polynomial when it was 1.
    for (let bit = 0; bit < CRC32_BITS_PER_BYTE; bit++) c = (c >>> 1) ^ (CRC32_POLY & -(c & 1));
  }
  return ~c;
}

/** CRC-32 (IEEE, as zlib) of [ptr, ptr + len). */
export function crc32(ptr: usize, len: i32): u32 {
  return crc32Update(0, ptr, len);
}
