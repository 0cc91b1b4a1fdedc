// The journal chain: the canonical encoding of a record and the hash that links it to the record
// before, shared by every store backend. docs/store.md section "Journal" is the specification:
//
//   canonical(r) = UTF-8 of
//                  JSON.stringify([JOURNAL_DOMAIN, seq, at, station, event, nodeId, detail])
//   hash(r)      = SHA-256(hash(previous record) || canonical(r)), GENESIS_HASH before record 1
//
// `detail` enters as the stored canonical JSON text, so any edit of any column of any record, a
// deleted record or two records swapped changes a hash from that point on. The chain is keyless:
// someone who can rewrite the whole file can also recompute it. The anchor (seq and hash) printed
// by `predist log --verify` is kept outside the file and checked with `--anchor` (docs/store.md).

import { createHash } from "node:crypto";
import { constantTimeEqual } from "../../host/crypto/index.js";
import type { JournalRecord } from "./types.js";
import { StoreError } from "./errors.js";

export const JOURNAL_DOMAIN = "predist-journal-v1";
export const HASH_LEN = 32;
export const GENESIS_HASH = new Uint8Array(HASH_LEN);
/** Upper bound of one record's canonical detail text, so a journal row stays small. */
export const MAX_DETAIL_CHARS = 4096;
export const MAX_EVENT_CHARS = 64;
const EVENT_PATTERN = /^[a-z][a-z0-9-]*$/;
/**
 * Field names that would hold key material. The journal is readable by anyone with the file, so
 * a detail carrying one of these is refused outright rather than trusted to be harmless.
 */
const SECRET_FIELD = /^(key|keys|master|kek|secret|seed|share|sharecode|linkkey|poolkey)$/i;

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new StoreError("INVALID_INPUT", `journal detail: number ${value} is not finite`, "");
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}

function checkDetailFields(value: unknown, path: string): void {
  if (value === null || typeof value !== "object") return;
  if (value instanceof Uint8Array) {
    throw new StoreError(
      "INVALID_INPUT",
      `journal detail ${path}: raw bytes are not allowed in the journal`,
      "journal public values only (IDs, digests as hex, counts)",
    );
  }
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_FIELD.test(k)) {
      throw new StoreError(
        "INVALID_INPUT",
        `journal detail field "${path}${k}" looks like key material and is refused`,
        "never journal keys, shares or seeds; journal key IDs or digests instead",
      );
    }
    checkDetailFields(v, `${path}${k}.`);
  }
}

/** Validates an event name and detail object and returns the canonical detail text. */
export function prepareEntry(event: string, detail: Record<string, unknown> | undefined): string {
  if (typeof event !== "string" || event.length > MAX_EVENT_CHARS || !EVENT_PATTERN.test(event)) {
    throw new StoreError(
      "INVALID_INPUT",
      `journal event ${JSON.stringify(String(event).slice(0, 80))} is not a valid event name`,
      `use lower-case words joined by "-", at most ${MAX_EVENT_CHARS} characters`,
    );
  }
  checkDetailFields(detail ?? {}, "");
  const text = canonicalJson(detail ?? {});
  if (text.length > MAX_DETAIL_CHARS) {
    throw new StoreError(
      "INVALID_INPUT",
      `journal detail of event "${event}" is ${text.length} characters`,
      `keep a detail under ${MAX_DETAIL_CHARS} characters; write bulk data to a file`,
    );
  }
  return text;
}

/** The bytes the chain hashes for one record (docs/store.md, "Journal"). */
export function canonicalRecord(r: Omit<JournalRecord, "hash">): Buffer {
  return Buffer.from(
    JSON.stringify([JOURNAL_DOMAIN, r.seq, r.at, r.station, r.event, r.nodeId, r.detail]),
    "utf8",
  );
}

export function chainHash(previous: Uint8Array, r: Omit<JournalRecord, "hash">): Uint8Array {
  const h = createHash("sha256");
  h.update(previous);
  h.update(canonicalRecord(r));
  return new Uint8Array(h.digest());
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Walks records in seq order and returns the first break: a gap in seq (a record deleted), or a
 * hash that does not follow from the previous record and this record's content (edited, moved).
 */
export class ChainChecker {
  private previous: Uint8Array = GENESIS_HASH;
  private expectedSeq = 1;
  checked = 0;

  /** Returns a reason when `r` breaks the chain, else undefined. */
  next(r: JournalRecord): string | undefined {
    if (r.seq !== this.expectedSeq) {
      return r.seq > this.expectedSeq
        ? `record #${r.seq} follows #${this.expectedSeq - 1}: ` +
            `record${r.seq - this.expectedSeq > 1 ? "s" : ""} #${this.expectedSeq}` +
            `${r.seq - this.expectedSeq > 1 ? `..#${r.seq - 1}` : ""} deleted`
        : `record #${r.seq} is out of order after #${this.expectedSeq - 1}`;
    }
    if (!(r.hash instanceof Uint8Array) || r.hash.length !== HASH_LEN) {
      return `record #${r.seq}: stored hash is not ${HASH_LEN} bytes`;
    }
    const expected = chainHash(this.previous, r);
    if (!constantTimeEqual(expected, r.hash)) {
      return (
        `record #${r.seq} (${r.event}) does not match its hash: it was edited, or the record ` +
        `before it was deleted or moved`
      );
    }
    this.previous = r.hash;
    this.expectedSeq++;
    this.checked++;
    return undefined;
  }

  get head(): Uint8Array {
    return this.previous;
  }
}
