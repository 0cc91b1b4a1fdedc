// Provisioning image codec: the byte layout of docs/image-format.md (format version 1), which the
// node firmware reads in place from flash. `encodeImage` lays out a header, the node key, the
// broadcast-authentication anchor, the erasable LEAP region, the ring and the integrity trailer;
// `decodeImage` checks every field, section bound, sort order and both trailer checks, and throws
// an ImageError naming the first thing that is wrong; `imageDigest` is the MMO hash of an image.
//
// Not protected against: an attacker who knows the node key can forge an image (the CMAC only
// shows the image came from whoever holds K_node, i.e. the authority); the erasable LEAP region is
// checked by its own CRC and tag, not by the trailer, so that it can be zeroed in place. No key
// byte ever appears in an ImageError message.

import { createCipheriv } from "node:crypto";
import {
  BLOCK_LEN,
  KEY_LEN,
  checkBytes,
  cmac,
  constantTimeEqual,
  crc32,
  mmoHash,
  wipe,
} from "../crypto/index.js";

/** One flash slot: the largest image the encoder writes and the decoder reads. */
export const IMAGE_MAX_LEN = 32_768;
/** "PDKI" read as a little-endian u32. */
export const IMAGE_MAGIC = 0x494b4450;
export const IMAGE_VERSION = 1;
export const HEADER_LEN = 96;
export const NODE_KEY_LEN = KEY_LEN;
/** K_0 (16), start time ms u64 (8), interval ms u32 (4), chain length u32 (4). */
export const ANCHOR_LEN = 32;
/** K_IN (16), K_IN tag (16), CRC-32 of the first 32 bytes (4). */
export const ERASABLE_LEN = 36;
export const TRAILER_CRC_LEN = 4;
export const TRAILER_TAG_LEN = 16;
export const TRAILER_LEN = TRAILER_CRC_LEN + TRAILER_TAG_LEN;
/** Key ID or partner ID (u32) followed by a 16-byte key. */
export const KEY_RECORD_LEN = 4 + KEY_LEN;
export const RING_SEED_LEN = 16;
/** The prime field of polypool shares: p = 2^31 - 1. */
export const FIELD_PRIME = 2 ** 31 - 1;
/** Node IDs reserved: 0 marks "no node" (unwritten record, unset field), 0xFFFFFFFF broadcast. */
export const NODE_ID_NONE = 0;
export const NODE_ID_BROADCAST = 0xffffffff;
/** Label that binds the K_IN tag: CMAC(K_node, label || node ID || K_IN). */
export const KIN_TAG_LABEL = "predist-kin";

export const SCHEME_CODES = {
  full: 1,
  eg: 2,
  qcomposite: 3,
  pairwise: 4,
  polypool: 5,
  leap: 6,
} as const;
export type SchemeName = keyof typeof SCHEME_CODES;
export const SCHEME_NAMES = Object.keys(SCHEME_CODES) as SchemeName[];

export const FLAG_SEEDED_RING = 0x01;
export const FLAG_HAS_KIN = 0x02;
const KNOWN_FLAGS = FLAG_SEEDED_RING | FLAG_HAS_KIN;

/** Header field offsets (docs/image-format.md, "Header"). */
export const OFF = {
  magic: 0,
  version: 4,
  scheme: 6,
  flags: 7,
  nodeId: 8,
  imageLen: 12,
  poolSize: 16,
  ringSize: 24,
  threshold: 28,
  lanes: 32,
  prime: 36,
  draws: 40,
  recordCount: 44,
  recordLen: 48,
  ringOffset: 52,
  nodeKeyOffset: 56,
  anchorOffset: 60,
  erasableOffset: 64,
  erasableLen: 68,
  ringSeed: 72,
  reserved0: 88,
  reserved1: 92,
} as const;

/** μTESLA chain commitment and interval parameters (docs/schemes.md, "Broadcast anchor"). */
export interface Anchor {
  /** K_0, the public commitment of the chain. */
  commitment: Uint8Array;
  startMs: number;
  intervalMs: number;
  chainLength: number;
}

/** One ring record: a key ID or partner ID with its key, or a polynomial ID with its share. */
export interface RingRecord {
  id: number;
  /** 16-byte key for key records; absent for polynomial shares. */
  key?: Uint8Array;
  /** Polynomial share: lanes * (degree + 1) field elements, lane-major. */
  share?: Uint32Array;
}

/** Everything an image holds; the same shape goes into encodeImage and comes out of decodeImage. */
export interface ImageContent {
  scheme: SchemeName;
  nodeId: number;
  /** P (eg, qcomposite), s (polypool), n (full, pairwise), 0 (leap). */
  poolSize: number;
  /** k (eg, qcomposite), s' (polypool), m (pairwise, mean partners), n - 1 (full), 0 (leap). */
  ringSize: number;
  /** q (qcomposite), 1 (eg), t (polypool), 0 otherwise. */
  threshold: number;
  /** Field lanes per polynomial (polypool), 0 otherwise. */
  lanes: number;
  /** Words the ring generator consumed (eg, qcomposite, polypool), 0 otherwise. */
  draws: number;
  seeded: boolean;
  /** The public ring seed when `seeded`, else 16 zero bytes. */
  ringSeed: Uint8Array;
  records: RingRecord[];
  /**
   * Encoder fast path for key records: IDs strictly ascending and their keys back to back
   * (16 bytes each), used instead of `records` (which must then be empty). Never set by the
   * decoder.
   */
  packed?: { ids: Uint32Array; keys: Uint8Array };
  nodeKey: Uint8Array;
  anchor: Anchor;
  /** LEAP initial key K_IN; undefined when absent or erased. */
  initialKey?: Uint8Array;
}

export interface DecodedImage extends ImageContent {
  imageLen: number;
  recordLen: number;
  ringOffset: number;
  nodeKeyOffset: number;
  anchorOffset: number;
  erasableOffset: number;
  /** "none" (not LEAP), "present" (K_IN intact) or "erased" (the region is all zero). */
  initialKeyState: "none" | "present" | "erased";
}

/** A malformed or tampered image. `reason` is a stable code; the message is for people. */
export class ImageError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "ImageError";
  }
}

/** Bytes of one ring record for a scheme. */
export function recordLenOf(scheme: SchemeName, threshold: number, lanes: number): number {
  if (scheme === "polypool") return 4 + 4 * lanes * (threshold + 1);
  return KEY_RECORD_LEN;
}

/** Section offsets for an image with `recordCount` records; the one canonical layout. */
export function layoutOf(
  scheme: SchemeName,
  recordCount: number,
  recordLen: number,
): {
  nodeKeyOffset: number;
  anchorOffset: number;
  erasableOffset: number;
  erasableLen: number;
  ringOffset: number;
  imageLen: number;
} {
  const nodeKeyOffset = HEADER_LEN;
  const anchorOffset = nodeKeyOffset + NODE_KEY_LEN;
  const erasableLen = scheme === "leap" ? ERASABLE_LEN : 0;
  const erasableOffset = erasableLen === 0 ? 0 : anchorOffset + ANCHOR_LEN;
  const ringOffset = anchorOffset + ANCHOR_LEN + erasableLen;
  const imageLen = ringOffset + recordCount * recordLen + TRAILER_LEN;
  return { nodeKeyOffset, anchorOffset, erasableOffset, erasableLen, ringOffset, imageLen };
}

/** Image size in bytes for a scheme and ring record count, without building it. */
export function imageLenOf(
  scheme: SchemeName,
  recordCount: number,
  threshold = 0,
  lanes = 0,
): number {
  return layoutOf(scheme, recordCount, recordLenOf(scheme, threshold, lanes)).imageLen;
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

export function isValidNodeId(value: number): boolean {
  return isU32(value) && value !== NODE_ID_NONE && value !== NODE_ID_BROADCAST;
}

function describeParams(content: ImageContent): string {
  return (
    `scheme ${content.scheme}, node ${content.nodeId}, pool ${content.poolSize}, ` +
    `ring ${content.ringSize}, threshold ${content.threshold}, lanes ${content.lanes}, ` +
    `${content.packed?.ids.length ?? content.records.length} records`
  );
}

function kinTagInput(nodeId: number, initialKey: Uint8Array): Uint8Array {
  const label = new TextEncoder().encode(KIN_TAG_LABEL);
  const input = new Uint8Array(label.length + 4 + KEY_LEN);
  input.set(label, 0);
  new DataView(input.buffer).setUint32(label.length, nodeId, true);
  input.set(initialKey, label.length + 4);
  return input;
}

/** Trailer input: the image before the trailer with the erasable region read as zeros. */
function authenticatedCopy(image: Uint8Array, erasableOffset: number, erasableLen: number) {
  const copy = image.slice(0, image.length - TRAILER_TAG_LEN);
  if (erasableLen > 0) copy.fill(0, erasableOffset, erasableOffset + erasableLen);
  return copy;
}

function checkContent(content: ImageContent): void {
  const { scheme } = content;
  if (!(scheme in SCHEME_CODES)) throw new TypeError(`scheme: unknown scheme ${String(scheme)}`);
  if (!isValidNodeId(content.nodeId)) {
    throw new RangeError(`nodeId: expected an integer from 1 to 4294967294, got ${content.nodeId}`);
  }
  const maxPool = 2 ** 32;
  if (!Number.isInteger(content.poolSize) || content.poolSize < 0 || content.poolSize > maxPool) {
    throw new RangeError(`poolSize: expected an integer from 0 to 2^32, got ${content.poolSize}`);
  }
  for (const name of ["ringSize", "threshold", "lanes", "draws"] as const) {
    if (!isU32(content[name])) {
      throw new RangeError(`${name}: expected a u32, got ${content[name]}`);
    }
  }
  checkBytes("nodeKey", content.nodeKey, KEY_LEN);
  checkBytes("ringSeed", content.ringSeed, RING_SEED_LEN);
  checkBytes("anchor.commitment", content.anchor.commitment, KEY_LEN);
  if (!Number.isSafeInteger(content.anchor.startMs) || content.anchor.startMs < 0) {
    throw new RangeError(
      `anchor.startMs: expected a non-negative integer, got ${content.anchor.startMs}`,
    );
  }
  if (!isU32(content.anchor.intervalMs) || content.anchor.intervalMs === 0) {
    throw new RangeError(`anchor.intervalMs: expected a u32 > 0, got ${content.anchor.intervalMs}`);
  }
  if (!isU32(content.anchor.chainLength) || content.anchor.chainLength === 0) {
    throw new RangeError(
      `anchor.chainLength: expected a u32 > 0, got ${content.anchor.chainLength}`,
    );
  }
  if (content.initialKey !== undefined) {
    checkBytes("initialKey", content.initialKey, KEY_LEN);
    if (scheme !== "leap") throw new TypeError(`initialKey: only the leap scheme carries K_IN`);
  }
  if (scheme === "polypool" && content.lanes < 1) {
    throw new RangeError(`lanes: polypool needs at least one lane, got ${content.lanes}`);
  }
}

/**
 * Encodes an image. Records are sorted by ID here; duplicate IDs, keys of the wrong length and
 * shares of the wrong size or out of the field are refused (TypeError / RangeError), and so is an
 * image over IMAGE_MAX_LEN (RangeError naming the scheme, parameters and size).
 */
export function encodeImage(content: ImageContent): Uint8Array {
  checkContent(content);
  const { scheme } = content;
  const recordLen = recordLenOf(scheme, content.threshold, content.lanes);
  const packed = content.packed;
  if (packed !== undefined) checkPacked(scheme, packed, content.records.length);
  const recordCount = packed?.ids.length ?? content.records.length;
  const layout = layoutOf(scheme, recordCount, recordLen);
  if (layout.imageLen > IMAGE_MAX_LEN) {
    throw new RangeError(
      `image too large: ${describeParams(content)} needs ${layout.imageLen} bytes, ` +
        `the limit is ${IMAGE_MAX_LEN}`,
    );
  }
  const records = [...content.records].sort((a, b) => a.id - b.id);
  const shareLen = content.lanes * (content.threshold + 1);
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (!isU32(record.id)) throw new RangeError(`record ${i}: ID ${record.id} is not a u32`);
    if (i > 0 && records[i - 1].id === record.id) {
      throw new RangeError(`record ID ${record.id} appears twice`);
    }
    if (scheme === "polypool") {
      if (!(record.share instanceof Uint32Array) || record.share.length !== shareLen) {
        throw new RangeError(`record ${record.id}: expected a share of ${shareLen} field elements`);
      }
      if (record.share.some((value) => value >= FIELD_PRIME)) {
        throw new RangeError(`record ${record.id}: share element outside GF(2^31 - 1)`);
      }
    } else {
      checkBytes(`record ${record.id} key`, record.key, KEY_LEN);
    }
  }

  const image = new Uint8Array(layout.imageLen);
  const view = new DataView(image.buffer);
  view.setUint32(OFF.magic, IMAGE_MAGIC, true);
  view.setUint16(OFF.version, IMAGE_VERSION, true);
  view.setUint8(OFF.scheme, SCHEME_CODES[scheme]);
  let flags = content.seeded ? FLAG_SEEDED_RING : 0;
  if (scheme === "leap") flags |= FLAG_HAS_KIN;
  view.setUint8(OFF.flags, flags);
  view.setUint32(OFF.nodeId, content.nodeId, true);
  view.setUint32(OFF.imageLen, layout.imageLen, true);
  view.setBigUint64(OFF.poolSize, BigInt(content.poolSize), true);
  view.setUint32(OFF.ringSize, content.ringSize, true);
  view.setUint32(OFF.threshold, content.threshold, true);
  view.setUint32(OFF.lanes, content.lanes, true);
  view.setUint32(OFF.prime, scheme === "polypool" ? FIELD_PRIME : 0, true);
  view.setUint32(OFF.draws, content.draws, true);
  view.setUint32(OFF.recordCount, recordCount, true);
  view.setUint32(OFF.recordLen, recordLen, true);
  view.setUint32(OFF.ringOffset, layout.ringOffset, true);
  view.setUint32(OFF.nodeKeyOffset, layout.nodeKeyOffset, true);
  view.setUint32(OFF.anchorOffset, layout.anchorOffset, true);
  view.setUint32(OFF.erasableOffset, layout.erasableOffset, true);
  view.setUint32(OFF.erasableLen, layout.erasableLen, true);
  if (content.seeded) image.set(content.ringSeed, OFF.ringSeed);

  image.set(content.nodeKey, layout.nodeKeyOffset);
  const a = layout.anchorOffset;
  image.set(content.anchor.commitment, a);
  view.setBigUint64(a + 16, BigInt(content.anchor.startMs), true);
  view.setUint32(a + 24, content.anchor.intervalMs, true);
  view.setUint32(a + 28, content.anchor.chainLength, true);

  if (layout.erasableLen > 0) {
    const e = layout.erasableOffset;
    if (content.initialKey !== undefined) {
      const tagInput = kinTagInput(content.nodeId, content.initialKey);
      image.set(content.initialKey, e);
      image.set(cmac(content.nodeKey, tagInput), e + KEY_LEN);
      view.setUint32(e + 32, crc32(image.subarray(e, e + 32)), true);
      wipe(tagInput);
    }
    // Without K_IN the region stays all zero: the "erased" state.
  }

  let offset = layout.ringOffset;
  if (packed !== undefined) {
    const { ids, keys } = packed;
    for (let i = 0; i < ids.length; i++, offset += recordLen) {
      view.setUint32(offset, ids[i], true);
      image.set(keys.subarray(i * KEY_LEN, (i + 1) * KEY_LEN), offset + 4);
    }
  }
  for (const record of records) {
    view.setUint32(offset, record.id, true);
    if (scheme === "polypool") {
      const share = record.share as Uint32Array;
      for (let j = 0; j < share.length; j++) view.setUint32(offset + 4 + 4 * j, share[j], true);
    } else {
      image.set(record.key as Uint8Array, offset + 4);
    }
    offset += recordLen;
  }

  const authenticated = authenticatedCopy(image, layout.erasableOffset, layout.erasableLen);
  const crcEnd = layout.imageLen - TRAILER_LEN;
  const crc = crc32(authenticated.subarray(0, crcEnd));
  view.setUint32(crcEnd, crc, true);
  new DataView(authenticated.buffer).setUint32(crcEnd, crc, true);
  image.set(imageTag(content.nodeKey, authenticated), layout.imageLen - TRAILER_TAG_LEN);
  wipe(authenticated);
  return image;
}

/** CMAC subkey doubling in GF(2^128) (SP 800-38B section 6.1): shift left, xor 0x87 on carry. */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK_LEN);
  for (let i = 0; i < BLOCK_LEN; i++) {
    out[i] = ((block[i] << 1) | (i + 1 < BLOCK_LEN ? block[i + 1] >>> 7 : 0)) & 0xff;
  }
  if (block[0] & 0x80) out[BLOCK_LEN - 1] ^= 0x87;
  return out;
}

/**
 * AES-CMAC (SP 800-38B) through node:crypto's AES-CBC for long messages: the same tag as
 * host/crypto cmac (checked in test/image-codec.test.ts), about 20 times faster on a 4 KiB
 * image because the key schedule is expanded once and the CBC chain runs in native code.
 */
export function imageTag(key: Uint8Array, message: Uint8Array): Uint8Array {
  checkBytes("key", key, KEY_LEN);
  checkBytes("message", message);
  const zero = new Uint8Array(BLOCK_LEN);
  const ecb = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  const l = new Uint8Array(ecb.update(zero));
  const k1 = double(l);
  const k2 = double(k1);
  const complete = message.length > 0 && message.length % BLOCK_LEN === 0;
  const blocks = complete ? message.length / BLOCK_LEN : Math.floor(message.length / BLOCK_LEN) + 1;
  const padded = new Uint8Array(blocks * BLOCK_LEN);
  padded.set(message);
  const last = (blocks - 1) * BLOCK_LEN;
  if (!complete) padded[message.length] = 0x80;
  const subkey = complete ? k1 : k2;
  for (let i = 0; i < BLOCK_LEN; i++) padded[last + i] ^= subkey[i];
  const cbc = createCipheriv("aes-128-cbc", key, zero).setAutoPadding(false);
  const chain = cbc.update(padded);
  const tag = new Uint8Array(chain.subarray(chain.length - BLOCK_LEN));
  chain.fill(0);
  wipe(l, k1, k2, padded);
  return tag;
}

function checkPacked(
  scheme: SchemeName,
  packed: { ids: Uint32Array; keys: Uint8Array },
  recordCount: number,
): void {
  if (scheme === "polypool") throw new TypeError("packed: polypool records carry shares, not keys");
  if (recordCount !== 0) throw new TypeError("packed: give records or packed, not both");
  if (!(packed.ids instanceof Uint32Array)) throw new TypeError("packed.ids: expected Uint32Array");
  checkBytes("packed.keys", packed.keys, packed.ids.length * KEY_LEN);
  for (let i = 1; i < packed.ids.length; i++) {
    if (packed.ids[i] <= packed.ids[i - 1]) {
      throw new RangeError(
        `packed.ids: ID ${packed.ids[i]} at ${i} is not above ${packed.ids[i - 1]}`,
      );
    }
  }
}

function fail(reason: string, message: string): never {
  throw new ImageError(reason, message);
}

function expectField(view: DataView, offset: number, expected: number, name: string): void {
  const got = view.getUint32(offset, true);
  if (got !== expected) fail("layout", `${name}: expected ${expected}, got ${got}`);
}

export interface DecodeOptions {
  /**
   * The node key the authority expects. Without it the trailer CMAC is still checked, under the
   * key the image carries, which shows consistency but not origin.
   */
  nodeKey?: Uint8Array;
}

/**
 * Decodes and checks an image; throws ImageError with a reason code ("length", "magic",
 * "version", "scheme", "flags", "node-id", "crc", "tag", "layout", "params", "records",
 * "erasable", "node-key") on the first problem found. The returned keys are copies.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): DecodedImage {
  checkBytes("image", bytes);
  if (options.nodeKey !== undefined) checkBytes("nodeKey", options.nodeKey, KEY_LEN);
  const minLen = HEADER_LEN + NODE_KEY_LEN + ANCHOR_LEN + TRAILER_LEN;
  if (bytes.length < minLen || bytes.length > IMAGE_MAX_LEN) {
    fail(
      "length",
      `image length: expected ${minLen} to ${IMAGE_MAX_LEN} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(OFF.magic, true);
  if (magic !== IMAGE_MAGIC) {
    fail("magic", `magic: expected 0x${IMAGE_MAGIC.toString(16)}, got 0x${magic.toString(16)}`);
  }
  const version = view.getUint16(OFF.version, true);
  if (version !== IMAGE_VERSION) {
    fail("version", `format version: expected ${IMAGE_VERSION}, got ${version}`);
  }
  const imageLen = view.getUint32(OFF.imageLen, true);
  if (imageLen !== bytes.length) {
    fail("length", `image length field says ${imageLen} bytes, the image has ${bytes.length}`);
  }
  const code = view.getUint8(OFF.scheme);
  const scheme = SCHEME_NAMES.find((name) => SCHEME_CODES[name] === code);
  if (scheme === undefined) fail("scheme", `scheme code: unknown value ${code}`);
  const flags = view.getUint8(OFF.flags);
  const expectKin = scheme === "leap" ? FLAG_HAS_KIN : 0;
  if ((flags & ~KNOWN_FLAGS) !== 0 || (flags & FLAG_HAS_KIN) !== expectKin) {
    fail("flags", `flags: value 0x${flags.toString(16)} is not valid for scheme ${scheme}`);
  }
  const seeded = (flags & FLAG_SEEDED_RING) !== 0;
  const nodeId = view.getUint32(OFF.nodeId, true);
  if (!isValidNodeId(nodeId)) fail("node-id", `node ID: ${nodeId} is reserved`);

  // The trailer first: after it, every remaining check is about meaning, not transmission.
  const recordCount = view.getUint32(OFF.recordCount, true);
  const recordLen = view.getUint32(OFF.recordLen, true);
  const threshold = view.getUint32(OFF.threshold, true);
  const lanes = view.getUint32(OFF.lanes, true);
  const expectedRecordLen =
    scheme === "polypool" ? 4 + 4 * lanes * (threshold + 1) : KEY_RECORD_LEN;
  if (recordLen !== expectedRecordLen) {
    fail("layout", `record length: expected ${expectedRecordLen}, got ${recordLen}`);
  }
  const layout = layoutOf(scheme, recordCount, recordLen);
  if (layout.imageLen !== imageLen) {
    fail(
      "layout",
      `${recordCount} records of ${recordLen} bytes need an image of ` +
        `${layout.imageLen} bytes, got ${imageLen}`,
    );
  }
  expectField(view, OFF.ringOffset, layout.ringOffset, "ring offset");
  expectField(view, OFF.nodeKeyOffset, layout.nodeKeyOffset, "node key offset");
  expectField(view, OFF.anchorOffset, layout.anchorOffset, "anchor offset");
  expectField(view, OFF.erasableOffset, layout.erasableOffset, "erasable offset");
  expectField(view, OFF.erasableLen, layout.erasableLen, "erasable length");
  expectField(view, OFF.reserved0, 0, "reserved field at 88");
  expectField(view, OFF.reserved1, 0, "reserved field at 92");

  const crcEnd = imageLen - TRAILER_LEN;
  const authenticated = authenticatedCopy(bytes, layout.erasableOffset, layout.erasableLen);
  const crc = crc32(authenticated.subarray(0, crcEnd));
  if (crc !== view.getUint32(crcEnd, true)) {
    wipe(authenticated);
    fail("crc", "trailer CRC-32 does not match the image");
  }
  const nodeKey = bytes.slice(layout.nodeKeyOffset, layout.nodeKeyOffset + KEY_LEN);
  const tag = imageTag(nodeKey, authenticated);
  wipe(authenticated);
  if (!constantTimeEqual(tag, bytes.subarray(imageLen - TRAILER_TAG_LEN))) {
    wipe(nodeKey);
    fail("tag", "invalid tag");
  }
  if (options.nodeKey !== undefined && !constantTimeEqual(options.nodeKey, nodeKey)) {
    wipe(nodeKey);
    fail("node-key", `the image's node key is not the one expected for node ${nodeId}`);
  }

  // Scheme parameters.
  const poolBig = view.getBigUint64(OFF.poolSize, true);
  if (poolBig > 2n ** 32n) fail("params", `pool size: ${poolBig} exceeds 2^32`);
  const poolSize = Number(poolBig);
  const ringSize = view.getUint32(OFF.ringSize, true);
  const draws = view.getUint32(OFF.draws, true);
  const prime = view.getUint32(OFF.prime, true);
  checkParams(scheme, { poolSize, ringSize, threshold, lanes, prime, draws, recordCount, seeded });
  const ringSeed = bytes.slice(OFF.ringSeed, OFF.ringSeed + RING_SEED_LEN);
  if (!seeded && ringSeed.some((b) => b !== 0)) {
    fail("params", "ring seed: must be zero when the ring is not seeded");
  }

  // Anchor.
  const a = layout.anchorOffset;
  const startMs = view.getBigUint64(a + 16, true);
  if (startMs > BigInt(Number.MAX_SAFE_INTEGER))
    fail("params", `anchor start time ${startMs} too large`);
  const anchor: Anchor = {
    commitment: bytes.slice(a, a + KEY_LEN),
    startMs: Number(startMs),
    intervalMs: view.getUint32(a + 24, true),
    chainLength: view.getUint32(a + 28, true),
  };
  if (anchor.intervalMs === 0) fail("params", "anchor interval: must be > 0 ms");
  if (anchor.chainLength === 0) fail("params", "anchor chain length: must be > 0");

  // Erasable LEAP region: intact (CRC and tag hold) or all zero (erased).
  let initialKey: Uint8Array | undefined;
  let initialKeyState: DecodedImage["initialKeyState"] = "none";
  if (layout.erasableLen > 0) {
    const e = layout.erasableOffset;
    const region = bytes.subarray(e, e + ERASABLE_LEN);
    if (region.every((b) => b === 0)) {
      initialKeyState = "erased";
    } else {
      if (crc32(region.subarray(0, 32)) !== view.getUint32(e + 32, true)) {
        fail("erasable", "K_IN region: neither intact (CRC mismatch) nor erased (all zero)");
      }
      const tagInput = kinTagInput(nodeId, region.subarray(0, KEY_LEN));
      const kinTag = cmac(nodeKey, tagInput);
      wipe(tagInput);
      if (!constantTimeEqual(kinTag, region.subarray(KEY_LEN, 2 * KEY_LEN))) {
        fail("erasable", "K_IN region: invalid tag");
      }
      initialKey = region.slice(0, KEY_LEN);
      initialKeyState = "present";
    }
  }

  const records = decodeRecords(bytes, view, scheme, layout.ringOffset, recordCount, recordLen, {
    nodeId,
    poolSize,
    lanes,
    threshold,
  });
  return {
    scheme,
    nodeId,
    poolSize,
    ringSize,
    threshold,
    lanes,
    draws,
    seeded,
    ringSeed,
    records,
    nodeKey,
    anchor,
    initialKey,
    imageLen,
    recordLen,
    ringOffset: layout.ringOffset,
    nodeKeyOffset: layout.nodeKeyOffset,
    anchorOffset: layout.anchorOffset,
    erasableOffset: layout.erasableOffset,
    initialKeyState,
  };
}

interface HeaderParams {
  poolSize: number;
  ringSize: number;
  threshold: number;
  lanes: number;
  prime: number;
  draws: number;
  recordCount: number;
  seeded: boolean;
}

function checkParams(scheme: SchemeName, h: HeaderParams): void {
  const bad = (what: string) => fail("params", `${scheme}: ${what}`);
  if (scheme !== "polypool" && (h.lanes !== 0 || h.prime !== 0)) bad("lanes and prime must be 0");
  if (h.seeded && scheme !== "eg" && scheme !== "qcomposite" && scheme !== "polypool") {
    bad("only eg, qcomposite and polypool rings can be seeded");
  }
  switch (scheme) {
    case "eg":
    case "qcomposite":
      if (h.poolSize < 1) bad(`pool size ${h.poolSize} must be >= 1`);
      if (h.ringSize < 1 || h.ringSize > h.poolSize) bad(`ring size ${h.ringSize} not in 1..P`);
      if (h.recordCount !== h.ringSize) bad(`${h.recordCount} records for a ring of ${h.ringSize}`);
      if (scheme === "eg" && h.threshold !== 1) bad(`threshold must be 1, got ${h.threshold}`);
      if (scheme === "qcomposite" && (h.threshold < 1 || h.threshold > h.ringSize)) {
        bad(`q = ${h.threshold} not in 1..k`);
      }
      if (h.draws < h.ringSize) bad(`draws ${h.draws} fewer than the ring size`);
      break;
    case "polypool":
      if (h.prime !== FIELD_PRIME) bad(`field prime must be ${FIELD_PRIME}, got ${h.prime}`);
      if (h.lanes < 1) bad(`lanes must be >= 1`);
      if (h.poolSize < 1 || h.ringSize < 1 || h.ringSize > h.poolSize) bad("s' not in 1..s");
      if (h.recordCount !== h.ringSize) bad(`${h.recordCount} records for s' = ${h.ringSize}`);
      if (h.draws < h.ringSize) bad(`draws ${h.draws} fewer than s'`);
      break;
    case "full":
      if (h.poolSize < 2) bad(`network size ${h.poolSize} must be >= 2`);
      if (h.ringSize !== h.poolSize - 1 || h.recordCount !== h.ringSize) {
        bad(`expected n - 1 = ${h.poolSize - 1} partners, got ${h.recordCount}`);
      }
      if (h.threshold !== 0 || h.draws !== 0) bad("threshold and draws must be 0");
      break;
    case "pairwise":
      if (h.poolSize < 2) bad(`network size ${h.poolSize} must be >= 2`);
      if (h.ringSize < 1 || h.ringSize > h.poolSize - 1) bad(`m = ${h.ringSize} not in 1..n-1`);
      if (h.recordCount > h.poolSize - 1)
        bad(`${h.recordCount} partners in a network of ${h.poolSize}`);
      if (h.threshold !== 0 || h.draws !== 0) bad("threshold and draws must be 0");
      break;
    case "leap":
      if (h.poolSize !== 0 || h.ringSize !== 0 || h.threshold !== 0 || h.draws !== 0) {
        bad("pool, ring, threshold and draws must be 0");
      }
      if (h.recordCount !== 1) bad(`expected 1 record (K_u), got ${h.recordCount}`);
      break;
  }
}

function decodeRecords(
  bytes: Uint8Array,
  view: DataView,
  scheme: SchemeName,
  ringOffset: number,
  recordCount: number,
  recordLen: number,
  ctx: { nodeId: number; poolSize: number; lanes: number; threshold: number },
): RingRecord[] {
  const records: RingRecord[] = [];
  let previous = -1;
  for (let i = 0; i < recordCount; i++) {
    const offset = ringOffset + i * recordLen;
    const id = view.getUint32(offset, true);
    if (id <= previous)
      fail("records", `record ${i}: ID ${id} is not above the previous ${previous}`);
    previous = id;
    if (scheme === "eg" || scheme === "qcomposite" || scheme === "polypool") {
      if (id >= ctx.poolSize)
        fail("records", `record ${i}: ID ${id} outside the pool of ${ctx.poolSize}`);
    } else if (scheme === "leap") {
      if (id !== ctx.nodeId) fail("records", `record 0: ID ${id} is not the node's own ID`);
    } else {
      if (!isValidNodeId(id) || id === ctx.nodeId || id > ctx.poolSize) {
        fail(
          "records",
          `record ${i}: partner ID ${id} is not a valid other node of 1..${ctx.poolSize}`,
        );
      }
    }
    if (scheme === "polypool") {
      const share = new Uint32Array(ctx.lanes * (ctx.threshold + 1));
      for (let j = 0; j < share.length; j++) {
        share[j] = view.getUint32(offset + 4 + 4 * j, true);
        if (share[j] >= FIELD_PRIME)
          fail("records", `record ${i}: share element outside the field`);
      }
      records.push({ id, share });
    } else {
      records.push({ id, key: bytes.slice(offset + 4, offset + 4 + KEY_LEN) });
    }
  }
  return records;
}

/** The image digest the node reports back: host/crypto mmoHash of the whole image. */
export function imageDigest(image: Uint8Array): Uint8Array {
  return mmoHash(checkBytes("image", image));
}

/**
 * A summary without a single key byte, for `predist image show` and logs: header fields, section
 * offsets, record IDs, and the states of K_IN.
 */
export function describeImage(image: DecodedImage): Record<string, unknown> {
  return {
    scheme: image.scheme,
    nodeId: image.nodeId,
    formatVersion: IMAGE_VERSION,
    imageLen: image.imageLen,
    poolSize: image.poolSize,
    ringSize: image.ringSize,
    threshold: image.threshold,
    lanes: image.lanes,
    fieldPrime: image.scheme === "polypool" ? FIELD_PRIME : 0,
    draws: image.draws,
    seededRing: image.seeded,
    ringSeed: image.seeded ? Buffer.from(image.ringSeed).toString("hex") : null,
    recordCount: image.records.length,
    recordLen: image.recordLen,
    offsets: {
      nodeKey: image.nodeKeyOffset,
      anchor: image.anchorOffset,
      erasable: image.erasableOffset,
      ring: image.ringOffset,
      trailer: image.imageLen - TRAILER_LEN,
    },
    anchor: {
      startMs: image.anchor.startMs,
      intervalMs: image.anchor.intervalMs,
      chainLength: image.anchor.chainLength,
    },
    initialKey: image.initialKeyState,
    recordIds: image.records.map((record) => record.id),
  };
}
