// AES-128 encryption (FIPS-197): key expansion (section 5.2) and the cipher (section 5.1). Only
// the forward direction: CMAC, CTR, CCM*, the KDF and MMO never decrypt a block.
//
// Implementation: one 1 KiB "T-table" of 32-bit words that merges SubBytes and MixColumns
// (FIPS-197 section 5.1.3 written as a table lookup, the design of Daemen and Rijmen's "AES
// Proposal: Rijndael", section 5.2.1), used with rotations for the other three byte positions.
// The table is computed on first use from the field arithmetic of FIPS-197 section 4, so the
// module carries no table bytes. The state is four little-endian column words; the key schedule
// is the 176 bytes w[0..43] of FIPS-197 in their natural byte order.
//
// Not protected: table lookups indexed by secret bytes leak through cache timing on a CPU with a
// data cache shared with an attacker (Bernstein 2005; Osvik, Shamir and Tromer 2006). Radio chips
// with an AES coprocessor should use it instead; docs/crypto.md explains the choice.

export const AES_BLOCK_LEN: i32 = 16;
export const AES_KEY_LEN: i32 = 16;
/** Nr for a 128-bit key (FIPS-197 figure 4). */
export const AES_ROUNDS: i32 = 10;
/** (Nr + 1) round keys of 16 bytes: w[0..43] of FIPS-197 section 5.2. */
export const AES_SCHEDULE_LEN: i32 = (AES_ROUNDS + 1) * AES_BLOCK_LEN;

const TABLE_ENTRIES: i32 = 256;
/** T[x] = (2s, s, s, 3s) as bytes 0..3 of a little-endian word, where s = S-box(x). */
const T_TABLE = memory.data(TABLE_ENTRIES * 4, 16);
/** The AES field polynomial x^8 + x^4 + x^3 + x + 1 (FIPS-197 section 4.2). */
const AES_POLY: u32 = 0x11b;
/** The affine constant of the S-box (FIPS-197 equation 5.1). */
const SBOX_AFFINE: u32 = 0x63;
/** The multiplicative inverse is x^254 in GF(2^8) (x^255 = 1 for x != 0; 0 maps to 0). */
const INVERSE_SQUARINGS: i32 = 7;
const WORDS_PER_KEY: i32 = 4;
const SCHEDULE_WORDS: i32 = (AES_ROUNDS + 1) * 4;

/** Multiplication by x in GF(2^8) (FIPS-197 section 4.2.1, xtime). */
// @ts-ignore: decorator
@inline function xtime(b: u32): u32 {
  return ((b << 1) ^ (AES_POLY & -(b >> 7))) & 0xff;
}

function gmul(a: u32, b: u32): u32 {
  let product: u32 = 0;
  for (let bit = 0; bit < 8; bit++) {
    product ^= a & -(b & 1);
    a = xtime(a);
    b >>= 1;
  }
  return product;
}

/** Builds T_TABLE from the S-box definition of FIPS-197 section 5.1.1. */
function aesTableInit(): void {
  for (let x: u32 = 0; x < <u32>TABLE_ENTRIES; x++) {
    // Inverse as x^(2 + 4 + ... + 128) = x^254: multiply the seven squarings x^(2^k).
    let square = x;
    let inverse: u32 = 1;
    for (let k = 0; k < INVERSE_SQUARINGS; k++) {
      square = gmul(square, square);
      inverse = gmul(inverse, square);
    }
    // Affine map: b xor rotl8(b, 1..4) xor 0x63.
    const doubled = inverse | (inverse << 8);
    const s = (inverse ^ (doubled >> 7) ^ (doubled >> 6) ^ (doubled >> 5) ^ (doubled >> 4)
      ^ SBOX_AFFINE) & 0xff;
    const s2 = xtime(s);
    store<u32>(T_TABLE + (<usize>x << 2), s2 | (s << 8) | (s << 16) | ((s2 ^ s) << 24));
  }
}

// @ts-ignore: decorator
@inline function te(index: u32): u32 {
  return load<u32>(T_TABLE + (<usize>index << 2));
}

/** S-box(x) for x < 256: byte 1 of T[x]. */
// @ts-ignore: decorator
@inline function sbox(index: u32): u32 {
  return load<u8>(T_TABLE + (<usize>index << 2), 1);
}

/** SubWord on a little-endian word (FIPS-197 section 5.2). */
// @ts-ignore: decorator
@inline function subWord(w: u32): u32 {
  return sbox(w & 0xff) | (sbox((w >> 8) & 0xff) << 8) | (sbox((w >> 16) & 0xff) << 16)
    | (sbox(w >>> 24) << 24);
}

/** Expands the 16-byte key at `key` into the 176-byte schedule at `schedule` (may overlap key). */
export function aesExpandKey(key: usize, schedule: usize): void {
  // T[0] holds S-box(0) = 0x63 in byte 1, so a zero word means "not built yet".
  if (load<u32>(T_TABLE) == 0) aesTableInit();
  let w0 = load<u32>(key, 0);
  let w1 = load<u32>(key, 4);
  let w2 = load<u32>(key, 8);
  let w3 = load<u32>(key, 12);
  store<u32>(schedule, w0, 0);
  store<u32>(schedule, w1, 4);
  store<u32>(schedule, w2, 8);
  store<u32>(schedule, w3, 12);
  let rcon: u32 = 1;
  for (let i = WORDS_PER_KEY; i < SCHEDULE_WORDS; i += WORDS_PER_KEY) {
    // RotWord of a little-endian word is a right rotation by one byte; Rcon enters byte 0.
    w0 ^= subWord(rotr<u32>(w3, 8)) ^ rcon;
    w1 ^= w0;
    w2 ^= w1;
    w3 ^= w2;
    const at = schedule + (<usize>i << 2);
    store<u32>(at, w0, 0);
    store<u32>(at, w1, 4);
    store<u32>(at, w2, 8);
    store<u32>(at, w3, 12);
    rcon = xtime(rcon);
  }
}

/** Encrypts one 16-byte block; `input` and `output` may be the same address. */
export function aesEncryptBlock(schedule: usize, input: usize, output: usize): void {
  // Round 0: AddRoundKey.
  let s0 = load<u32>(input, 0) ^ load<u32>(schedule, 0);
  let s1 = load<u32>(input, 4) ^ load<u32>(schedule, 4);
  let s2 = load<u32>(input, 8) ^ load<u32>(schedule, 8);
  let s3 = load<u32>(input, 12) ^ load<u32>(schedule, 12);
  let rk = schedule;
  // Rounds 1..9: column j takes row r from column j + r (ShiftRows), then one T lookup per row.
  for (let round = 1; round < AES_ROUNDS; round++) {
    rk += <usize>AES_BLOCK_LEN;
    const t0 = te(s0 & 0xff) ^ rotl<u32>(te((s1 >> 8) & 0xff), 8)
      ^ rotl<u32>(te((s2 >> 16) & 0xff), 16) ^ rotl<u32>(te(s3 >>> 24), 24) ^ load<u32>(rk, 0);
    const t1 = te(s1 & 0xff) ^ rotl<u32>(te((s2 >> 8) & 0xff), 8)
      ^ rotl<u32>(te((s3 >> 16) & 0xff), 16) ^ rotl<u32>(te(s0 >>> 24), 24) ^ load<u32>(rk, 4);
    const t2 = te(s2 & 0xff) ^ rotl<u32>(te((s3 >> 8) & 0xff), 8)
      ^ rotl<u32>(te((s0 >> 16) & 0xff), 16) ^ rotl<u32>(te(s1 >>> 24), 24) ^ load<u32>(rk, 8);
    const t3 = te(s3 & 0xff) ^ rotl<u32>(te((s0 >> 8) & 0xff), 8)
      ^ rotl<u32>(te((s1 >> 16) & 0xff), 16) ^ rotl<u32>(te(s2 >>> 24), 24) ^ load<u32>(rk, 12);
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  // Round 10: SubBytes, ShiftRows and AddRoundKey, no MixColumns (FIPS-197 section 5.1).
  rk += <usize>AES_BLOCK_LEN;
  const o0 = sbox(s0 & 0xff) | (sbox((s1 >> 8) & 0xff) << 8) | (sbox((s2 >> 16) & 0xff) << 16)
    | (sbox(s3 >>> 24) << 24);
  const o1 = sbox(s1 & 0xff) | (sbox((s2 >> 8) & 0xff) << 8) | (sbox((s3 >> 16) & 0xff) << 16)
    | (sbox(s0 >>> 24) << 24);
  const o2 = sbox(s2 & 0xff) | (sbox((s3 >> 8) & 0xff) << 8) | (sbox((s0 >> 16) & 0xff) << 16)
    | (sbox(s1 >>> 24) << 24);
  const o3 = sbox(s3 & 0xff) | (sbox((s0 >> 8) & 0xff) << 8) | (sbox((s1 >> 16) & 0xff) << 16)
    | (sbox(s2 >>> 24) << 24);
  store<u32>(output, o0 ^ load<u32>(rk, 0), 0);
  store<u32>(output, o1 ^ load<u32>(rk, 4), 4);
  store<u32>(output, o2 ^ load<u32>(rk, 8), 8);
  store<u32>(output, o3 ^ load<u32>(rk, 12), 12);
}

/** Encrypts `count` consecutive blocks (ECB); for bulk measurement and block-wise callers. */
export function aesEncryptBlocks(schedule: usize, input: usize, output: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const at = <usize>i << 4;
    aesEncryptBlock(schedule, input + at, output + at);
  }
}
