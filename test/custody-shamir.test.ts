// GF(2^8) and Shamir's scheme, checked against references written here and not taken from the
// code under test: multiplication as a carry-less product reduced by polynomial long division by
// 0x11B, FIPS-197's worked vectors, and interpolation by solving the Vandermonde system with
// Gaussian elimination (the code under test uses Lagrange's form).

import { describe, expect, it } from "vitest";
import { gfDiv, gfInv, gfMul } from "../provisioning/custody/gf256.js";
import { combine, interpolateAt, split } from "../provisioning/custody/shamir.js";

/** Carry-less 8x8 -> 15-bit product, then the remainder of division by x^8+x^4+x^3+x+1. */
function refMul(a: number, b: number): number {
  let wide = 0;
  for (let i = 0; i < 8; i++) if ((b >> i) & 1) wide ^= a << i;
  for (let bit = 14; bit >= 8; bit--) if ((wide >> bit) & 1) wide ^= 0x11b << (bit - 8);
  return wide;
}

/** Solves V c = y over GF(2^8) (V_ij = x_i^j) by Gauss-Jordan elimination with refMul. */
function refSolve(xs: number[], ys: number[]): number[] {
  const n = xs.length;
  const rows = xs.map((x, i) => {
    const row: number[] = [];
    let power = 1;
    for (let j = 0; j < n; j++) {
      row.push(power);
      power = refMul(power, x);
    }
    row.push(ys[i]);
    return row;
  });
  const refInv = (a: number): number => {
    for (let c = 1; c < 256; c++) if (refMul(a, c) === 1) return c;
    throw new Error("no inverse");
  };
  for (let col = 0; col < n; col++) {
    const pivot = rows.findIndex((r, i) => i >= col && r[col] !== 0);
    [rows[col], rows[pivot]] = [rows[pivot], rows[col]];
    const inv = refInv(rows[col][col]);
    rows[col] = rows[col].map((v) => refMul(v, inv));
    for (let r = 0; r < n; r++) {
      if (r === col || rows[r][col] === 0) continue;
      const f = rows[r][col];
      rows[r] = rows[r].map((v, j) => v ^ refMul(f, rows[col][j]));
    }
  }
  return rows.map((r) => r[n]);
}

function refEval(coefficients: number[], x: number): number {
  let value = 0;
  let power = 1;
  for (const c of coefficients) {
    value ^= refMul(c, power);
    power = refMul(power, x);
  }
  return value;
}

describe("GF(2^8)", () => {
  it("matches FIPS-197 section 4.2: {57} . {83} = {c1}, and 4.2.1: {57} . {13} = {fe}", () => {
    expect(gfMul(0x57, 0x83)).toBe(0xc1);
    expect(gfMul(0x57, 0x13)).toBe(0xfe);
  });

  it("matches the long-division reference on all 65,536 products", () => {
    let mismatches = 0;
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) if (gfMul(a, b) !== refMul(a, b)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it("inverts every non-zero element and refuses 0", () => {
    for (let a = 1; a < 256; a++) expect(refMul(a, gfInv(a))).toBe(1);
    expect(() => gfInv(0)).toThrow(RangeError);
    expect(gfDiv(0xc1, 0x83)).toBe(0x57);
  });
});

/** A deterministic byte source for reproducible splits. */
function counterRandom(seed: number): (n: number) => Uint8Array {
  let state = seed;
  return (n) =>
    Uint8Array.from({ length: n }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    });
}

describe("Shamir over GF(2^8)", () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

  it("puts shares on one polynomial per byte whose constant term is the secret byte", () => {
    const shares = split(secret, 5, 3, counterRandom(1));
    expect(shares.map((s) => s.x)).toEqual([1, 2, 3, 4, 5]);
    for (let b = 0; b < secret.length; b++) {
      const coefficients = refSolve(
        shares.slice(0, 3).map((s) => s.x),
        shares.slice(0, 3).map((s) => s.y[b]),
      );
      expect(coefficients[0]).toBe(secret[b]);
      // The other two shares lie on the same degree-2 polynomial.
      expect(refEval(coefficients, 4)).toBe(shares[3].y[b]);
      expect(refEval(coefficients, 5)).toBe(shares[4].y[b]);
    }
  });

  it("rebuilds the secret from every subset of threshold shares", () => {
    const shares = split(secret, 5, 3);
    for (let a = 0; a < 5; a++) {
      for (let b = a + 1; b < 5; b++) {
        for (let c = b + 1; c < 5; c++) {
          expect(combine([shares[a], shares[b], shares[c]])).toEqual(secret);
        }
      }
    }
    expect(combine(shares)).toEqual(secret);
  });

  it("gives a different value from threshold - 1 shares", () => {
    const shares = split(secret, 5, 3, counterRandom(7));
    expect(combine(shares.slice(0, 2))).not.toEqual(secret);
  });

  it("every M-1 shares fit each of the 256 secret bytes, by one polynomial each", () => {
    // M = 4 of N = 6: for every subset of 3 shares and every candidate c of byte 0, solve for the
    // degree-3 polynomial through (0, c) and the three shares; it must exist, pass through all
    // four points, and differ for every c, so the three shares rule no candidate out.
    const m = 4;
    const shares = split(secret, 6, m, counterRandom(3));
    let subsets = 0;
    for (let a = 0; a < 6; a++) {
      for (let b = a + 1; b < 6; b++) {
        for (let d = b + 1; d < 6; d++) {
          subsets++;
          const subset = [shares[a], shares[b], shares[d]];
          const xs = [0, ...subset.map((s) => s.x)];
          const seen = new Set<string>();
          for (let c = 0; c < 256; c++) {
            const ys = [c, ...subset.map((s) => s.y[0])];
            const coefficients = refSolve(xs, ys);
            expect(coefficients.length).toBe(m);
            xs.forEach((x, i) => expect(refEval(coefficients, x)).toBe(ys[i]));
            seen.add(coefficients.join(","));
            if (c % 64 === 0) {
              // The code under test agrees: the subset plus one more point of that polynomial
              // interpolates to c at x = 0.
              const points = subset.map((s) => ({ x: s.x, y: s.y.subarray(0, 1) }));
              points.push({ x: 7, y: Uint8Array.of(refEval(coefficients, 7)) });
              expect(interpolateAt(points, 0)[0]).toBe(c);
            }
          }
          expect(seen.size).toBe(256);
        }
      }
    }
    expect(subsets).toBe(20);
  });

  it("refuses bad counts and points", () => {
    expect(() => split(secret, 5, 1)).toThrow(/threshold/);
    expect(() => split(secret, 2, 3)).toThrow(/shares/);
    expect(() => split(secret, 256, 3)).toThrow(/shares/);
    expect(() => split(new Uint8Array(0), 3, 2)).toThrow(/secret/);
    const shares = split(secret, 3, 2);
    expect(() => combine([shares[0], shares[0]])).toThrow(/given twice/);
    expect(() => combine([{ x: 0, y: shares[0].y }, shares[1]])).toThrow(/share x/);
  });

  it("uses all 255 x-coordinates at the maximum", () => {
    const shares = split(secret.subarray(0, 2), 255, 2);
    expect(new Set(shares.map((s) => s.x)).size).toBe(255);
    expect(combine([shares[0], shares[254]])).toEqual(secret.subarray(0, 2));
  });
});
