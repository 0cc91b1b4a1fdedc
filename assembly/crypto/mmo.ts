// The Matyas-Meyer-Oseas construction over AES-128 (Menezes, van Oorschot and Vanstone, Handbook
// of Applied Cryptography, algorithm 9.41): the one-way function oneWay(x) = AES_0(x) xor x for
// hash chains, and a streaming hash H_i = AES_(H_(i-1))(m_i) xor m_i from H_0 = 0 with
// Merkle-Damgard padding exactly as host/crypto mmoHash(): 0x80, zeros, then the message length
// in bits as a 64-bit big-endian integer ending the last block.
//
// Context layout (MMO_CTX_LEN bytes, caller memory, wiped by mmoFinal):
//   [0, 16) chaining value H_i   [16, 32) pending block   [32, 36) message length in bytes.
//
// Not protected: a 128-bit digest gives about 2^64 collision resistance; the key changes every
// block, so each block costs a key expansion; messages are limited to 2^32 - 1 bytes. AES here is
// table-based (aes.ts), but MMO inputs are public in its uses (images, hash chain values).

import { AES_BLOCK_LEN, AES_SCHEDULE_LEN, aesEncryptBlock, aesExpandKey } from "./aes";
import { xorBlock } from "./cmac";
import { copyBytes, wipe } from "./util";

const CTX_PENDING: usize = <usize>AES_BLOCK_LEN;
const CTX_LENGTH: usize = CTX_PENDING + <usize>AES_BLOCK_LEN;
export const MMO_CTX_LEN: i32 = <i32>CTX_LENGTH + 4;
export const MMO_DIGEST_LEN: i32 = 16;
/** Padding marker (a 1 bit then zeros) and the 8-byte bit-length field ending the last block. */
const MMO_PAD: u8 = 0x80;
const LENGTH_FIELD_LEN: i32 = 8;

const SCHEDULE = memory.data(AES_SCHEDULE_LEN, 16);
const BLOCK = memory.data(AES_BLOCK_LEN, 16);
/** The padding (0x80, then up to 15 zeros) and the length field, fed through mmoUpdate. */
const PAD = memory.data(AES_BLOCK_LEN, 16);
const LENGTH_FIELD = memory.data(LENGTH_FIELD_LEN, 8);

/** H = AES_H(block) xor block, the compression step. */
function compress(ctx: usize, block: usize): void {
  aesExpandKey(ctx, SCHEDULE);
  aesEncryptBlock(SCHEDULE, block, ctx);
  xorBlock(ctx, block);
}

/**
 * F(x) = AES_0(x) xor x: the one-way function of hash chains, one compression step from H = 0
 * (the zero key is expanded per call: 176 bytes of RAM and code saved for a key expansion).
 */
export function oneWay(input: usize, output: usize): void {
  wipe(BLOCK, AES_BLOCK_LEN);
  compress(BLOCK, input);
  copyBytes(output, BLOCK, AES_BLOCK_LEN);
  wipe(BLOCK, AES_BLOCK_LEN);
  wipe(SCHEDULE, AES_SCHEDULE_LEN);
}

export function mmoInit(ctx: usize): void {
  wipe(ctx, MMO_CTX_LEN);
}

export function mmoUpdate(ctx: usize, ptr: usize, len: i32): void {
  if (len <= 0) return;
  const total = load<u32>(ctx + CTX_LENGTH);
  let held = <i32>(total & <u32>(AES_BLOCK_LEN - 1));
  store<u32>(ctx + CTX_LENGTH, total + <u32>len);
  for (let i = 0; i < len; i++) {
    store<u8>(ctx + CTX_PENDING + <usize>held, load<u8>(ptr + <usize>i));
    held++;
    // A full block can be compressed at once: the padding always adds at least 9 more bytes.
    if (held == AES_BLOCK_LEN) {
      compress(ctx, ctx + CTX_PENDING);
      held = 0;
    }
  }
  wipe(SCHEDULE, AES_SCHEDULE_LEN);
}

/** Pads, writes the 16-byte digest to `digestOut` and wipes the context. */
export function mmoFinal(ctx: usize, digestOut: usize): void {
  // Bit length = 8 * bytes as 64 bits big-endian: high word total >> 29, low word total << 3.
  const total = load<u32>(ctx + CTX_LENGTH);
  store<u32>(LENGTH_FIELD, bswap<u32>(total >>> 29));
  store<u32>(LENGTH_FIELD, bswap<u32>(total << 3), 4);
  // 0x80 and zeros up to 8 bytes before a block boundary (a whole block more when fewer than 9
  // bytes are free), then the length field: mmoUpdate compresses each block as it fills.
  store<u8>(PAD, MMO_PAD);
  const held = <i32>(total & <u32>(AES_BLOCK_LEN - 1));
  const padLen = 1 + ((2 * AES_BLOCK_LEN - LENGTH_FIELD_LEN - 1 - held) & (AES_BLOCK_LEN - 1));
  mmoUpdate(ctx, PAD, padLen);
  mmoUpdate(ctx, LENGTH_FIELD, LENGTH_FIELD_LEN);
  copyBytes(digestOut, ctx, MMO_DIGEST_LEN);
  wipe(ctx, MMO_CTX_LEN);
  wipe(LENGTH_FIELD, LENGTH_FIELD_LEN);
}
