// Differential tests: every primitive of the firmware crypto core (build/crypto.wasm) against
// host/crypto (@noble/ciphers and node:crypto) on 10,000 seeded random inputs each, with random
// lengths from 0 to several blocks. A mismatch is reported with its seed and iteration.

import { beforeAll, describe, expect, it } from "vitest";
import {
  aesEncryptBlock,
  ccmOpen,
  ccmSeal,
  cmac,
  constantTimeEqual,
  crc32,
  ctr,
  kdf,
  mmoHash,
  oneWay,
} from "../host/crypto/index.js";
import type { CcmTagLen } from "../host/crypto/index.js";
import { instantiateCryptoWasm } from "./helpers/crypto-wasm.js";
import type { Fn } from "./helpers/crypto-wasm.js";

const OK = 0;
const ERR_INVALID_TAG = 16;
const ITERATIONS = 10_000;
const SEED = 0x5eed_c0de;
const BLOCK_LEN = 16;
const KEY_LEN = 16;
const NONCE_LEN = 13;
/** Longest random message: several blocks, past a radio frame. */
const MESSAGE_MAX = 150;
const TAG_LENS: readonly CcmTagLen[] = [0, 4, 8, 16];

/** Seeded xorshift32: reproducible inputs without a dependency. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  below(n: number): number {
    return this.next() % n;
  }
  bytes(len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

let fn: Record<string, Fn>;
let memory: WebAssembly.Memory;
let scratch: number;

beforeAll(() => {
  const instance = instantiateCryptoWasm();
  fn = instance.exports as unknown as Record<string, Fn>;
  memory = instance.exports.memory as WebAssembly.Memory;
  scratch = fn.scratch();
});

/** Fixed slots in the scratch buffer, each large enough for MESSAGE_MAX plus a tag. */
const SLOT = 256;
const slot = (i: number): number => scratch + i * SLOT;
const mem = (): Uint8Array => new Uint8Array(memory.buffer);
const put = (i: number, data: Uint8Array): number => {
  mem().set(data, slot(i));
  return slot(i);
};
const get = (i: number, len: number): Uint8Array => mem().slice(slot(i), slot(i) + len);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Runs `check` ITERATIONS times and collects the first few mismatches. */
function differential(name: string, check: (r: Random, i: number) => string | undefined): void {
  const r = new Random(SEED ^ (name.length * 0x9e3779b9));
  const failures: string[] = [];
  for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
    const failure = check(r, i);
    if (failure !== undefined) failures.push(`${name} iteration ${i}: ${failure}`);
  }
  expect(failures).toEqual([]);
}

describe(`firmware vs host/crypto, ${ITERATIONS} seeded inputs each`, () => {
  it("AES-128 block (vs @noble ecb)", () => {
    differential("aes", (r) => {
      const key = r.bytes(KEY_LEN);
      const block = r.bytes(BLOCK_LEN);
      fn.aesExpandKey(put(0, key), slot(1));
      fn.aesEncryptBlock(slot(1), put(2, block), slot(3));
      const want = hex(aesEncryptBlock(key, block));
      const got = hex(get(3, BLOCK_LEN));
      return got === want ? undefined : `key ${hex(key)}: got ${got}, want ${want}`;
    });
  });

  it("AES-CMAC (vs @noble cmac)", () => {
    differential("cmac", (r) => {
      const key = r.bytes(KEY_LEN);
      const message = r.bytes(r.below(MESSAGE_MAX + 1));
      fn.cmac(put(0, key), put(1, message), message.length, slot(2));
      const want = hex(cmac(key, message));
      const got = hex(get(2, BLOCK_LEN));
      return got === want ? undefined : `length ${message.length}: got ${got}, want ${want}`;
    });
  });

  it("AES-CTR (vs @noble ctr), counters near the 2^32 and 2^128 carries included", () => {
    differential("ctr", (r, i) => {
      const key = r.bytes(KEY_LEN);
      const counter = r.bytes(BLOCK_LEN);
      // One input in four starts near a carry out of the low bytes.
      if (i % 4 === 0) counter.fill(0xff, BLOCK_LEN - 1 - r.below(BLOCK_LEN));
      const data = r.bytes(r.below(MESSAGE_MAX + 1));
      fn.aesExpandKey(put(0, key), slot(1));
      fn.ctrXor(slot(1), put(2, counter), put(3, data), data.length);
      const want = hex(ctr(key, counter, data));
      const got = hex(get(3, data.length));
      const counterKept = hex(get(2, BLOCK_LEN)) === hex(counter);
      if (!counterKept) return "counter block changed";
      return got === want ? undefined : `length ${data.length}: got ${got}, want ${want}`;
    });
  });

  it("AES-CCM* seal and open (vs node:crypto aes-128-ccm; tagLen 0 vs CTR from A_1)", () => {
    differential("ccm", (r) => {
      const key = r.bytes(KEY_LEN);
      const nonce = r.bytes(NONCE_LEN);
      const aad = r.bytes(r.below(40));
      const plaintext = r.bytes(r.below(MESSAGE_MAX - 16));
      const tagLen = TAG_LENS[r.below(TAG_LENS.length)];
      const sealedLen = plaintext.length + tagLen;
      const status = fn.ccmSeal(
        put(0, key),
        put(1, nonce),
        put(2, aad),
        aad.length,
        put(3, plaintext),
        plaintext.length,
        tagLen,
        slot(4),
      );
      if (status !== OK) return `seal status ${status}`;
      const want = ccmSeal(key, nonce, aad, plaintext, tagLen);
      const got = get(4, sealedLen);
      if (hex(got) !== hex(want)) return `tagLen ${tagLen}: got ${hex(got)}, want ${hex(want)}`;
      const opened = fn.ccmOpen(
        slot(0),
        slot(1),
        slot(2),
        aad.length,
        slot(4),
        sealedLen,
        tagLen,
        slot(5),
      );
      if (opened !== OK) return `open status ${opened}`;
      if (hex(get(5, plaintext.length)) !== hex(ccmOpen(key, nonce, aad, want, tagLen))) {
        return "open differs from host";
      }
      if (tagLen > 0) {
        // Flip a random bit anywhere in the sealed frame: host and firmware both reject.
        const bit = r.below(sealedLen * 8);
        mem()[slot(4) + (bit >> 3)] ^= 1 << (bit & 7);
        const tampered = fn.ccmOpen(
          slot(0),
          slot(1),
          slot(2),
          aad.length,
          slot(4),
          sealedLen,
          tagLen,
          slot(5),
        );
        if (tampered !== ERR_INVALID_TAG) return `tampered bit ${bit} gave ${tampered}`;
        if (!get(5, plaintext.length).every((b) => b === 0)) return "output not wiped";
      }
      return undefined;
    });
  });

  it("KDF (vs host kdf: SP 800-108 counter mode, CMAC, predist's fixed input)", () => {
    differential("kdf", (r) => {
      const key = r.bytes(KEY_LEN);
      const label = r.bytes(r.below(24));
      const context = r.bytes(r.below(40));
      const outLen = 1 + r.below(4 * BLOCK_LEN);
      const status = fn.kdf(
        put(0, key),
        put(1, label),
        label.length,
        put(2, context),
        context.length,
        slot(3),
        outLen,
      );
      if (status !== OK) return `status ${status}`;
      const want = hex(kdf(key, label, context, outLen));
      const got = hex(get(3, outLen));
      return got === want ? undefined : `outLen ${outLen}: got ${got}, want ${want}`;
    });
  });

  it("oneWay and MMO hash (vs host oneWay and mmoHash)", () => {
    differential("mmo", (r) => {
      const x = r.bytes(BLOCK_LEN);
      fn.oneWay(put(0, x), slot(1));
      if (hex(get(1, BLOCK_LEN)) !== hex(oneWay(x))) return `oneWay(${hex(x)}) differs`;
      const message = r.bytes(r.below(MESSAGE_MAX + 1));
      fn.mmoInit(slot(2));
      fn.mmoUpdate(slot(2), put(3, message), message.length);
      fn.mmoFinal(slot(2), slot(4));
      const want = hex(mmoHash(message));
      const got = hex(get(4, BLOCK_LEN));
      return got === want ? undefined : `length ${message.length}: got ${got}, want ${want}`;
    });
  });

  it("CRC-32 (vs zlib) and constantTimeEqual (vs host)", () => {
    differential("crc", (r) => {
      const data = r.bytes(r.below(MESSAGE_MAX + 1));
      fn.crc32(put(0, data), data.length, slot(1));
      const got = new DataView(memory.buffer).getUint32(slot(1), true);
      if (got !== crc32(data)) return `crc length ${data.length}: got ${got}, want ${crc32(data)}`;
      const other = r.below(2) === 0 ? data.slice() : r.bytes(data.length);
      if (other.length > 0 && r.below(2) === 0) other[r.below(other.length)] ^= 1;
      const equal = fn.constantTimeEqual(slot(0), put(2, other), data.length) === OK;
      return equal === constantTimeEqual(data, other) ? undefined : "constantTimeEqual differs";
    });
  });
});
