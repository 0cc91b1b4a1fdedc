// AES-CTR (NIST SP 800-38A section 6.5): XORs the keystream AES_K(T_1), AES_K(T_2), ... into a
// buffer, where T_1 is the caller's 16-byte counter block and T_(i+1) = T_i + 1 over all 128
// bits, big-endian (the standard incrementing function of SP 800-38A appendix B.1 with m = 128,
// as host/crypto ctr() and @noble do).
//
// Not protected: CTR gives confidentiality only; a counter block reused under one key reveals
// the XOR of the two plaintexts. Uniqueness of counter blocks is the caller's duty.

import { AES_BLOCK_LEN, aesEncryptBlock } from "./aes";
import { wipe } from "./util";

const COUNTER = memory.data(AES_BLOCK_LEN, 16);
const KEYSTREAM = memory.data(AES_BLOCK_LEN, 16);

/** Adds 1 to the 16-byte big-endian counter block at `block`, wrapping at 2^128. */
export function ctrIncrement(block: usize): void {
  for (let i = AES_BLOCK_LEN - 1; i >= 0; i--) {
    const at = block + <usize>i;
    const byte = (<u32>load<u8>(at) + 1) & 0xff;
    store<u8>(at, <u8>byte);
    if (byte != 0) break;
  }
}

/**
 * XORs the AES-CTR keystream from the 16-byte counter block into [ptr, ptr + len). The caller's
 * counter block is left unchanged; `counterBlock` may lie inside the buffer.
 */
export function ctrXor(schedule: usize, counterBlock: usize, ptr: usize, len: i32): void {
  store<u64>(COUNTER, load<u64>(counterBlock, 0), 0);
  store<u64>(COUNTER, load<u64>(counterBlock, 8), 8);
  for (let i = 0; i < len; i++) {
    const used = i & (AES_BLOCK_LEN - 1);
    if (used == 0) {
      aesEncryptBlock(schedule, COUNTER, KEYSTREAM);
      ctrIncrement(COUNTER);
    }
    const at = ptr + <usize>i;
    store<u8>(at, load<u8>(at) ^ load<u8>(KEYSTREAM + <usize>used));
  }
  wipe(KEYSTREAM, AES_BLOCK_LEN);
  wipe(COUNTER, AES_BLOCK_LEN);
}
