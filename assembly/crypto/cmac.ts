// STUB: signatures only, implemented by the crypto core work.
export const CMAC_CTX_LEN: i32 = 256;
export function cmacInit(ctx: usize, key: usize): void {}
export function cmacUpdate(ctx: usize, ptr: usize, len: i32): void {}
/** Writes the 16-byte tag to `tagOut` and wipes the context. */
export function cmacFinal(ctx: usize, tagOut: usize): void {}
export function cmac(key: usize, ptr: usize, len: i32, tagOut: usize): void {}
