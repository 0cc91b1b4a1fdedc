// STUB: signatures only, implemented by the crypto core work.
export const AES_SCHEDULE_LEN: i32 = 176;
/** Expands the 16-byte key at `key` into the round-key schedule at `schedule`. */
export function aesExpandKey(key: usize, schedule: usize): void {}
/** Encrypts one 16-byte block; `input` and `output` may be the same address. */
export function aesEncryptBlock(schedule: usize, input: usize, output: usize): void {}
