// AES-CTR (NIST SP 800-38A section 6.5): XORs the keystream AES_K(T_1), AES_K(T_2), ... into a
// buffer, where T_1 is the caller's 16-byte counter block and T_(i+1) = T_i + 1 over all 128
// bits, big-endian (the standard incrementing function of SP 800-38A appendix B.1 with m = 128,
// as host/crypto ctr() and @noble do). ctrStream is the resumable form CCM* (ccm.ts) also uses.
//
// Not protected: CTR gives confidentiality only; a counter block reused under one key reveals
// the XOR of the two plaintexts. Uniqueness of counter blocks is the caller's duty.

import { AES_BLOCK_LEN, aesEncryptBlock } from "./aes";
import { wipe } from "./util";

/** The one-shot counter block, then its keystream block: wiped together. */
const TEMP = memory.data(2 * AES_BLOCK_LEN, 16);
const COUNTER = TEMP;
const KEYSTREAM = TEMP + <usize>AES_BLOCK_LEN;

/** Adds 1 to the 16-byte big-endian counter block at `block`, wrapping at 2^128. */
function ctrIncrement(block: usize): void {
  for (let i = AES_BLOCK_LEN - 1; i >= 0; i--) {
    const at = block + <usize>i;
    const byte = (<u32>load<u8>(at) + 1) & 0xff;
    store<u8>(at, <u8>byte);
    if (byte != 0) break;
  }
}

/**
 * XORs `len` keystream bytes into `input`, writing `output` (the same address is allowed). The
 * first `used` bytes of the block at `keystream` are spent (AES_BLOCK_LEN: none left); a new
 * block is AES_K(counter block), after which the counter block is incremented. Returns the new
 * `used`.
 */
export function ctrStream(schedule: usize, counter: usize, keystream: usize, used: i32,
  input: usize, output: usize, len: i32): i32 {
  for (let i = 0; i < len; i++) {
    if (used == AES_BLOCK_LEN) {
      aesEncryptBlock(schedule, counter, keystream);
      ctrIncrement(counter);
      used = 0;
    }
    store<u8>(output + <usize>i, load<u8>(input + <usize>i) ^ load<u8>(keystream + <usize>used));
    used++;
  }
  return used;
}

/**
 * XORs the AES-CTR keystream from the 16-byte counter block into [ptr, ptr + len). The caller's
 * counter block is left unchanged; `counterBlock` may lie inside the buffer.
 */
export function ctrXor(schedule: usize, counterBlock: usize, ptr: usize, len: i32): void {
  store<u64>(COUNTER, load<u64>(counterBlock, 0), 0);
  store<u64>(COUNTER, load<u64>(counterBlock, 8), 8);
  ctrStream(schedule, COUNTER, KEYSTREAM, AES_BLOCK_LEN, ptr, ptr, len);
  wipe(TEMP, 2 * AES_BLOCK_LEN);
}
