// STUB: signatures only, implemented by the crypto core work.
/** CCM* seal with a 13-byte nonce: writes ciphertext || tag (tagLen 0, 4, 8, 16) to `out`. */
export function ccmSeal(key: usize, nonce: usize, aad: usize, aadLen: i32, data: usize,
  dataLen: i32, tagLen: i32, out: usize): i32 { return 0; }
/** CCM* open: writes the plaintext to `out`; returns ERR_INVALID_TAG and wipes `out` on failure. */
export function ccmOpen(key: usize, nonce: usize, aad: usize, aadLen: i32, sealed: usize,
  sealedLen: i32, tagLen: i32, out: usize): i32 { return 0; }
