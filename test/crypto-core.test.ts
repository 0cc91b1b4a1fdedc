// The firmware crypto core (build/crypto.wasm) against published known-answer vectors
// (test/vectors/crypto-*.json, sources in test/vectors/README.md), with a tamper case beside every
// accept case; every streaming API at every 2- and 3-chunk split point with exact-size output
// buffers; and the exports' handling of bad arguments (a status code, never a trap).

import { readFileSync } from "node:fs";
import { crc32 as zlibCrc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { ccmSeal, cmac, mmoHash } from "../host/crypto/index.js";
import type { CcmTagLen } from "../host/crypto/index.js";
import { CryptoWasm } from "./helpers/crypto-wasm.js";

const OK = 0;
const ERR_BAD_POINTER = 1;
const ERR_BAD_LENGTH = 2;
const ERR_BAD_ARGUMENT = 3;
const ERR_INVALID_TAG = 16;
const ERR_CRYPTO_STATE = 17;
const BLOCK_LEN = 16;
const KEY_LEN = 16;
const NONCE_LEN = 13;
const PAGE_LEN = 65536;

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const vectors = (name: string): any =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), "utf8"));

function flipBit(data: Uint8Array, bit: number): Uint8Array {
  const copy = data.slice();
  copy[bit >> 3] ^= 1 << (bit & 7);
  return copy;
}

let w: CryptoWasm;
beforeAll(() => {
  w = new CryptoWasm();
});

function wasmCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  w.reset();
  const tag = w.alloc(BLOCK_LEN);
  expect(w.fn.cmac(w.put(key), w.put(message), message.length, tag)).toBe(OK);
  expect(w.guardIntact(tag, BLOCK_LEN)).toBe(true);
  return w.get(tag, BLOCK_LEN);
}

interface CcmCase {
  key: Uint8Array;
  nonce: Uint8Array;
  aad: Uint8Array;
  plaintext: Uint8Array;
  tagLen: number;
}

function wasmSeal(c: CcmCase): Uint8Array {
  w.reset();
  const outLen = c.plaintext.length + c.tagLen;
  const out = w.alloc(outLen);
  const status = w.fn.ccmSeal(
    w.put(c.key),
    w.put(c.nonce),
    w.put(c.aad),
    c.aad.length,
    w.put(c.plaintext),
    c.plaintext.length,
    c.tagLen,
    out,
  );
  expect(status).toBe(OK);
  expect(w.guardIntact(out, outLen)).toBe(true);
  return w.get(out, outLen);
}

/** Opens into an output buffer pre-filled with 0xEE; returns the status and the buffer after. */
function wasmOpen(c: Omit<CcmCase, "plaintext">, sealed: Uint8Array): [number, Uint8Array] {
  w.reset();
  const outLen = sealed.length - c.tagLen;
  const out = w.alloc(outLen, 0xee);
  const status = w.fn.ccmOpen(
    w.put(c.key),
    w.put(c.nonce),
    w.put(c.aad),
    c.aad.length,
    w.put(sealed),
    sealed.length,
    c.tagLen,
    out,
  );
  expect(w.guardIntact(out, outLen)).toBe(true);
  return [status, w.get(out, outLen)];
}

describe("known-answer vectors", () => {
  it("AES-128 matches FIPS-197 C.1, also when encrypting in place", () => {
    for (const v of vectors("crypto-aes.json").vectors) {
      w.reset();
      const schedule = w.alloc(w.constant("AES_SCHEDULE_LEN"));
      expect(w.fn.aesExpandKey(w.put(hex(v.key)), schedule)).toBe(OK);
      expect(w.guardIntact(schedule, w.constant("AES_SCHEDULE_LEN"))).toBe(true);
      const block = w.put(hex(v.plaintext));
      const out = w.alloc(BLOCK_LEN);
      expect(w.fn.aesEncryptBlock(schedule, block, out)).toBe(OK);
      expect(toHex(w.get(out, BLOCK_LEN))).toBe(v.ciphertext);
      expect(w.fn.aesEncryptBlock(schedule, block, block)).toBe(OK);
      expect(toHex(w.get(block, BLOCK_LEN))).toBe(v.ciphertext);
      expect(w.guardIntact(out, BLOCK_LEN) && w.guardIntact(block, BLOCK_LEN)).toBe(true);
    }
  });

  it("FIPS-197 C.1 key schedule ends in the published last round key", () => {
    // FIPS-197 appendix C.1, round[10].k_sch = 13111d7fe3944a17f307a78b4d2b30c5.
    w.reset();
    const schedule = w.alloc(176);
    w.fn.aesExpandKey(w.put(hex("000102030405060708090a0b0c0d0e0f")), schedule);
    expect(toHex(w.get(schedule + 160, 16))).toBe("13111d7fe3944a17f307a78b4d2b30c5");
  });

  const cmacFile = vectors("crypto-cmac.json");
  for (const v of cmacFile.vectors) {
    it(`CMAC RFC 4493 ${v.name}: tag, verify, and one flipped bit rejected`, () => {
      const key = hex(cmacFile.key);
      const message = hex(v.message);
      const tag = hex(v.tag);
      expect(toHex(wasmCmac(key, message))).toBe(v.tag);
      const verify = (k: Uint8Array, m: Uint8Array, t: Uint8Array, tagLen = t.length): number => {
        w.reset();
        return w.fn.cmacVerify(w.put(k), w.put(m), m.length, w.put(t), tagLen);
      };
      expect(verify(key, message, tag)).toBe(OK);
      expect(verify(key, message, tag.subarray(0, 8))).toBe(OK);
      expect(verify(flipBit(key, 77), message, tag)).toBe(ERR_INVALID_TAG);
      expect(verify(key, message, flipBit(tag, 127))).toBe(ERR_INVALID_TAG);
      expect(verify(key, message, flipBit(tag, 0), 8)).toBe(ERR_INVALID_TAG);
      if (message.length > 0) {
        expect(verify(key, flipBit(message, message.length * 8 - 1), tag)).toBe(ERR_INVALID_TAG);
      }
      expect(verify(key, message, tag, 0)).toBe(ERR_BAD_LENGTH);
      expect(verify(key, message, tag, 17)).toBe(ERR_BAD_LENGTH);
    });
  }

  for (const v of vectors("crypto-ccm.json").vectors) {
    it(`CCM* ${v.name}: seal, open, and every tamper rejected with the output wiped`, () => {
      const c: CcmCase = {
        key: hex(v.key),
        nonce: hex(v.nonce),
        aad: hex(v.aad),
        plaintext: hex(v.plaintext),
        tagLen: v.tagLen,
      };
      const sealed = hex(v.sealed);
      expect(toHex(wasmSeal(c))).toBe(v.sealed);
      const [status, opened] = wasmOpen(c, sealed);
      expect(status).toBe(OK);
      expect(toHex(opened)).toBe(v.plaintext);

      if (c.tagLen === 0) {
        // Encryption-only authenticates nothing: a flipped ciphertext bit flips the plaintext bit.
        const [flippedStatus, flipped] = wasmOpen(c, flipBit(sealed, 3));
        expect(flippedStatus).toBe(OK);
        expect(toHex(flipped)).toBe(toHex(flipBit(c.plaintext, 3)));
        return;
      }
      const rejected = (tampered: Omit<CcmCase, "plaintext">, frame: Uint8Array): void => {
        const [s, out] = wasmOpen(tampered, frame);
        expect(s).toBe(ERR_INVALID_TAG);
        expect(out.every((b) => b === 0)).toBe(true);
      };
      rejected({ ...c, key: flipBit(c.key, 5) }, sealed);
      rejected({ ...c, nonce: flipBit(c.nonce, 100) }, sealed);
      if (c.aad.length > 0) rejected({ ...c, aad: flipBit(c.aad, c.aad.length * 4) }, sealed);
      rejected(c, flipBit(sealed, sealed.length * 8 - 1));
      if (c.plaintext.length > 0) rejected(c, flipBit(sealed, 0));
    });
  }

  it("KDF counter mode matches NIST CAVP KDFCTR (CMAC-AES128, counter before fixed input)", () => {
    for (const v of vectors("crypto-kdf.json").vectors) {
      w.reset();
      const outLen = v.output.length / 2;
      const out = w.alloc(outLen);
      const fixed = hex(v.fixedInput);
      expect(w.fn.kdfCounter(w.put(hex(v.key)), w.put(fixed), fixed.length, out, outLen)).toBe(OK);
      expect(toHex(w.get(out, outLen))).toBe(v.output);
      expect(w.guardIntact(out, outLen)).toBe(true);
    }
  });

  it("kdf() is the counter-mode KDF over Label || 0x00 || Context || [8 * outLen]_32", () => {
    // SP 800-108r1 section 4.1 fixed input, assembled here by hand from the layout.
    const key = hex("000102030405060708090a0b0c0d0e0f");
    const label = new TextEncoder().encode("link");
    const context = hex("0102030405");
    const outLen = 20;
    const fixed = new Uint8Array([...label, 0, ...context, 0, 0, 0, outLen * 8]);
    w.reset();
    const viaLayout = w.alloc(outLen);
    const viaRaw = w.alloc(outLen);
    const k = w.put(key);
    expect(
      w.fn.kdf(k, w.put(label), label.length, w.put(context), context.length, viaLayout, outLen),
    ).toBe(OK);
    expect(w.fn.kdfCounter(k, w.put(fixed), fixed.length, viaRaw, outLen)).toBe(OK);
    expect(toHex(w.get(viaLayout, outLen))).toBe(toHex(w.get(viaRaw, outLen)));
    // Block 1 by the definition: CMAC(key, [1]_32 || fixed).
    const block1 = cmac(key, new Uint8Array([0, 0, 0, 1, ...fixed]));
    expect(toHex(w.get(viaLayout, 16))).toBe(toHex(block1));
  });

  it("CRC-32 gives the catalogue check value", () => {
    for (const v of vectors("crypto-crc32.json").vectors) {
      w.reset();
      const out = w.alloc(4);
      const message = hex(v.message);
      expect(w.fn.crc32(w.put(message), message.length, out)).toBe(OK);
      const crc = new DataView(w.bytes.buffer).getUint32(out, true);
      expect(crc.toString(16).padStart(8, "0")).toBe(v.crc);
    }
  });

  it("oneWay(x) = AES_0(x) xor x, and MMO of the empty message is one padded block", () => {
    w.reset();
    const zero = w.alloc(BLOCK_LEN);
    const out = w.alloc(BLOCK_LEN);
    expect(w.fn.oneWay(zero, out)).toBe(OK);
    // AES-128 of the zero block under the zero key (FIPS-197 algorithm; the value is the classic
    // 66e94bd4ef8a2c3b884cfa59ca342b2e), xor 0.
    expect(toHex(w.get(out, BLOCK_LEN))).toBe("66e94bd4ef8a2c3b884cfa59ca342b2e");
    const ctx = w.alloc(w.constant("MMO_CTX_LEN"));
    const digest = w.alloc(BLOCK_LEN);
    expect(w.fn.mmoInit(ctx)).toBe(OK);
    expect(w.fn.mmoFinal(ctx, digest)).toBe(OK);
    // H_1 = AES_0(B) xor B with B = 0x80 then 15 zero bytes (length 0 bits).
    const padded = hex("80000000000000000000000000000000");
    const b = w.put(padded);
    const expected = w.alloc(BLOCK_LEN);
    w.fn.oneWay(b, expected);
    expect(toHex(w.get(digest, BLOCK_LEN))).toBe(toHex(w.get(expected, BLOCK_LEN)));
    expect(w.guardIntact(digest, BLOCK_LEN)).toBe(true);
  });
});

/** Throws unless a call returned OK (cheaper than expect() inside large loops). */
function must(status: number): void {
  if (status !== OK) throw new Error(`expected status ${OK}, got ${status}`);
}

/** Every way to cut `len` into 2 chunks, and into 3 chunks. */
function splits(len: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i <= len; i++) {
    out.push([i, len - i]);
    for (let j = i; j <= len; j++) out.push([i, j - i, len - j]);
  }
  return out;
}

const pattern = (len: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed * 7 + 3) & 0xff);

describe("streaming APIs at every split point", () => {
  const lengths = [0, 1, 15, 16, 17, 33, 48];

  it("CMAC init / update / final equals the one-shot tag, into an exact 16-byte buffer", () => {
    const key = pattern(KEY_LEN, 1);
    for (const len of lengths) {
      const message = pattern(len, len);
      const want = toHex(cmac(key, message));
      for (const parts of splits(len)) {
        w.reset();
        const ctxLen = w.constant("CMAC_CTX_LEN");
        const ctx = w.alloc(ctxLen);
        const msg = w.put(message);
        const tag = w.alloc(BLOCK_LEN);
        expect(w.fn.cmacInit(ctx, w.put(key))).toBe(OK);
        let at = 0;
        for (const part of parts) {
          expect(w.fn.cmacUpdate(ctx, msg + at, part)).toBe(OK);
          at += part;
        }
        expect(w.fn.cmacFinal(ctx, tag)).toBe(OK);
        expect(toHex(w.get(tag, BLOCK_LEN))).toBe(want);
        expect(w.guardIntact(tag, BLOCK_LEN) && w.guardIntact(ctx, ctxLen)).toBe(true);
        expect(w.get(ctx, ctxLen).every((b) => b === 0)).toBe(true);
      }
    }
  });

  it("MMO init / update / final equals host mmoHash", () => {
    for (const len of lengths.concat([7, 8, 23, 24])) {
      const message = pattern(len, 5);
      const want = toHex(mmoHash(message));
      for (const parts of splits(len)) {
        w.reset();
        const ctx = w.alloc(w.constant("MMO_CTX_LEN"));
        const msg = w.put(message);
        const digest = w.alloc(BLOCK_LEN);
        w.fn.mmoInit(ctx);
        let at = 0;
        for (const part of parts) {
          expect(w.fn.mmoUpdate(ctx, msg + at, part)).toBe(OK);
          at += part;
        }
        expect(w.fn.mmoFinal(ctx, digest)).toBe(OK);
        expect(toHex(w.get(digest, BLOCK_LEN))).toBe(want);
        expect(w.guardIntact(digest, BLOCK_LEN)).toBe(true);
      }
    }
  });

  it("crc32Update continues crc32 at every split", () => {
    const message = pattern(41, 9);
    const want = zlibCrc32(message) >>> 0;
    for (const parts of splits(message.length)) {
      w.reset();
      const msg = w.put(message);
      const out = w.alloc(4);
      let crc = 0;
      let at = 0;
      for (const part of parts) {
        expect(w.fn.crc32Update(crc, msg + at, part, out)).toBe(OK);
        crc = new DataView(w.bytes.buffer).getUint32(out, true);
        at += part;
      }
      expect(crc).toBe(want);
      expect(w.guardIntact(out, 4)).toBe(true);
    }
  });

  it("CCM* start / aad / encrypt / finish and start / aad / decrypt / verify, all splits", () => {
    const key = pattern(KEY_LEN, 2);
    const nonce = pattern(NONCE_LEN, 3);
    const cases: [number, number, CcmTagLen][] = [
      [0, 20, 8],
      [18, 0, 4],
      [17, 33, 16],
      [5, 16, 0],
      [16, 17, 8],
    ];
    const failures: string[] = [];
    for (const [aadLen, dataLen, tagLen] of cases) {
      const aad = pattern(aadLen, 4);
      const plaintext = pattern(dataLen, 6);
      const sealed = ccmSeal(key, nonce, aad, plaintext, tagLen);
      const aadSplits = splits(aadLen).filter((_, i) => i % 3 === 0);
      for (const aadParts of aadSplits) {
        for (const dataParts of splits(dataLen)) {
          w.reset();
          const ctxLen = w.constant("CCM_CTX_LEN");
          const ctx = w.alloc(ctxLen);
          const k = w.put(key);
          const n = w.put(nonce);
          const a = w.put(aad);
          const p = w.put(plaintext);
          const c = w.alloc(dataLen);
          const tag = w.alloc(tagLen);
          must(w.fn.ccmStart(ctx, k, n, aadLen, dataLen, tagLen));
          let at = 0;
          for (const part of aadParts) {
            must(w.fn.ccmAad(ctx, a + at, part));
            at += part;
          }
          at = 0;
          for (const part of dataParts) {
            must(w.fn.ccmEncrypt(ctx, p + at, c + at, part));
            at += part;
          }
          must(w.fn.ccmFinish(ctx, tag));
          const got = toHex(new Uint8Array([...w.get(c, dataLen), ...w.get(tag, tagLen)]));
          if (got !== toHex(sealed)) failures.push(`seal ${aadParts} ${dataParts}`);
          if (!w.guardIntact(c, dataLen) || !w.guardIntact(tag, tagLen)) {
            failures.push(`guard ${aadParts} ${dataParts}`);
          }
          if (!w.get(ctx, ctxLen).every((b) => b === 0)) failures.push("context not wiped");

          // Decrypt in place with the same chunks, then verify.
          must(w.fn.ccmStart(ctx, k, n, aadLen, dataLen, tagLen));
          must(w.fn.ccmAad(ctx, a, aadLen));
          at = 0;
          for (const part of dataParts) {
            must(w.fn.ccmDecrypt(ctx, c + at, c + at, part));
            at += part;
          }
          must(w.fn.ccmVerify(ctx, tag));
          if (toHex(w.get(c, dataLen)) !== toHex(plaintext)) {
            failures.push(`open ${aadParts} ${dataParts}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("CCM* streaming fails closed on calls out of order or past a declared length", () => {
    w.reset();
    const ctx = w.alloc(w.constant("CCM_CTX_LEN"));
    const k = w.put(pattern(KEY_LEN, 1));
    const n = w.put(pattern(NONCE_LEN, 1));
    const buf = w.alloc(64);
    const tag = w.alloc(16);
    // Payload before the AAD is complete.
    expect(w.fn.ccmStart(ctx, k, n, 4, 8, 8)).toBe(OK);
    expect(w.fn.ccmEncrypt(ctx, buf, buf, 8)).toBe(ERR_CRYPTO_STATE);
    expect(w.fn.ccmAad(ctx, buf, 4)).toBe(ERR_CRYPTO_STATE); // wiped: every later call fails
    // More AAD than declared.
    expect(w.fn.ccmStart(ctx, k, n, 4, 8, 8)).toBe(OK);
    expect(w.fn.ccmAad(ctx, buf, 5)).toBe(ERR_CRYPTO_STATE);
    // Finish before all payload bytes.
    expect(w.fn.ccmStart(ctx, k, n, 0, 8, 8)).toBe(OK);
    expect(w.fn.ccmEncrypt(ctx, buf, buf, 7)).toBe(OK);
    expect(w.fn.ccmFinish(ctx, tag)).toBe(ERR_CRYPTO_STATE);
    // A context never started.
    w.fn.wipe(ctx, w.constant("CCM_CTX_LEN"));
    expect(w.fn.ccmAad(ctx, buf, 0)).toBe(ERR_CRYPTO_STATE);
    expect(w.fn.ccmVerify(ctx, tag)).toBe(ERR_CRYPTO_STATE);
    // Bad parameters at start.
    expect(w.fn.ccmStart(ctx, k, n, 0, 8, 6)).toBe(ERR_BAD_ARGUMENT);
    expect(w.fn.ccmStart(ctx, k, n, -1, 8, 8)).toBe(ERR_BAD_LENGTH);
    expect(w.fn.ccmStart(ctx, k, n, 0, 65536, 8)).toBe(ERR_BAD_LENGTH);
    // A wrong tag through streaming verify.
    expect(w.fn.ccmStart(ctx, k, n, 0, 0, 4)).toBe(OK);
    w.bytes.fill(0, tag, tag + 4);
    expect(w.fn.ccmVerify(ctx, tag)).toBe(ERR_INVALID_TAG);
  });
});

describe("exports never trap on bad arguments", () => {
  const far = PAGE_LEN - 8; // 16 bytes from here leave the page
  const beyond = 0x7fff_fff0;

  it("returns ERR_BAD_POINTER or ERR_BAD_LENGTH for every bad (pointer, length) pair", () => {
    w.reset();
    const ok = w.alloc(512);
    const f = w.fn;
    const cases: [string, () => number, number][] = [
      ["aesExpandKey key", () => f.aesExpandKey(far, ok), ERR_BAD_POINTER],
      ["aesExpandKey schedule", () => f.aesExpandKey(ok, PAGE_LEN - 100), ERR_BAD_POINTER],
      ["aesEncryptBlock out", () => f.aesEncryptBlock(ok, ok, beyond), ERR_BAD_POINTER],
      ["aesEncryptBlocks count", () => f.aesEncryptBlocks(ok, ok, ok, -1), ERR_BAD_LENGTH],
      ["aesEncryptBlocks range", () => f.aesEncryptBlocks(ok, ok, ok, 4096), ERR_BAD_POINTER],
      ["cmac negative", () => f.cmac(ok, ok, -1, ok), ERR_BAD_LENGTH],
      ["cmac message", () => f.cmac(ok, far, 9, ok), ERR_BAD_POINTER],
      ["cmac huge", () => f.cmac(ok, ok, 0x7fffffff, ok), ERR_BAD_POINTER],
      ["cmac -pointer", () => f.cmac(-16, ok, 1, ok), ERR_BAD_POINTER],
      ["cmacUpdate", () => f.cmacUpdate(ok, far, 100), ERR_BAD_POINTER],
      ["cmacFinal", () => f.cmacFinal(ok, far), ERR_BAD_POINTER],
      ["ctrXor", () => f.ctrXor(ok, ok, ok, -5), ERR_BAD_LENGTH],
      ["ctrXor range", () => f.ctrXor(ok, ok, far, 9), ERR_BAD_POINTER],
      ["ccmSeal out", () => f.ccmSeal(ok, ok, ok, 0, ok, 4, 8, far), ERR_BAD_POINTER],
      ["ccmSeal aad", () => f.ccmSeal(ok, ok, ok, -1, ok, 4, 8, ok), ERR_BAD_LENGTH],
      ["ccmSeal tagLen", () => f.ccmSeal(ok, ok, ok, 0, ok, 4, 5, ok), ERR_BAD_ARGUMENT],
      ["ccmSeal tagLen 32", () => f.ccmSeal(ok, ok, ok, 0, ok, 4, 32, ok), ERR_BAD_LENGTH],
      ["ccmOpen short", () => f.ccmOpen(ok, ok, ok, 0, ok, 3, 4, ok), ERR_BAD_LENGTH],
      ["ccmOpen sealed", () => f.ccmOpen(ok, ok, ok, 0, far, 20, 4, ok), ERR_BAD_POINTER],
      ["ccmStart nonce", () => f.ccmStart(ok, ok, far + 4, 0, 0, 4), ERR_BAD_POINTER],
      ["ccmAad", () => f.ccmAad(ok, ok, -1), ERR_BAD_LENGTH],
      ["kdf outLen 0", () => f.kdf(ok, ok, 0, ok, 0, ok, 0), ERR_BAD_LENGTH],
      ["kdf outLen max", () => f.kdf(ok, ok, 0, ok, 0, ok, 4081), ERR_BAD_LENGTH],
      ["kdf label", () => f.kdf(ok, far, 20, ok, 0, ok, 16), ERR_BAD_POINTER],
      ["kdfCounter", () => f.kdfCounter(ok, ok, -2, ok, 16), ERR_BAD_LENGTH],
      ["oneWay", () => f.oneWay(ok, far), ERR_BAD_POINTER],
      ["mmoUpdate", () => f.mmoUpdate(ok, far, 9), ERR_BAD_POINTER],
      ["mmoFinal", () => f.mmoFinal(far, ok), ERR_BAD_POINTER],
      ["constantTimeEqual", () => f.constantTimeEqual(ok, far, 9), ERR_BAD_POINTER],
      ["wipe", () => f.wipe(far, 9), ERR_BAD_POINTER],
      ["wipe negative", () => f.wipe(ok, -1), ERR_BAD_LENGTH],
      ["crc32", () => f.crc32(far, 9, ok), ERR_BAD_POINTER],
      ["crc32Update out", () => f.crc32Update(0, ok, 1, PAGE_LEN - 2), ERR_BAD_POINTER],
    ];
    for (const [name, call, code] of cases) {
      expect([name, call()]).toEqual([name, code]);
    }
  });

  it("accepts buffers that end exactly at the end of memory", () => {
    w.reset();
    const key = w.put(pattern(KEY_LEN, 3));
    const message = pattern(5, 1);
    const at = PAGE_LEN - BLOCK_LEN;
    w.bytes.set(message, at - message.length);
    expect(w.fn.cmac(key, at - message.length, message.length, at)).toBe(OK);
    expect(toHex(w.get(at, BLOCK_LEN))).toBe(toHex(cmac(pattern(KEY_LEN, 3), message)));
  });

  it("constantTimeEqual reports equal and different buffers", () => {
    w.reset();
    const a = w.put(pattern(33, 1));
    const b = w.put(pattern(33, 1));
    expect(w.fn.constantTimeEqual(a, b, 33)).toBe(OK);
    expect(w.fn.constantTimeEqual(a, b, 0)).toBe(OK);
    w.bytes[b + 32] ^= 0x80;
    expect(w.fn.constantTimeEqual(a, b, 33)).toBe(ERR_INVALID_TAG);
  });
});

/** Blocks of 16 bytes needed to hold `len` bytes. */
const blocksOf = (len: number): number => Math.ceil(len / BLOCK_LEN);

describe("AES block counter (aesBlockCount counts every block encryption)", () => {
  /** AES calls a function makes: the counter's change across the call, read as unsigned. */
  function counted(call: () => number): number {
    const before = w.fn.aesBlockCount() >>> 0;
    expect(call()).toBe(OK);
    return ((w.fn.aesBlockCount() >>> 0) - before) >>> 0;
  }

  it("counts single blocks and bulk blocks, none for a key expansion, and resets", () => {
    w.reset();
    const key = w.put(pattern(KEY_LEN, 1));
    const schedule = w.alloc(w.constant("AES_SCHEDULE_LEN"));
    const data = w.alloc(8 * BLOCK_LEN);
    expect(counted(() => w.fn.aesExpandKey(key, schedule))).toBe(0);
    expect(counted(() => w.fn.aesEncryptBlock(schedule, data, data))).toBe(1);
    expect(counted(() => w.fn.aesEncryptBlocks(schedule, data, data, 8))).toBe(8);
    expect(counted(() => w.fn.aesEncryptBlocks(schedule, data, data, 0))).toBe(0);
    w.fn.aesBlockCountReset();
    expect(w.fn.aesBlockCount()).toBe(0);
  });

  it("CMAC of n blocks costs n + 1 (RFC 4493 section 2.4: n CBC steps, L = AES_K(0))", () => {
    for (const len of [0, 1, 15, 16, 17, 32, 33, 64, 127]) {
      // RFC 4493 section 2.4 step 2: n = ceil(len / 16), and n = 1 for the empty message.
      const n = Math.max(1, blocksOf(len));
      w.reset();
      const key = w.put(pattern(KEY_LEN, 2));
      const message = w.put(pattern(len, 3));
      const tag = w.alloc(BLOCK_LEN);
      expect([len, counted(() => w.fn.cmac(key, message, len, tag))]).toEqual([len, n + 1]);
      const ctx = w.alloc(w.constant("CMAC_CTX_LEN"));
      const streamed = counted(() => {
        w.fn.cmacInit(ctx, key);
        w.fn.cmacUpdate(ctx, message, len >> 1);
        w.fn.cmacUpdate(ctx, message + (len >> 1), len - (len >> 1));
        return w.fn.cmacFinal(ctx, tag);
      });
      expect([len, streamed]).toEqual([len, n + 1]);
    }
  });

  it("CTR costs one block per 16 bytes started", () => {
    for (const len of [0, 1, 16, 17, 48, 100]) {
      w.reset();
      const schedule = w.alloc(w.constant("AES_SCHEDULE_LEN"));
      w.fn.aesExpandKey(w.put(pattern(KEY_LEN, 4)), schedule);
      const counter = w.alloc(BLOCK_LEN);
      const data = w.alloc(Math.max(len, 1));
      expect([len, counted(() => w.fn.ctrXor(schedule, counter, data, len))]).toEqual([
        len,
        blocksOf(len),
      ]);
    }
  });

  it("CCM* costs B_0, AAD blocks with l(a), the payload twice, A_0 (RFC 3610 section 2)", () => {
    const cases: [number, number, CcmTagLen][] = [
      [0, 0, 4],
      [0, 20, 8],
      [14, 0, 16],
      [15, 16, 8],
      [30, 33, 16],
      [5, 16, 0],
      [0, 40, 0],
    ];
    for (const [aadLen, dataLen, tagLen] of cases) {
      // CBC-MAC over B_0, l(a) || AAD padded (only when there is AAD) and the padded payload;
      // CTR over the payload from A_1; S_0 = AES_K(A_0) for the tag. tagLen 0 is CTR alone.
      const expected =
        tagLen === 0
          ? blocksOf(dataLen)
          : 1 + (aadLen > 0 ? blocksOf(2 + aadLen) : 0) + 2 * blocksOf(dataLen) + 1;
      w.reset();
      const key = w.put(pattern(KEY_LEN, 5));
      const nonce = w.put(pattern(NONCE_LEN, 6));
      const aad = w.put(pattern(aadLen, 7));
      const data = w.put(pattern(dataLen, 8));
      const sealed = w.alloc(dataLen + tagLen);
      const opened = w.alloc(dataLen);
      const label = `aad ${aadLen} data ${dataLen} tag ${tagLen}`;
      const seal = counted(() =>
        w.fn.ccmSeal(key, nonce, aad, aadLen, data, dataLen, tagLen, sealed),
      );
      expect([label, seal]).toEqual([label, expected]);
      const open = counted(() =>
        w.fn.ccmOpen(key, nonce, aad, aadLen, sealed, dataLen + tagLen, tagLen, opened),
      );
      expect([label, open]).toEqual([label, expected]);
    }
  });

  it("KDF costs one CMAC per output block; oneWay one block; MMO one per padded block", () => {
    for (const [labelLen, contextLen, outLen] of [
      [4, 5, 16],
      [0, 0, 1],
      [12, 30, 40],
    ]) {
      // Each K(i) is a CMAC over [i]_32 || Label || 0x00 || Context || [L]_32.
      const perBlock = Math.max(1, blocksOf(4 + labelLen + 1 + contextLen + 4)) + 1;
      w.reset();
      const key = w.put(pattern(KEY_LEN, 9));
      const label = w.put(pattern(labelLen, 1));
      const context = w.put(pattern(contextLen, 2));
      const out = w.alloc(outLen);
      const calls = counted(() => w.fn.kdf(key, label, labelLen, context, contextLen, out, outLen));
      expect([outLen, calls]).toEqual([outLen, blocksOf(outLen) * perBlock]);
    }
    w.reset();
    const block = w.alloc(BLOCK_LEN);
    expect(counted(() => w.fn.oneWay(block, block))).toBe(1);
    for (const len of [0, 7, 8, 16, 23, 24, 40]) {
      // Padding adds 0x80 and a 64-bit length: ceil((len + 9) / 16) compressions.
      w.reset();
      const ctx = w.alloc(w.constant("MMO_CTX_LEN"));
      const message = w.put(pattern(len, 3));
      const digest = w.alloc(BLOCK_LEN);
      const calls = counted(() => {
        w.fn.mmoInit(ctx);
        w.fn.mmoUpdate(ctx, message, len);
        return w.fn.mmoFinal(ctx, digest);
      });
      expect([len, calls]).toEqual([len, blocksOf(len + 9)]);
    }
  });
});
