// Randomness for the emulator, in two kinds:
// - ByteSource for the HAL's random_fill: node:crypto's CSPRNG by default, or, given a seed, an
//   AES-128-CTR keystream keyed from SHA-256(seed), so a seeded run is reproducible byte for byte
//   (the seeded stream is for tests and simulation only: anyone with the seed can predict it).
// - Prng for simulation choices (placement, frame loss, jitter): sfc32 seeded from SHA-256(seed),
//   fast and deterministic, never used for key material.
// No Math.random and no wall clock anywhere in the simulation path.

import { createCipheriv, createHash, randomFillSync } from "node:crypto";

export interface ByteSource {
  fill(out: Uint8Array): void;
}

/** Fresh bytes from node:crypto (not reproducible). */
export const systemRandom: ByteSource = {
  fill(out: Uint8Array): void {
    randomFillSync(out);
  },
};

/** Bytes of SHA-256(label || 0 || seed): the root of every seeded stream. */
export function seedDigest(label: string, seed: string): Uint8Array {
  return createHash("sha256").update(label).update("\0").update(seed).digest();
}

/** AES-128-CTR keystream from a seed: deterministic, statistically uniform. */
export class SeededBytes implements ByteSource {
  private readonly cipher: ReturnType<typeof createCipheriv>;
  private zeros = new Uint8Array(256);

  constructor(seed: string) {
    const digest = seedDigest("predist-emulator-random-fill", seed);
    this.cipher = createCipheriv("aes-128-ctr", digest.subarray(0, 16), digest.subarray(16, 32));
  }

  fill(out: Uint8Array): void {
    if (out.length > this.zeros.length) this.zeros = new Uint8Array(out.length);
    out.set(this.cipher.update(this.zeros.subarray(0, out.length)));
  }
}

/** A byte source for `seed`, or the system CSPRNG when there is none. */
export function byteSource(seed: string | undefined): ByteSource {
  return seed === undefined ? systemRandom : new SeededBytes(seed);
}

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, PractRand suite), 32-bit state. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string, label = "predist-prng") {
    const digest = seedDigest(label, seed);
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    this.a = view.getUint32(0, true);
    this.b = view.getUint32(4, true);
    this.c = view.getUint32(8, true);
    this.d = view.getUint32(12, true) | 1;
    // Mix the state before first use, as the generator's author recommends.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4_294_967_296;
  }

  /** Uniform integer in [0, n), 1 <= n <= 2^32, without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4_294_967_296) {
      throw new RangeError(`prng int: expected 1..2^32, got ${n}`);
    }
    const limit = 4_294_967_296 - (4_294_967_296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }
}
