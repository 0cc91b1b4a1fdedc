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

/** Block encryptions since start or aesBlockCountReset, by every caller (wraps at 2^32). */
let aesBlocks: u32 = 0;

const TABLE_ENTRIES: i32 = 256;
/** T[x] = (2s, s, s, 3s) as bytes 0..3 of a little-endian word, where s = S-box(x). */
const T_TABLE = memory.data(TABLE_ENTRIES * 4, 16);
/** The AES field polynomial x^8 + x^4 + x^3 + x + 1 (FIPS-197 section 4.2). */
const AES_POLY: u32 = 0x11b;
/** The affine constant of the S-box (FIPS-197 equation 5.1). */
const SBOX_AFFINE: u32 = 0x63;
/**
 * Division by the generator 3 after q ^= q << 1, q << 2, q << 4 (which multiplies by
 * 0xff = 3^-1 * (x^8 + 1)): folding the carried bit back in takes this constant.
 */
const DIV3_FOLD: u32 = 0x09;
/** T[0]: 0 has no inverse and maps to S-box(0) = 0x63, so (2s, s, s, 3s) = c6 63 63 a5. */
const T_ZERO: u32 = 0xa56363c6;
const WORDS_PER_KEY: i32 = 4;
const SCHEDULE_WORDS: i32 = (AES_ROUNDS + 1) * 4;

/** Multiplication by x in GF(2^8) (FIPS-197 section 4.2.1, xtime). */
// @ts-ignore: decorator
@inline function xtime(b: u32): u32 {
  return ((b << 1) ^ (AES_POLY & -(b >> 7))) & 0xff;
}

/** Writes T[x] for the field inverse `inverse` of x: the affine map, then (2s, s, s, 3s). */
// @ts-ignore: decorator
@inline function tableEntry(x: u32, inverse: u32): void {
  // Affine map (FIPS-197 section 5.1.1): b xor rotl8(b, 1..4) xor 0x63.
  const doubled = inverse | (inverse << 8);
  const s = (inverse ^ (doubled >> 7) ^ (doubled >> 6) ^ (doubled >> 5) ^ (doubled >> 4)
    ^ SBOX_AFFINE) & 0xff;
  const s2 = xtime(s);
  store<u32>(T_TABLE + (<usize>x << 2), s2 | (s << 8) | (s << 16) | ((s2 ^ s) << 24));
}

/**
 * Builds T_TABLE from the S-box definition of FIPS-197 section 5.1.1. 3 generates the nonzero
 * field elements, so p = 3^k walks all of them while q = 3^-k is p's inverse; 0 maps to 0.
 */
function aesTableInit(): void {
  let p: u32 = 1;
  let q: u32 = 1;
  do {
    p ^= xtime(p);
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q = (q ^ (DIV3_FOLD & -((q >> 7) & 1))) & 0xff;
    tableEntry(p, q);
  } while (p != 1);
  store<u32>(T_TABLE, T_ZERO);
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

/** SubWord on a little-endian word (FIPS-197 section 5.2), a byte at a time. */
function subWord(w: u32): u32 {
  let out: u32 = 0;
  for (let shift: u32 = 0; shift < 32; shift += 8) out |= sbox((w >>> shift) & 0xff) << shift;
  return out;
}

/** Expands the 16-byte key at `key` into the 176-byte schedule at `schedule` (may overlap key). */
export function aesExpandKey(key: usize, schedule: usize): void {
  // T[0] holds S-box(0) = 0x63 in byte 1, so a zero word means "not built yet".
  if (load<u32>(T_TABLE) == 0) aesTableInit();
  store<u64>(schedule, load<u64>(key, 0), 0);
  store<u64>(schedule, load<u64>(key, 8), 8);
  let rcon: u32 = 1;
  for (let i = WORDS_PER_KEY; i < SCHEDULE_WORDS; i++) {
    const at = schedule + (<usize>i << 2);
    let temp = load<u32>(at - 4);
    if ((i & (WORDS_PER_KEY - 1)) == 0) {
      // RotWord of a little-endian word is a right rotation by one byte; Rcon enters byte 0.
      temp = subWord(rotr<u32>(temp, 8)) ^ rcon;
      rcon = xtime(rcon);
    }
    store<u32>(at, load<u32>(at - <usize>(WORDS_PER_KEY * 4)) ^ temp);
  }
}

/**
 * One output column of rounds 1..9: SubBytes, ShiftRows and MixColumns by table, row r taken from
 * the column r places to the right (FIPS-197 section 5.1.2), then AddRoundKey.
 */
function column(a: u32, b: u32, c: u32, d: u32, roundKey: u32): u32 {
  return te(a & 0xff) ^ rotl<u32>(te((b >> 8) & 0xff), 8) ^ rotl<u32>(te((c >> 16) & 0xff), 16)
    ^ rotl<u32>(te(d >>> 24), 24) ^ roundKey;
}

/** The last round's state, byte-addressable for the final SubBytes and ShiftRows. */
const LAST_STATE = memory.data(AES_BLOCK_LEN, 16);

/** Encrypts one 16-byte block; `input` and `output` may be the same address. */
export function aesEncryptBlock(schedule: usize, input: usize, output: usize): void {
  aesBlocks++;
  // Round 0: AddRoundKey.
  let s0 = load<u32>(input, 0) ^ load<u32>(schedule, 0);
  let s1 = load<u32>(input, 4) ^ load<u32>(schedule, 4);
  let s2 = load<u32>(input, 8) ^ load<u32>(schedule, 8);
  let s3 = load<u32>(input, 12) ^ load<u32>(schedule, 12);
  let rk = schedule;
  for (let round = 1; round < AES_ROUNDS; round++) {
    rk += <usize>AES_BLOCK_LEN;
    const t0 = column(s0, s1, s2, s3, load<u32>(rk, 0));
    const t1 = column(s1, s2, s3, s0, load<u32>(rk, 4));
    const t2 = column(s2, s3, s0, s1, load<u32>(rk, 8));
    s3 = column(s3, s0, s1, s2, load<u32>(rk, 12));
    s0 = t0;
    s1 = t1;
    s2 = t2;
  }
  // Round 10: SubBytes, ShiftRows, AddRoundKey, no MixColumns (FIPS-197 section 5.1). Output
  // byte i = 4c + r comes from column c + r, row r: state byte (i + 4r) mod 16 = 5i mod 16.
  store<u32>(LAST_STATE, s0, 0);
  store<u32>(LAST_STATE, s1, 4);
  store<u32>(LAST_STATE, s2, 8);
  store<u32>(LAST_STATE, s3, 12);
  rk += <usize>AES_BLOCK_LEN;
  for (let i = 0; i < AES_BLOCK_LEN; i++) {
    const from = LAST_STATE + <usize>((i * 5) & (AES_BLOCK_LEN - 1));
    store<u8>(output + <usize>i, sbox(load<u8>(from)) ^ load<u8>(rk + <usize>i));
  }
  store<u64>(LAST_STATE, 0, 0);
  store<u64>(LAST_STATE, 0, 8);
}

/** AES block encryptions since start or the last reset: CMAC, CTR, CCM*, KDF, MMO all count. */
export function aesBlockCount(): u32 {
  return aesBlocks;
}

export function aesBlockCountReset(): void {
  aesBlocks = 0;
}

/**
 * Encrypts `count` consecutive blocks (ECB); for bulk measurement and block-wise callers. Each
 * block goes through aesEncryptBlock, so each is counted.
 */
export function aesEncryptBlocks(schedule: usize, input: usize, output: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const at = <usize>i << 4;
    aesEncryptBlock(schedule, input + at, output + at);
  }
}
