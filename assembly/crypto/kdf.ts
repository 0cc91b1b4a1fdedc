// STUB: signatures only, implemented by the crypto core work.
/** SP 800-108 counter-mode KDF with AES-CMAC; the layout of host/crypto kdf(). */
export function kdf(key: usize, label: usize, labelLen: i32, context: usize, contextLen: i32,
  out: usize, outLen: i32): i32 { return 0; }
