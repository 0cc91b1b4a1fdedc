// STUB: signatures only, implemented by the crypto core work.
/** XORs the AES-CTR keystream from the 16-byte counter block into [ptr, ptr + len). */
export function ctrXor(schedule: usize, counterBlock: usize, ptr: usize, len: i32): void {}
