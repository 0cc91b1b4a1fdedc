// Host crypto: the same primitives the node firmware implements in assembly/crypto/, for the key
// authority, the emulator's checks and the tests. AES, CMAC and CTR come from @noble/ciphers, CCM
// from node:crypto (noble has no CCM), HMAC-SHA-256 from @noble/hashes. No AES is written here.
//
// Specifications: FIPS-197 (AES), NIST SP 800-38B / RFC 4493 (CMAC), SP 800-38A (CTR),
// SP 800-38C / RFC 3610 with IEEE 802.15.4-2006 annex B (CCM*), SP 800-108r1 section 4.1 (KDF in
// counter mode), the Matyas-Meyer-Oseas construction (Handbook of Applied Cryptography 9.41).
// Every byte layout here is shared with the firmware and documented in docs/crypto.md.

import { createCipheriv, createDecipheriv } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import { cmac as nobleCmac, ctr as nobleCtr, ecb } from "@noble/ciphers/aes.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const BLOCK_LEN = 16;
export const KEY_LEN = 16;
/** CCM* nonce length in IEEE 802.15.4 (source address 8, frame counter 4, security level 1). */
export const CCM_NONCE_LEN = 13;
/** CCM* tag lengths: 0 is the encryption-only level; the others authenticate. */
export const CCM_TAG_LENS = [0, 4, 8, 16] as const;
export type CcmTagLen = (typeof CCM_TAG_LENS)[number];
/** Length field of the CCM counter blocks: L = 15 - nonce length = 2 bytes. */
const CCM_L = 15 - CCM_NONCE_LEN;

export function checkBytes(name: string, value: unknown, len?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name}: expected Uint8Array, got ${describe(value)}`);
  }
  if (len !== undefined && value.length !== len) {
    throw new RangeError(`${name}: expected ${len} bytes, got ${value.length}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

function toBytes(name: string, value: string | Uint8Array): Uint8Array {
  if (typeof value === "string") return new TextEncoder().encode(value);
  return checkBytes(name, value);
}

/** Overwrites every given buffer with zeros. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  checkBytes("a", a);
  checkBytes("b", b);
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** CRC-32 (IEEE 802.3, as zlib), the integrity check of images and flash frames. */
export function crc32(data: Uint8Array): number {
  return zlibCrc32(checkBytes("data", data)) >>> 0;
}

/** One AES-128 block encryption (FIPS-197). */
export function aesEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  checkBytes("key", key, KEY_LEN);
  checkBytes("block", block, BLOCK_LEN);
  return ecb(key, { disablePadding: true }).encrypt(block);
}

/** AES-128 block cipher with its key schedule kept, for many blocks under one key. */
export class Aes128 {
  private readonly cipher;

  constructor(key: Uint8Array) {
    checkBytes("key", key, KEY_LEN);
    this.cipher = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  }

  /** Encrypts whole blocks (length a multiple of 16). */
  encrypt(blocks: Uint8Array): Uint8Array {
    checkBytes("blocks", blocks);
    if (blocks.length % BLOCK_LEN !== 0) {
      throw new RangeError(`blocks: expected a multiple of 16 bytes, got ${blocks.length}`);
    }
    return new Uint8Array(this.cipher.update(blocks));
  }
}

/** AES-CMAC (NIST SP 800-38B, RFC 4493): a 16-byte tag. */
export function cmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  checkBytes("key", key, KEY_LEN);
  checkBytes("message", message);
  return nobleCmac(message, key);
}

/**
 * AES-CTR (SP 800-38A) from a 16-byte initial counter block; the whole block is the counter,
 * incremented big-endian.
 */
export function ctr(key: Uint8Array, counterBlock: Uint8Array, data: Uint8Array): Uint8Array {
  checkBytes("key", key, KEY_LEN);
  checkBytes("counterBlock", counterBlock, BLOCK_LEN);
  checkBytes("data", data);
  return nobleCtr(key, counterBlock).encrypt(data);
}

function checkCcm(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, tagLen: number): void {
  checkBytes("key", key, KEY_LEN);
  checkBytes("nonce", nonce, CCM_NONCE_LEN);
  checkBytes("aad", aad);
  if (!(CCM_TAG_LENS as readonly number[]).includes(tagLen)) {
    throw new RangeError(`tagLen: expected one of 0, 4, 8, 16, got ${tagLen}`);
  }
}

/** CCM counter block A_i (RFC 3610 section 2.3): flags = L - 1, nonce, counter i. */
function ccmCounterBlock(nonce: Uint8Array, i: number): Uint8Array {
  const block = new Uint8Array(BLOCK_LEN);
  block[0] = CCM_L - 1;
  block.set(nonce, 1);
  block[14] = (i >>> 8) & 0xff;
  block[15] = i & 0xff;
  return block;
}

/**
 * AES-CCM* seal as IEEE 802.15.4 uses it: returns ciphertext || tag. tagLen 0 is the
 * encryption-only level (CTR from counter block A_1, no tag). For the MIC-only level pass the
 * whole frame as `aad` and an empty `plaintext`.
 */
export function ccmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  tagLen: CcmTagLen,
): Uint8Array {
  checkCcm(key, nonce, aad, tagLen);
  checkBytes("plaintext", plaintext);
  if (tagLen === 0) return ctr(key, ccmCounterBlock(nonce, 1), plaintext);
  const cipher = createCipheriv("aes-128-ccm", key, nonce, { authTagLength: tagLen });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  const out = new Uint8Array(body.length + tagLen);
  out.set(body, 0);
  out.set(cipher.getAuthTag(), body.length);
  return out;
}

/**
 * AES-CCM* open: returns the plaintext, or throws `Error("invalid tag")` when the frame does not
 * authenticate. With tagLen 0 nothing is authenticated and this only decrypts.
 */
export function ccmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  tagLen: CcmTagLen,
): Uint8Array {
  checkCcm(key, nonce, aad, tagLen);
  checkBytes("sealed", sealed);
  if (sealed.length < tagLen) {
    throw new RangeError(`sealed: expected at least ${tagLen} bytes, got ${sealed.length}`);
  }
  if (tagLen === 0) return ctr(key, ccmCounterBlock(nonce, 1), sealed);
  const body = sealed.subarray(0, sealed.length - tagLen);
  const decipher = createDecipheriv("aes-128-ccm", key, nonce, { authTagLength: tagLen });
  decipher.setAuthTag(sealed.subarray(sealed.length - tagLen));
  decipher.setAAD(aad, { plaintextLength: body.length });
  const plaintext = new Uint8Array(decipher.update(body));
  try {
    decipher.final();
  } catch {
    wipe(plaintext);
    throw new Error("invalid tag");
  }
  return plaintext;
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, false);
  return out;
}

/** Fixed input of SP 800-108: Label || 0x00 || Context || [L]_32, after the 32-bit counter. */
function kdfInput(label: Uint8Array, context: Uint8Array, outLen: number): Uint8Array {
  const input = new Uint8Array(4 + label.length + 1 + context.length + 4);
  input.set(label, 4);
  input.set(context, 4 + label.length + 1);
  input.set(u32be(outLen * 8), input.length - 4);
  return input;
}

function checkOutLen(outLen: number, max: number): void {
  if (!Number.isInteger(outLen) || outLen < 1 || outLen > max) {
    throw new RangeError(`outLen: expected an integer from 1 to ${max}, got ${outLen}`);
  }
}

/**
 * KDF in counter mode (SP 800-108r1 section 4.1) with AES-CMAC as PRF: block i (from 1) is
 * CMAC(key, [i]_32 || label || 0x00 || context || [8 * outLen]_32). The firmware's KDF.
 */
export function kdf(
  key: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  outLen = KEY_LEN,
): Uint8Array {
  checkBytes("key", key, KEY_LEN);
  checkOutLen(outLen, 255 * BLOCK_LEN);
  const input = kdfInput(toBytes("label", label), checkBytes("context", context), outLen);
  const out = new Uint8Array(Math.ceil(outLen / BLOCK_LEN) * BLOCK_LEN);
  for (let i = 1; i * BLOCK_LEN <= out.length; i++) {
    input.set(u32be(i), 0);
    out.set(nobleCmac(input, key), (i - 1) * BLOCK_LEN);
  }
  wipe(input);
  const result = out.slice(0, outLen);
  wipe(out);
  return result;
}

/**
 * The same SP 800-108 counter-mode KDF with HMAC-SHA-256 as PRF, for the authority's 256-bit
 * master secret (host only; nodes never hold it).
 */
export function kdfSha256(
  key: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  outLen = KEY_LEN,
): Uint8Array {
  checkBytes("key", key);
  checkOutLen(outLen, 255 * 32);
  const input = kdfInput(toBytes("label", label), checkBytes("context", context), outLen);
  const out = new Uint8Array(Math.ceil(outLen / 32) * 32);
  for (let i = 1; i * 32 <= out.length; i++) {
    input.set(u32be(i), 0);
    out.set(hmac(sha256, key, input), (i - 1) * 32);
  }
  wipe(input);
  const result = out.slice(0, outLen);
  wipe(out);
  return result;
}

/** The all-zero key under which the Matyas-Meyer-Oseas one-way function and hash start. */
const MMO_IV = new Uint8Array(KEY_LEN);

/**
 * One-way function for hash chains: F(x) = AES_IV(x) xor x with the fixed public key IV = 0, the
 * Matyas-Meyer-Oseas compression function at its initial chaining value.
 */
export function oneWay(x: Uint8Array): Uint8Array {
  checkBytes("x", x, BLOCK_LEN);
  const out = aesEncryptBlock(MMO_IV, x);
  for (let i = 0; i < BLOCK_LEN; i++) out[i] ^= x[i];
  return out;
}

/**
 * Matyas-Meyer-Oseas hash over AES-128: H_0 = 0, H_i = AES_{H_(i-1)}(m_i) xor m_i, with
 * Merkle-Damgard padding: 0x80, zeros, and the message length in bits as a 64-bit big-endian
 * integer ending the last block. A 128-bit digest for images (collision resistance ~2^64).
 */
export function mmoHash(message: Uint8Array): Uint8Array {
  checkBytes("message", message);
  const padded = new Uint8Array(Math.ceil((message.length + 9) / BLOCK_LEN) * BLOCK_LEN);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = message.length * 8;
  view.setUint32(padded.length - 8, Math.floor(bits / 2 ** 32), false);
  view.setUint32(padded.length - 4, bits >>> 0, false);
  let state: Uint8Array = new Uint8Array(BLOCK_LEN);
  for (let offset = 0; offset < padded.length; offset += BLOCK_LEN) {
    const block = padded.subarray(offset, offset + BLOCK_LEN);
    const next = aesEncryptBlock(state, block);
    for (let i = 0; i < BLOCK_LEN; i++) next[i] ^= block[i];
    wipe(state);
    state = next;
  }
  wipe(padded);
  return state;
}
