// Framing of the factory flash protocol (docs/flash-protocol.md, "Framing"): SLIP (RFC 1055)
// around a body of cmd u8 | seq u8 | payload | CRC-32 (IEEE, little-endian) of cmd..payload.
// The decoder is a bounded streaming parser: bytes arrive in any split, a body longer than its
// limit or with a bad escape is dropped up to the next END, and a bad CRC drops the frame. The
// decoder counts what it dropped so the transport can report line quality.

import { crc32 } from "../../host/crypto/index.js";

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;
export const HEADER_LEN = 2;
export const CRC_LEN = 4;
/** Set in the cmd byte of every response. */
export const RESPONSE_BIT = 0x80;

export interface Frame {
  cmd: number;
  seq: number;
  payload: Uint8Array;
}

/** Body (cmd, seq, payload, CRC-32) of a frame, before SLIP. */
export function frameBody(frame: Frame): Uint8Array {
  const body = new Uint8Array(HEADER_LEN + frame.payload.length + CRC_LEN);
  body[0] = frame.cmd & 0xff;
  body[1] = frame.seq & 0xff;
  body.set(frame.payload, HEADER_LEN);
  const crc = crc32(body.subarray(0, body.length - CRC_LEN));
  new DataView(body.buffer).setUint32(body.length - CRC_LEN, crc, true);
  return body;
}

/** SLIP-encodes bytes with an END on both sides (the leading END flushes line noise). */
export function slipEncode(body: Uint8Array): Uint8Array {
  let extra = 0;
  for (const byte of body) if (byte === SLIP_END || byte === SLIP_ESC) extra++;
  const out = new Uint8Array(body.length + extra + 2);
  let n = 0;
  out[n++] = SLIP_END;
  for (const byte of body) {
    if (byte === SLIP_END) {
      out[n++] = SLIP_ESC;
      out[n++] = SLIP_ESC_END;
    } else if (byte === SLIP_ESC) {
      out[n++] = SLIP_ESC;
      out[n++] = SLIP_ESC_ESC;
    } else {
      out[n++] = byte;
    }
  }
  out[n++] = SLIP_END;
  return out;
}

export function encodeFrame(frame: Frame): Uint8Array {
  return slipEncode(frameBody(frame));
}

/** Parses a de-SLIPped body; undefined when it is too short or its CRC fails. */
export function parseBody(body: Uint8Array): Frame | undefined {
  if (body.length < HEADER_LEN + CRC_LEN) return undefined;
  const end = body.length - CRC_LEN;
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  if (crc32(body.subarray(0, end)) !== view.getUint32(end, true)) return undefined;
  return { cmd: body[0]!, seq: body[1]!, payload: body.slice(HEADER_LEN, end) };
}

export interface DecoderStats {
  frames: number;
  crcErrors: number;
  overruns: number;
  badEscapes: number;
}

/** Streaming SLIP decoder with a bounded body; calls `onFrame` for every frame whose CRC holds. */
export class FrameDecoder {
  readonly stats: DecoderStats = { frames: 0, crcErrors: 0, overruns: 0, badEscapes: 0 };
  private readonly buffer: Uint8Array;
  private len = 0;
  private escaped = false;
  private discarding = false;

  constructor(
    private readonly onFrame: (frame: Frame, body: Uint8Array) => void,
    readonly maxBody: number,
  ) {
    if (!Number.isInteger(maxBody) || maxBody < HEADER_LEN + CRC_LEN || maxBody > 1 << 20) {
      throw new RangeError(`maxBody: expected an integer from 6 to 2^20, got ${maxBody}`);
    }
    this.buffer = new Uint8Array(maxBody);
  }

  push(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (byte === SLIP_END) {
        this.finish();
        continue;
      }
      if (this.discarding) continue;
      let value = byte;
      if (this.escaped) {
        this.escaped = false;
        if (byte === SLIP_ESC_END) value = SLIP_END;
        else if (byte === SLIP_ESC_ESC) value = SLIP_ESC;
        else {
          this.stats.badEscapes++;
          this.discarding = true;
          continue;
        }
      } else if (byte === SLIP_ESC) {
        this.escaped = true;
        continue;
      }
      if (this.len >= this.maxBody) {
        this.stats.overruns++;
        this.discarding = true;
        continue;
      }
      this.buffer[this.len++] = value;
    }
  }

  /** Forgets a partial frame (after a timeout, before a retry). */
  reset(): void {
    this.len = 0;
    this.escaped = false;
    this.discarding = false;
  }

  private finish(): void {
    const len = this.len;
    const ok = !this.discarding && !this.escaped;
    this.reset();
    if (!ok || len === 0) return;
    const body = this.buffer.slice(0, len);
    const frame = parseBody(body);
    if (frame === undefined) {
      this.stats.crcErrors++;
      return;
    }
    this.stats.frames++;
    this.onFrame(frame, body);
  }
}
