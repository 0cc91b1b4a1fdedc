// Arithmetic in GF(2^8) with the AES reduction polynomial x^8 + x^4 + x^3 + x + 1 (0x11B,
// FIPS-197 section 4.2), for Shamir's scheme over bytes. Addition is XOR. Multiplication is
// shift-and-add with masks instead of log/exp tables, so the time and memory accesses do not
// depend on the (secret) operands; inversion is a^254 (a^255 = 1 for a != 0, FIPS-197 4.2).
// Speed is irrelevant here: a KEK is 32 bytes and a ceremony has at most 255 shares.

/** The reduction polynomial without its x^8 term, applied when a shift carries out of bit 7. */
const REDUCTION = 0x1b;

/** a * b in GF(2^8); both operands are bytes. */
export function gfMul(a: number, b: number): number {
  let product = 0;
  let x = a & 0xff;
  let y = b & 0xff;
  for (let bit = 0; bit < 8; bit++) {
    // Add x when the low bit of y is set: the mask is 0xff or 0x00, no branch on y.
    product ^= x & -(y & 1);
    // x * {02} (FIPS-197 4.2.1 xtime): reduce when bit 7 carries out, again by mask.
    const carry = -((x >> 7) & 1);
    x = ((x << 1) ^ (REDUCTION & carry)) & 0xff;
    y >>= 1;
  }
  return product;
}

/** The multiplicative inverse a^-1 = a^254; throws for 0, which has none. */
export function gfInv(a: number): number {
  if ((a & 0xff) === 0) throw new RangeError("gfInv: 0 has no inverse in GF(2^8)");
  // Square-and-multiply over the fixed exponent 254 = 0b11111110: the same steps for every a.
  let result = 1;
  let square = a & 0xff;
  for (let bit = 1; bit < 8; bit++) {
    square = gfMul(square, square);
    result = gfMul(result, square);
  }
  return result;
}

/** a / b in GF(2^8). */
export function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInv(b));
}
