// Host crypto (host/crypto): argument checks and the byte layouts shared with the firmware,
// rebuilt here independently from their specifications. Known-answer vectors for the primitives
// themselves live in test/vectors/ and are run by the crypto-core tests.

import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  Aes128,
  aesEncryptBlock,
  ccmOpen,
  ccmSeal,
  cmac,
  constantTimeEqual,
  crc32,
  kdf,
  mmoHash,
  oneWay,
} from "../host/crypto/index.js";

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));

describe("argument checks", () => {
  it("names the argument and the expected type", () => {
    expect(() => cmac("key" as unknown as Uint8Array, new Uint8Array(1))).toThrow(
      /key: expected Uint8Array, got string/,
    );
  });

  it("names expected and actual lengths", () => {
    expect(() => aesEncryptBlock(new Uint8Array(15), new Uint8Array(16))).toThrow(RangeError);
    expect(() => aesEncryptBlock(new Uint8Array(15), new Uint8Array(16))).toThrow(
      "key: expected 16 bytes, got 15",
    );
    expect(() =>
      ccmSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0), 8),
    ).toThrow("nonce: expected 13 bytes, got 12");
    expect(() =>
      ccmSeal(new Uint8Array(16), new Uint8Array(13), new Uint8Array(0), new Uint8Array(0), 6 as 8),
    ).toThrow(/tagLen: expected one of 0, 4, 8, 16, got 6/);
    expect(() => kdf(new Uint8Array(16), "x", new Uint8Array(0), 0)).toThrow(RangeError);
  });
});

describe("AES-128 (FIPS-197 appendix C.1)", () => {
  const key = hex("000102030405060708090a0b0c0d0e0f");
  const plaintext = hex("00112233445566778899aabbccddeeff");
  const ciphertext = hex("69c4e0d86a7b0430d8cdb78070b4c55a");

  it("single block and the cached-schedule batch agree with the published ciphertext", () => {
    expect(aesEncryptBlock(key, plaintext)).toEqual(ciphertext);
    const batch = new Aes128(key).encrypt(new Uint8Array([...plaintext, ...plaintext]));
    expect(batch.subarray(16)).toEqual(ciphertext);
  });
});

describe("CCM* levels (IEEE 802.15.4-2006 annex B)", () => {
  const key = hex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
  const nonce = hex("00000003020100a0a1a2a3a4a5");
  const aad = hex("0001020304050607");
  const payload = hex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e");

  it("RFC 3610 packet vector #1 (M = 8) seals to the published bytes", () => {
    const sealed = ccmSeal(key, nonce, aad, payload, 8);
    expect(sealed).toEqual(hex("588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"));
    expect(ccmOpen(key, nonce, aad, sealed, 8)).toEqual(payload);
  });

  it("encryption-only level is CTR from counter block A_1 (flags L - 1 = 1, counter 1)", () => {
    const a1 = new Uint8Array(16);
    a1[0] = 1;
    a1.set(nonce, 1);
    a1[15] = 1;
    const reference = createCipheriv("aes-128-ctr", key, a1).update(payload);
    expect(ccmSeal(key, nonce, aad, payload, 0)).toEqual(new Uint8Array(reference));
  });

  it("a flipped tag bit is rejected with a fixed message", () => {
    const sealed = ccmSeal(key, nonce, aad, payload, 4);
    sealed[sealed.length - 1] ^= 1;
    expect(() => ccmOpen(key, nonce, aad, sealed, 4)).toThrow(/^invalid tag$/);
  });
});

describe("KDF layout (SP 800-108r1 section 4.1, counter mode, r = 32)", () => {
  it("block i is CMAC over [i]_32 || label || 0x00 || context || [L]_32", () => {
    const key = hex("2b7e151628aed2a6abf7158809cf4f3c");
    const context = hex("0102030405");
    const out = kdf(key, "pool", context, 32);
    const fixed = [..."pool"].map((c) => c.charCodeAt(0));
    const block = (i: number) =>
      cmac(key, new Uint8Array([0, 0, 0, i, ...fixed, 0, ...context, 0, 0, 1, 0]));
    expect(out.subarray(0, 16)).toEqual(block(1));
    expect(out.subarray(16, 32)).toEqual(block(2));
  });

  it("the output length is bound into every block", () => {
    const key = new Uint8Array(16).fill(7);
    expect(kdf(key, "a", new Uint8Array(0), 16)).not.toEqual(
      kdf(key, "a", new Uint8Array(0), 32).subarray(0, 16),
    );
  });
});

describe("Matyas-Meyer-Oseas", () => {
  it("oneWay is AES under the zero key, xored with its input", () => {
    const x = hex("00112233445566778899aabbccddeeff");
    const e = aesEncryptBlock(new Uint8Array(16), x);
    expect(oneWay(x)).toEqual(e.map((b, i) => b ^ x[i]));
  });

  it("hash pads with 0x80 and the 64-bit bit length, one or two blocks", () => {
    for (const len of [0, 7, 8, 15, 16]) {
      const message = new Uint8Array(len).fill(0xa5);
      const padded = new Uint8Array(len + 9 <= 16 ? 16 : 32);
      padded.set(message);
      padded[len] = 0x80;
      padded[padded.length - 1] = (len * 8) & 0xff;
      padded[padded.length - 2] = (len * 8) >> 8;
      let state = new Uint8Array(16);
      for (let offset = 0; offset < padded.length; offset += 16) {
        const m = padded.subarray(offset, offset + 16);
        state = aesEncryptBlock(state, m).map((b, i) => b ^ m[i]);
      }
      expect(mmoHash(message)).toEqual(state);
    }
  });
});

describe("helpers", () => {
  it("crc32 matches the check value of CRC-32/ISO-HDLC ('123456789' -> cbf43926)", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("constantTimeEqual tells equal from different and different lengths", () => {
    expect(constantTimeEqual(hex("0102"), hex("0102"))).toBe(true);
    expect(constantTimeEqual(hex("0102"), hex("0103"))).toBe(false);
    expect(constantTimeEqual(hex("0102"), hex("01"))).toBe(false);
  });
});
