// The paper form of a KEK share: 50 bytes written as 80 characters of Crockford's base32 in 16
// groups of 5, so a custodian can copy it by hand and read it back aloud. docs/custody.md
// "Share format" is the specification:
//
//   offset  size  field
//        0     1  format version (SHARE_VERSION)
//        1     8  authority ID (the store's, so a foreign share is named at once)
//        9     2  KEK generation, big-endian (bumped by `shares rotate`)
//       11     1  threshold M
//       12     1  share index = x-coordinate, 1..255
//       13    32  share value: one byte per KEK byte
//       45     5  checksum: SHA-256(CHECKSUM_LABEL || bytes 0..44), first 5 bytes
//
// Crockford's alphabet has no I, L, O or U; on input I and L read as 1 and O as 0, case, spaces
// and hyphens are ignored. The checksum catches any mistyped character (a wrong one passes with
// probability 2^-40). It is not a secret: it proves the share is intact, not that it is genuine;
// the KEK digest in the store catches a wrong reconstruction (seal.ts).

import { createHash } from "node:crypto";
import { constantTimeEqual, wipe } from "../../host/crypto/index.js";

export const SHARE_VERSION = 1;
export const AUTHORITY_ID_LEN = 8;
export const KEK_LEN = 32;
export const CHECKSUM_LEN = 5;
export const SHARE_LEN = 13 + KEK_LEN + CHECKSUM_LEN;
export const SHARE_CHARS = (SHARE_LEN * 8) / 5;
export const GROUP_CHARS = 5;
const CHECKSUM_LABEL = "predist-share-v1";
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Characters people confuse, read as the digit they look like (Crockford's rule). */
const ALIASES: Record<string, string> = { O: "0", I: "1", L: "1" };
/** Longest text a share may be given as (the code plus comment lines in a share file). */
export const MAX_SHARE_TEXT = 4096;

export interface Share {
  authorityId: string;
  generation: number;
  threshold: number;
  index: number;
  value: Uint8Array;
}

/** A share that cannot be used; `message` names the share by its source, never its bytes. */
export class ShareError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = "ShareError";
  }
}

function checksum(body: Uint8Array): Uint8Array {
  const digest = createHash("sha256").update(CHECKSUM_LABEL).update(body).digest();
  return new Uint8Array(digest.subarray(0, CHECKSUM_LEN));
}

function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  return out;
}

/** Encodes a share as 16 groups of 5 characters joined by "-". */
export function encodeShare(share: Share): string {
  if (!/^[0-9a-f]{16}$/.test(share.authorityId)) {
    throw new RangeError(`authorityId: expected ${AUTHORITY_ID_LEN * 2} hex digits`);
  }
  if (share.value.length !== KEK_LEN) {
    throw new RangeError(`share value: expected ${KEK_LEN} bytes, got ${share.value.length}`);
  }
  const bytes = new Uint8Array(SHARE_LEN);
  bytes[0] = SHARE_VERSION;
  bytes.set(Buffer.from(share.authorityId, "hex"), 1);
  bytes[9] = (share.generation >> 8) & 0xff;
  bytes[10] = share.generation & 0xff;
  bytes[11] = share.threshold;
  bytes[12] = share.index;
  bytes.set(share.value, 13);
  bytes.set(checksum(bytes.subarray(0, SHARE_LEN - CHECKSUM_LEN)), SHARE_LEN - CHECKSUM_LEN);
  const text = base32(bytes);
  wipe(bytes);
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += GROUP_CHARS) groups.push(text.slice(i, i + GROUP_CHARS));
  return groups.join("-");
}

/**
 * Decodes one share's text (comment lines starting with "#" are skipped). Throws ShareError naming
 * `source` and the first thing wrong: length, a character outside the alphabet, the checksum, the
 * version. Authority, generation and threshold are checked against the store by the caller.
 */
export function decodeShare(text: string, source: string): Share {
  if (text.length > MAX_SHARE_TEXT) {
    throw new ShareError(
      `share ${source} is ${text.length} characters; a share file holds at most ${MAX_SHARE_TEXT}`,
      source,
    );
  }
  const code = text
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("")
    .replace(/[\s-]/g, "")
    .toUpperCase();
  if (code.length !== SHARE_CHARS) {
    throw new ShareError(
      `share ${source} has ${code.length} characters; a share has ${SHARE_CHARS} ` +
        `(${SHARE_CHARS / GROUP_CHARS} groups of ${GROUP_CHARS})`,
      source,
    );
  }
  const bytes = new Uint8Array(SHARE_LEN);
  let buffer = 0;
  let bits = 0;
  let out = 0;
  for (let i = 0; i < code.length; i++) {
    const c = ALIASES[code[i]] ?? code[i];
    const value = ALPHABET.indexOf(c);
    if (value < 0) {
      wipe(bytes);
      throw new ShareError(
        `share ${source}: character ${i + 1} (group ${Math.floor(i / GROUP_CHARS) + 1}) ` +
          `is "${code[i]}", not a share character`,
        source,
      );
    }
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = (buffer >> bits) & 0xff;
    }
  }
  const body = bytes.subarray(0, SHARE_LEN - CHECKSUM_LEN);
  if (!constantTimeEqual(checksum(body), bytes.subarray(SHARE_LEN - CHECKSUM_LEN))) {
    wipe(bytes);
    throw new ShareError(
      `share ${source}: checksum does not match; a character was mistyped or the share is damaged`,
      source,
    );
  }
  if (bytes[0] !== SHARE_VERSION) {
    const version = bytes[0];
    wipe(bytes);
    throw new ShareError(
      `share ${source} has format version ${version}; this predist reads ${SHARE_VERSION}`,
      source,
    );
  }
  const share: Share = {
    authorityId: Buffer.from(bytes.subarray(1, 9)).toString("hex"),
    generation: (bytes[9] << 8) | bytes[10],
    threshold: bytes[11],
    index: bytes[12],
    value: bytes.slice(13, 13 + KEK_LEN),
  };
  wipe(bytes);
  if (share.index < 1) {
    wipe(share.value);
    throw new ShareError(`share ${source} has index 0, which no share may have`, source);
  }
  return share;
}
