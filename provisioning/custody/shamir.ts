// Shamir's secret sharing (A. Shamir, "How to share a secret", CACM 22(11), 1979) over GF(2^8):
// each byte of the secret is the constant term of its own random polynomial of degree
// threshold - 1; share i holds the value of every polynomial at x = i (1..shares, so non-zero and
// distinct). Any `threshold` shares rebuild the secret by Lagrange interpolation at x = 0; fewer
// are consistent with every possible secret (test/custody-shamir.test.ts checks that property).
//
// Coefficients come from node:crypto randomBytes. This module knows nothing about encoding or
// integrity: a wrong share gives a wrong secret here, silently. provisioning/custody/share-code.ts
// adds the per-share checksum and seal.ts the KEK digest that catch it.

import { randomBytes } from "node:crypto";
import { wipe } from "../../host/crypto/index.js";
import { gfDiv, gfMul } from "./gf256.js";

export const MIN_THRESHOLD = 2;
/** x = 0 holds the secret and x is one byte, so at most 255 shares. */
export const MAX_SHARES = 255;

export interface SharePoint {
  /** The x-coordinate, 1..255. */
  x: number;
  /** One value per secret byte. */
  y: Uint8Array;
}

export function checkCounts(shares: number, threshold: number): void {
  if (!Number.isInteger(threshold) || threshold < MIN_THRESHOLD || threshold > MAX_SHARES) {
    throw new RangeError(
      `threshold: expected an integer from ${MIN_THRESHOLD} to ${MAX_SHARES}, got ${threshold}`,
    );
  }
  if (!Number.isInteger(shares) || shares < threshold || shares > MAX_SHARES) {
    throw new RangeError(
      `shares: expected an integer from the threshold (${threshold}) to ${MAX_SHARES}, ` +
        `got ${shares}`,
    );
  }
}

/** Evaluates a polynomial given by its coefficients (constant first) at x, by Horner's rule. */
function evaluate(coefficients: Uint8Array, x: number): number {
  let value = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) value = gfMul(value, x) ^ coefficients[i];
  return value;
}

/**
 * Splits `secret` into `shares` points with x = 1..shares; any `threshold` of them rebuild it.
 * `random` is for tests that need a reproducible split; it defaults to node:crypto.
 */
export function split(
  secret: Uint8Array,
  shares: number,
  threshold: number,
  random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
): SharePoint[] {
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new TypeError("secret: expected a non-empty Uint8Array");
  }
  checkCounts(shares, threshold);
  const points: SharePoint[] = [];
  for (let i = 1; i <= shares; i++) points.push({ x: i, y: new Uint8Array(secret.length) });
  const coefficients = new Uint8Array(threshold);
  for (let b = 0; b < secret.length; b++) {
    const fresh = random(threshold - 1);
    coefficients[0] = secret[b];
    coefficients.set(fresh, 1);
    wipe(fresh);
    for (const point of points) point.y[b] = evaluate(coefficients, point.x);
  }
  wipe(coefficients);
  return points;
}

function checkPoints(points: readonly SharePoint[]): number {
  if (points.length < 1) throw new RangeError("points: expected at least one share");
  const length = points[0].y.length;
  const seen = new Set<number>();
  for (const point of points) {
    if (!Number.isInteger(point.x) || point.x < 1 || point.x > MAX_SHARES) {
      throw new RangeError(`share x: expected 1 to ${MAX_SHARES}, got ${point.x}`);
    }
    if (seen.has(point.x)) throw new RangeError(`share x = ${point.x} given twice`);
    seen.add(point.x);
    if (point.y.length !== length) {
      throw new RangeError(`share x = ${point.x}: expected ${length} bytes, got ${point.y.length}`);
    }
  }
  return length;
}

/**
 * The value at `target` of the lowest-degree polynomials through `points` (Lagrange form).
 * With target 0 and at least `threshold` points of one split, this is the secret.
 */
export function interpolateAt(points: readonly SharePoint[], target: number): Uint8Array {
  const length = checkPoints(points);
  const out = new Uint8Array(length);
  for (const point of points) {
    // Basis value L_i(target) = prod_{j != i} (target - x_j) / (x_i - x_j); "-" is XOR.
    let basis = 1;
    for (const other of points) {
      if (other.x === point.x) continue;
      basis = gfMul(basis, gfDiv(target ^ other.x, point.x ^ other.x));
    }
    for (let b = 0; b < length; b++) out[b] ^= gfMul(basis, point.y[b]);
  }
  return out;
}

/** Rebuilds the secret from `threshold` or more points (extra points must agree to help). */
export function combine(points: readonly SharePoint[]): Uint8Array {
  return interpolateAt(points, 0);
}
