// Host-side codecs of every node radio message (docs/protocol.md), and the host oracles of the
// protocol's key schedule: link key and confirmation tags, secure-frame sealing, μTESLA
// revocation.
// The key authority calls encodeRevocation / encodeDisclosure; tests use every encoder to build
// frames and every decoder to check what the firmware sent. Decoders throw RangeError on a
// malformed frame and never echo key bytes in a message.
//
// Threat model limits: these are codecs, not policy. Freshness, replay windows and μTESLA timing
// are enforced by the firmware and described in docs/protocol.md.

import { checkBytes, ccmOpen, ccmSeal, cmac, kdf, KEY_LEN, oneWay } from "../crypto/index.js";

export const FRAME_MAX = 127;
export const HEADER_LEN = 9;
export const NONCE_LEN = 8;
export const TAG_LEN = 8;
export const SEQ_LEN = 4;
export const BROADCAST_ID = 0xffffffff;
/** Node ID 0 is never a node's (docs/image-format.md): the key authority's frames use it. */
export const AUTHORITY_ID = 0;

export const TYPE_HELLO = 0x01;
export const TYPE_LINK_INIT = 0x02;
export const TYPE_LINK_RESP = 0x03;
export const TYPE_LINK_CONFIRM = 0x04;
export const TYPE_DATA = 0x10;
export const TYPE_PATH_KEY = 0x11;
export const TYPE_REVOKE = 0x20;
export const TYPE_DISCLOSE = 0x21;

export const HELLO_FIXED_LEN = 19;
export const HELLO_IDS_MAX = 27;
export const HELLO_PARTS_MAX = 16;
export const LINK_INIT_FIXED_LEN = 19;
/** Most shared key IDs a LINK_INIT carries (one full frame) and a neighbour entry keeps. */
export const SELECT_MAX = 27;
export const LINK_RESP_LEN = 25;
export const LINK_CONFIRM_LEN = 17;
export const SECURE_OVERHEAD = HEADER_LEN + SEQ_LEN + TAG_LEN;
export const DATA_PAYLOAD_MAX = FRAME_MAX - SECURE_OVERHEAD;
export const PATH_PAYLOAD_LEN = 29;
export const REVOKE_FIXED_LEN = HEADER_LEN + 6 + TAG_LEN;
export const REVOKE_IDS_MAX = (FRAME_MAX - REVOKE_FIXED_LEN) >> 2;
export const DISCLOSE_LEN = HEADER_LEN + 4 + 16;
/** CCM* security level ENC-MIC-64 (IEEE 802.15.4 table 95), the last byte of the nonce. */
export const CCM_LEVEL = 0x06;
/** Link handshake modes: the scheme's pair key, or a path key. */
export const MODE_PAIR = 0;
export const MODE_PATH = 1;

export const LINK_LABEL = "predist link";
export const REVOKE_LABEL = "predist revoke";
const DIR_RESPONDER = 0x52; // 'R'
const DIR_INITIATOR = 0x49; // 'I'

export interface Header {
  type: number;
  src: number;
  dst: number;
}

function checkId(name: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new RangeError(`${name}: expected a u32 node or key ID, got ${id}`);
  }
}

function header(out: Uint8Array, h: Header): void {
  checkId("src", h.src);
  checkId("dst", h.dst);
  out[0] = h.type;
  putU32(out, 1, h.src);
  putU32(out, 5, h.dst);
}

function putU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 8) & 0xff;
  bytes[at + 1] = value & 0xff;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function putU32(bytes: Uint8Array, at: number, value: number): void {
  putU16(bytes, at, value >>> 16);
  putU16(bytes, at + 2, value & 0xffff);
}

/** Reads the 9-byte header; RangeError on a frame too short or too long. */
export function decodeHeader(frame: Uint8Array): Header {
  checkBytes("frame", frame);
  if (frame.length < HEADER_LEN || frame.length > FRAME_MAX) {
    throw new RangeError(
      `frame: expected ${HEADER_LEN} to ${FRAME_MAX} bytes, got ${frame.length}`,
    );
  }
  return { type: frame[0], src: u32(frame, 1), dst: u32(frame, 5) };
}

function expectType(frame: Uint8Array, type: number, name: string): Header {
  const h = decodeHeader(frame);
  if (h.type !== type) throw new RangeError(`${name}: expected type ${type}, got ${h.type}`);
  return h;
}

function expectLen(name: string, frame: Uint8Array, len: number): void {
  if (frame.length !== len) {
    throw new RangeError(`${name}: expected ${len} bytes, got ${frame.length}`);
  }
}

// ---------------------------------------------------------------------------------------------
// HELLO

export interface Hello extends Header {
  nonce: Uint8Array;
  scheme: number;
  part: number;
  parts: number;
  /** Key IDs, polynomial indexes, or [drawCount] for a seeded ring; empty for ID-only schemes. */
  body: number[];
}

/**
 * Encodes one HELLO announcement: `ids` split over as many frames as needed (27 per frame).
 * For a seeded ring pass `[drawCount]`; for pairwise, full and leap pass `[]`.
 */
export function encodeHello(
  src: number,
  dst: number,
  nonce: Uint8Array,
  scheme: number,
  ids: readonly number[],
): Uint8Array[] {
  checkBytes("nonce", nonce, NONCE_LEN);
  const parts = Math.max(1, Math.ceil(ids.length / HELLO_IDS_MAX));
  if (parts > HELLO_PARTS_MAX) {
    throw new RangeError(
      `ids: expected at most ${HELLO_PARTS_MAX * HELLO_IDS_MAX}, got ${ids.length}`,
    );
  }
  const frames: Uint8Array[] = [];
  for (let part = 0; part < parts; part++) {
    const chunk = ids.slice(part * HELLO_IDS_MAX, (part + 1) * HELLO_IDS_MAX);
    const frame = new Uint8Array(HELLO_FIXED_LEN + 4 * chunk.length);
    header(frame, { type: TYPE_HELLO, src, dst });
    frame.set(nonce, HEADER_LEN);
    frame[17] = scheme;
    frame[18] = (part << 4) | (parts - 1);
    chunk.forEach((id, i) => {
      checkId("id", id);
      putU32(frame, HELLO_FIXED_LEN + 4 * i, id);
    });
    frames.push(frame);
  }
  return frames;
}

export function decodeHello(frame: Uint8Array): Hello {
  const h = expectType(frame, TYPE_HELLO, "HELLO");
  if (frame.length < HELLO_FIXED_LEN || (frame.length - HELLO_FIXED_LEN) % 4 !== 0) {
    throw new RangeError(`HELLO: expected 19 + 4n bytes, got ${frame.length}`);
  }
  const body: number[] = [];
  for (let at = HELLO_FIXED_LEN; at < frame.length; at += 4) body.push(u32(frame, at));
  return {
    ...h,
    nonce: frame.slice(9, 17),
    scheme: frame[17],
    part: frame[18] >>> 4,
    parts: (frame[18] & 0x0f) + 1,
    body,
  };
}

// ---------------------------------------------------------------------------------------------
// Link handshake

export interface LinkInit extends Header {
  nonce: Uint8Array;
  mode: number;
  selector: number[];
}

export function encodeLinkInit(
  src: number,
  dst: number,
  nonce: Uint8Array,
  mode: number,
  selector: readonly number[],
): Uint8Array {
  checkBytes("nonce", nonce, NONCE_LEN);
  if (selector.length > SELECT_MAX) {
    throw new RangeError(`selector: expected at most ${SELECT_MAX} IDs, got ${selector.length}`);
  }
  const frame = new Uint8Array(LINK_INIT_FIXED_LEN + 4 * selector.length);
  header(frame, { type: TYPE_LINK_INIT, src, dst });
  frame.set(nonce, 9);
  frame[17] = mode;
  frame[18] = selector.length;
  selector.forEach((id, i) => {
    checkId("selector", id);
    putU32(frame, LINK_INIT_FIXED_LEN + 4 * i, id);
  });
  return frame;
}

export function decodeLinkInit(frame: Uint8Array): LinkInit {
  const h = expectType(frame, TYPE_LINK_INIT, "LINK_INIT");
  if (frame.length < LINK_INIT_FIXED_LEN) throw new RangeError(`LINK_INIT: too short`);
  const count = frame[18];
  expectLen("LINK_INIT", frame, LINK_INIT_FIXED_LEN + 4 * count);
  const selector: number[] = [];
  for (let i = 0; i < count; i++) selector.push(u32(frame, LINK_INIT_FIXED_LEN + 4 * i));
  return { ...h, nonce: frame.slice(9, 17), mode: frame[17], selector };
}

export function encodeLinkResp(src: number, dst: number, nonce: Uint8Array, tag: Uint8Array) {
  checkBytes("nonce", nonce, NONCE_LEN);
  checkBytes("tag", tag, TAG_LEN);
  const frame = new Uint8Array(LINK_RESP_LEN);
  header(frame, { type: TYPE_LINK_RESP, src, dst });
  frame.set(nonce, 9);
  frame.set(tag, 17);
  return frame;
}

export function decodeLinkResp(frame: Uint8Array): Header & { nonce: Uint8Array; tag: Uint8Array } {
  const h = expectType(frame, TYPE_LINK_RESP, "LINK_RESP");
  expectLen("LINK_RESP", frame, LINK_RESP_LEN);
  return { ...h, nonce: frame.slice(9, 17), tag: frame.slice(17, 25) };
}

export function encodeLinkConfirm(src: number, dst: number, tag: Uint8Array): Uint8Array {
  checkBytes("tag", tag, TAG_LEN);
  const frame = new Uint8Array(LINK_CONFIRM_LEN);
  header(frame, { type: TYPE_LINK_CONFIRM, src, dst });
  frame.set(tag, 9);
  return frame;
}

export function decodeLinkConfirm(frame: Uint8Array): Header & { tag: Uint8Array } {
  const h = expectType(frame, TYPE_LINK_CONFIRM, "LINK_CONFIRM");
  expectLen("LINK_CONFIRM", frame, LINK_CONFIRM_LEN);
  return { ...h, tag: frame.slice(9, 17) };
}

function transcript(idI: number, idR: number, nI: Uint8Array, nR: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 2 * NONCE_LEN);
  putU32(out, 0, idI);
  putU32(out, 4, idR);
  out.set(checkBytes("nI", nI, NONCE_LEN), 8);
  out.set(checkBytes("nR", nR, NONCE_LEN), 16);
  return out;
}

export interface LinkKeys {
  confirmKey: Uint8Array;
  linkKey: Uint8Array;
  tagR: Uint8Array;
  tagI: Uint8Array;
}

/** The handshake's key schedule (docs/protocol.md, "Link handshake"): the host oracle. */
export function linkKeys(
  material: Uint8Array,
  idI: number,
  idR: number,
  nI: Uint8Array,
  nR: Uint8Array,
): LinkKeys {
  checkBytes("material", material, KEY_LEN);
  const context = transcript(idI, idR, nI, nR);
  const both = kdf(material, LINK_LABEL, context, 2 * KEY_LEN);
  const confirmKey = both.slice(0, KEY_LEN);
  const linkKey = both.slice(KEY_LEN);
  both.fill(0);
  const tagged = new Uint8Array(1 + context.length);
  tagged.set(context, 1);
  tagged[0] = DIR_RESPONDER;
  const tagR = cmac(confirmKey, tagged).slice(0, TAG_LEN);
  tagged[0] = DIR_INITIATOR;
  const tagI = cmac(confirmKey, tagged).slice(0, TAG_LEN);
  return { confirmKey, linkKey, tagR, tagI };
}

// ---------------------------------------------------------------------------------------------
// Secure frames

export function secureNonce(src: number, dst: number, seq: number): Uint8Array {
  const nonce = new Uint8Array(13);
  putU32(nonce, 0, src);
  putU32(nonce, 4, dst);
  putU32(nonce, 8, seq);
  nonce[12] = CCM_LEVEL;
  return nonce;
}

/** Seals a DATA or PATH_KEY frame under `linkKey` (the oracle of the firmware's sealing). */
export function sealFrame(
  linkKey: Uint8Array,
  type: number,
  src: number,
  dst: number,
  seq: number,
  payload: Uint8Array,
): Uint8Array {
  if (payload.length > DATA_PAYLOAD_MAX) {
    throw new RangeError(
      `payload: expected at most ${DATA_PAYLOAD_MAX} bytes, got ${payload.length}`,
    );
  }
  const aad = new Uint8Array(HEADER_LEN + SEQ_LEN);
  header(aad, { type, src, dst });
  putU32(aad, HEADER_LEN, seq);
  const sealed = ccmSeal(linkKey, secureNonce(src, dst, seq), aad, payload, TAG_LEN);
  const frame = new Uint8Array(aad.length + sealed.length);
  frame.set(aad);
  frame.set(sealed, aad.length);
  return frame;
}

/** Opens a DATA or PATH_KEY frame; throws Error("invalid tag") when it does not authenticate. */
export function openFrame(
  linkKey: Uint8Array,
  frame: Uint8Array,
): Header & {
  seq: number;
  payload: Uint8Array;
} {
  const h = decodeHeader(frame);
  if (frame.length < SECURE_OVERHEAD) throw new RangeError(`secure frame: too short`);
  const seq = u32(frame, HEADER_LEN);
  const aad = frame.subarray(0, HEADER_LEN + SEQ_LEN);
  const payload = ccmOpen(
    linkKey,
    secureNonce(h.src, h.dst, seq),
    aad,
    frame.subarray(HEADER_LEN + SEQ_LEN),
    TAG_LEN,
  );
  return { ...h, seq, payload };
}

export interface PathKeyPayload {
  pathId: number;
  origin: number;
  target: number;
  hopsLeft: number;
  pathKey: Uint8Array;
}

export function encodePathKeyPayload(p: PathKeyPayload): Uint8Array {
  checkId("origin", p.origin);
  checkId("target", p.target);
  const out = new Uint8Array(PATH_PAYLOAD_LEN);
  putU32(out, 0, p.pathId);
  putU32(out, 4, p.origin);
  putU32(out, 8, p.target);
  out[12] = p.hopsLeft;
  out.set(checkBytes("pathKey", p.pathKey, KEY_LEN), 13);
  return out;
}

export function decodePathKeyPayload(payload: Uint8Array): PathKeyPayload {
  expectLen("PATH_KEY payload", payload, PATH_PAYLOAD_LEN);
  return {
    pathId: u32(payload, 0),
    origin: u32(payload, 4),
    target: u32(payload, 8),
    hopsLeft: payload[12],
    pathKey: payload.slice(13, 29),
  };
}

// ---------------------------------------------------------------------------------------------
// Revocation (μTESLA)

export interface Revocation {
  /** μTESLA interval (>= 1) whose chain key authenticates the frames. */
  interval: number;
  revokedNodes: readonly number[];
  revokedKeys: readonly number[];
}

/** The interval's tag key: Km = KDF(K_i, "predist revoke", interval u32, 16). */
export function revokeTagKey(chainKey: Uint8Array, interval: number): Uint8Array {
  const context = new Uint8Array(4);
  putU32(context, 0, interval);
  return kdf(checkBytes("chainKey", chainKey, KEY_LEN), REVOKE_LABEL, context, KEY_LEN);
}

/**
 * Encodes a revocation as one or more REVOKE frames (at most 26 IDs each), each tagged under the
 * chain key K_i of `interval`. The chain key itself is sent later with encodeDisclosure().
 */
export function encodeRevocation(revocation: Revocation, chainKey: Uint8Array): Uint8Array[] {
  const { interval, revokedNodes, revokedKeys } = revocation;
  if (!Number.isInteger(interval) || interval < 1 || interval > 0xffffffff) {
    throw new RangeError(`interval: expected 1 to 2^32 - 1, got ${interval}`);
  }
  const tagKey = revokeTagKey(chainKey, interval);
  const ids = [
    ...revokedNodes.map((id) => ({ node: true, id })),
    ...revokedKeys.map((id) => ({ node: false, id })),
  ];
  const frames: Uint8Array[] = [];
  for (let at = 0; at < ids.length || frames.length === 0; at += REVOKE_IDS_MAX) {
    const chunk = ids.slice(at, at + REVOKE_IDS_MAX);
    const nodes = chunk.filter((e) => e.node).map((e) => e.id);
    const keys = chunk.filter((e) => !e.node).map((e) => e.id);
    const frame = new Uint8Array(REVOKE_FIXED_LEN + 4 * chunk.length);
    header(frame, { type: TYPE_REVOKE, src: AUTHORITY_ID, dst: BROADCAST_ID });
    putU32(frame, 9, interval);
    frame[13] = nodes.length;
    frame[14] = keys.length;
    [...nodes, ...keys].forEach((id, i) => {
      checkId("revoked ID", id);
      putU32(frame, 15 + 4 * i, id);
    });
    const body = frame.subarray(0, frame.length - TAG_LEN);
    frame.set(cmac(tagKey, body).subarray(0, TAG_LEN), body.length);
    frames.push(frame);
  }
  tagKey.fill(0);
  return frames;
}

export function decodeRevocation(frame: Uint8Array): Revocation & { tag: Uint8Array } {
  expectType(frame, TYPE_REVOKE, "REVOKE");
  if (frame.length < REVOKE_FIXED_LEN) throw new RangeError(`REVOKE: too short`);
  const a = frame[13];
  const b = frame[14];
  expectLen("REVOKE", frame, REVOKE_FIXED_LEN + 4 * (a + b));
  const revokedNodes: number[] = [];
  const revokedKeys: number[] = [];
  for (let i = 0; i < a; i++) revokedNodes.push(u32(frame, 15 + 4 * i));
  for (let i = 0; i < b; i++) revokedKeys.push(u32(frame, 15 + 4 * (a + i)));
  return { interval: u32(frame, 9), revokedNodes, revokedKeys, tag: frame.slice(frame.length - 8) };
}

/** DISCLOSE: publishes chain key K_i of `interval`. */
export function encodeDisclosure(interval: number, chainKey: Uint8Array): Uint8Array {
  const frame = new Uint8Array(DISCLOSE_LEN);
  header(frame, { type: TYPE_DISCLOSE, src: AUTHORITY_ID, dst: BROADCAST_ID });
  putU32(frame, 9, interval);
  frame.set(checkBytes("chainKey", chainKey, KEY_LEN), 13);
  return frame;
}

export function decodeDisclosure(frame: Uint8Array): { interval: number; chainKey: Uint8Array } {
  expectType(frame, TYPE_DISCLOSE, "DISCLOSE");
  expectLen("DISCLOSE", frame, DISCLOSE_LEN);
  return { interval: u32(frame, 9), chainKey: frame.slice(13, 29) };
}

/**
 * A μTESLA one-way chain of `length` keys after the anchor: chain[0] is the anchor K_0 (put in the
 * image), chain[i] = K_i with F(K_i) = K_(i-1). For tests; the authority keeps its own chain.
 */
export function makeChain(last: Uint8Array, length: number): Uint8Array[] {
  const chain: Uint8Array[] = [checkBytes("last", last, KEY_LEN).slice()];
  for (let i = 0; i < length; i++) chain.unshift(oneWay(chain[0]));
  return chain;
}
