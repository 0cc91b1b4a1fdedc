// STUB: signatures only, implemented by the crypto core work.
export function constantTimeEqual(a: usize, b: usize, len: i32): bool { return false; }
export function wipe(ptr: usize, len: i32): void {}
/** CRC-32 (IEEE, as zlib) of [ptr, ptr + len). */
export function crc32(ptr: usize, len: i32): u32 { return 0; }
/** Continues a CRC-32: crc32Update(crc32(a), b) == crc32(a || b). */
export function crc32Update(crc: u32, ptr: usize, len: i32): u32 { return 0; }
