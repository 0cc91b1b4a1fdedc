// Messages of the factory flash protocol, version 1 (docs/flash-protocol.md, "Commands"): the
// request encoders and response decoders of HELLO, BEGIN, WRITE, COMMIT and CHECK, and the
// host's side of the end-of-line check. Integers are little-endian like the image format.
// Decoders check every length and throw ProtocolError; node status codes become text through
// host/status.ts.

import { cmac } from "../../host/crypto/index.js";
import { statusText } from "../../host/status.js";
import { RESPONSE_BIT, type Frame } from "./frame.js";

export const PROTOCOL_VERSION = 1;
export const DIGEST_LEN = 16;
export const CHALLENGE_LEN = 16;
/** CHECK names at most this many ring records. */
export const CHECK_INDEX_MAX = 8;

export const CMD = { HELLO: 0x01, BEGIN: 0x02, WRITE: 0x03, COMMIT: 0x04, CHECK: 0x05 } as const;
export type CommandName = keyof typeof CMD;
export const CMD_NAME: ReadonlyMap<number, CommandName> = new Map(
  Object.entries(CMD).map(([name, code]) => [code, name as CommandName]),
);

/** Node status codes the host acts on (assembly/status.ts). */
export const STATUS = {
  OK: 0,
  ERR_FLASH: 64,
  ERR_NOT_STAGED: 67,
  ERR_DIGEST_MISMATCH: 69,
  ERR_PROTOCOL_VERSION: 72,
  ERR_UNEXPECTED_FRAME: 73,
  ERR_OFFSET: 76,
  ERR_INCOMPLETE: 77,
} as const;

/** BEGIN flag bit 0: discard a staged transfer instead of resuming it. */
export const BEGIN_RESTART = 1;
/** Frame overhead besides the payload: cmd, seq, CRC-32. */
export const FRAME_OVERHEAD = 6;
/** WRITE payload besides the data: the offset. */
export const WRITE_FIXED = 4;

const EOL_LABEL = new TextEncoder().encode("predist-eol");
const RING_LABEL = new TextEncoder().encode("predist-ring");

/** A response that does not parse: the wrong length or the wrong command. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export interface Hello {
  status: number;
  version: number;
  firmwareVersion: number;
  provisioned: boolean;
  slotSize: number;
  chunkMax: number;
  activeLen: number;
  activeSeq: number;
  activeDigest: Uint8Array;
  stagedLen: number;
}

export interface BeginAnswer {
  status: number;
  offset: number;
  prefixCrc: number;
  alreadyActive: boolean;
}

export interface WriteAnswer {
  status: number;
  offset: number;
}

export interface CommitAnswer {
  status: number;
  readBack: Uint8Array;
  seq: number;
}

export interface CheckAnswer {
  status: number;
  imageTag: Uint8Array;
  ringProof: Uint8Array;
}

function le(len: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(len);
  return { bytes, view: new DataView(bytes.buffer) };
}

export function helloRequest(lowest = PROTOCOL_VERSION, highest = PROTOCOL_VERSION): Uint8Array {
  return Uint8Array.of(lowest, highest);
}

export function beginRequest(imageLen: number, digest: Uint8Array, restart: boolean): Uint8Array {
  const { bytes, view } = le(4 + DIGEST_LEN + 1);
  view.setUint32(0, imageLen, true);
  bytes.set(digest, 4);
  bytes[4 + DIGEST_LEN] = restart ? BEGIN_RESTART : 0;
  return bytes;
}

export function writeRequest(offset: number, data: Uint8Array): Uint8Array {
  const { bytes, view } = le(WRITE_FIXED + data.length);
  view.setUint32(0, offset, true);
  bytes.set(data, WRITE_FIXED);
  return bytes;
}

export function commitRequest(digest: Uint8Array): Uint8Array {
  return digest.slice();
}

export function checkRequest(challenge: Uint8Array, indices: readonly number[]): Uint8Array {
  if (indices.length > CHECK_INDEX_MAX) {
    throw new RangeError(`ring indices: expected 0 to ${CHECK_INDEX_MAX}, got ${indices.length}`);
  }
  const { bytes, view } = le(CHALLENGE_LEN + 1 + 2 * indices.length);
  bytes.set(challenge, 0);
  bytes[CHALLENGE_LEN] = indices.length;
  indices.forEach((index, i) => view.setUint16(CHALLENGE_LEN + 1 + 2 * i, index, true));
  return bytes;
}

/** Checks the response's command and length; returns its status byte and a view after it. */
function open(frame: Frame, cmd: number, len: number): { status: number; view: DataView } {
  if (frame.cmd !== (cmd | RESPONSE_BIT)) {
    throw new ProtocolError(
      `expected a response to ${CMD_NAME.get(cmd)}, got command 0x${frame.cmd.toString(16)}`,
    );
  }
  const status = frame.payload[0] ?? -1;
  // Refusals of malformed or unknown frames carry the status alone.
  if (frame.payload.length === 1 && status !== STATUS.OK) {
    return { status, view: new DataView(new ArrayBuffer(len)) };
  }
  if (frame.payload.length !== 1 + len) {
    throw new ProtocolError(
      `${CMD_NAME.get(cmd)} response: expected ${1 + len} payload bytes, got ` +
        `${frame.payload.length}`,
    );
  }
  const payload = frame.payload;
  return { status, view: new DataView(payload.buffer, payload.byteOffset + 1, len) };
}

function bytesAt(view: DataView, at: number, len: number): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset + at, view.byteOffset + at + len));
}

export const HELLO_ANSWER_LEN = 1 + 2 + 1 + 4 + 2 + 4 + 4 + DIGEST_LEN + 4;

export function parseHello(frame: Frame): Hello {
  const { status, view } = open(frame, CMD.HELLO, HELLO_ANSWER_LEN);
  return {
    status,
    version: view.getUint8(0),
    firmwareVersion: view.getUint16(1, true),
    provisioned: view.getUint8(3) === 1,
    slotSize: view.getUint32(4, true),
    chunkMax: view.getUint16(8, true),
    activeLen: view.getUint32(10, true),
    activeSeq: view.getUint32(14, true),
    activeDigest: bytesAt(view, 18, DIGEST_LEN),
    stagedLen: view.getUint32(34, true),
  };
}

export function parseBegin(frame: Frame): BeginAnswer {
  const { status, view } = open(frame, CMD.BEGIN, 9);
  return {
    status,
    offset: view.getUint32(0, true),
    prefixCrc: view.getUint32(4, true),
    alreadyActive: view.getUint8(8) === 1,
  };
}

export function parseWrite(frame: Frame): WriteAnswer {
  const { status, view } = open(frame, CMD.WRITE, 4);
  return { status, offset: view.getUint32(0, true) };
}

export function parseCommit(frame: Frame): CommitAnswer {
  const { status, view } = open(frame, CMD.COMMIT, DIGEST_LEN + 4);
  return { status, readBack: bytesAt(view, 0, DIGEST_LEN), seq: view.getUint32(DIGEST_LEN, true) };
}

export function parseCheck(frame: Frame): CheckAnswer {
  const { status, view } = open(frame, CMD.CHECK, 2 * DIGEST_LEN);
  return {
    status,
    imageTag: bytesAt(view, 0, DIGEST_LEN),
    ringProof: bytesAt(view, DIGEST_LEN, DIGEST_LEN),
  };
}

/** Node status as text, e.g. "76 (the write is not at the node's next offset)". */
export function describeStatus(status: number): string {
  return `${status} (${statusText(status)})`;
}

/** The image tag a node holding `nodeKey` and an image of `digest` answers to `challenge`. */
export function expectedImageTag(
  nodeKey: Uint8Array,
  challenge: Uint8Array,
  digest: Uint8Array,
): Uint8Array {
  const message = new Uint8Array(EOL_LABEL.length + CHALLENGE_LEN + DIGEST_LEN);
  message.set(EOL_LABEL, 0);
  message.set(challenge, EOL_LABEL.length);
  message.set(digest, EOL_LABEL.length + CHALLENGE_LEN);
  return cmac(nodeKey, message);
}

/** The ring proof over the records (raw image bytes) at `indices` of an image. */
export function expectedRingProof(
  nodeKey: Uint8Array,
  checkPayload: Uint8Array,
  records: readonly Uint8Array[],
): Uint8Array {
  const total =
    RING_LABEL.length +
    checkPayload.length +
    records.reduce((sum, record) => sum + record.length, 0);
  const message = new Uint8Array(total);
  message.set(RING_LABEL, 0);
  message.set(checkPayload, RING_LABEL.length);
  let at = RING_LABEL.length + checkPayload.length;
  for (const record of records) {
    message.set(record, at);
    at += record.length;
  }
  const proof = cmac(nodeKey, message);
  message.fill(0);
  return proof;
}
