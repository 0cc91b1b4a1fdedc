// STUB: signatures only, implemented by the crypto core work.
export const MMO_CTX_LEN: i32 = 64;
/** F(x) = AES_0(x) xor x: the one-way function of hash chains. */
export function oneWay(input: usize, output: usize): void {}
export function mmoInit(ctx: usize): void {}
export function mmoUpdate(ctx: usize, ptr: usize, len: i32): void {}
export function mmoFinal(ctx: usize, digestOut: usize): void {}
