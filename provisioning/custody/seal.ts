// Sealing of the pool master secret: the master is stored only as AES-256-GCM ciphertext under a
// random 256-bit key-encryption key (KEK); the KEK exists only as Shamir shares held by custodians
// and, for one command or a session, in memory. docs/custody.md is the specification.
//
//   AAD        = "predist-seal-v1" 0x00 purpose 0x00 authority ID (8) || generation (u16 BE)
//                || SHA-256("predist-params-v1" 0x00 || canonical JSON of the scheme parameters)
//   KEK digest = SHA-256("predist-kek-digest-v1" 0x00 authority ID || generation || KEK)
//
// The AAD binds the ciphertext to this authority, purpose, KEK generation and the scheme
// parameters kept beside it, so a sealed record copied from another store or an older generation
// does not open, and neither does one whose parameters were edited in the file. The KEK digest
// catches a wrong reconstruction before the KEK is used (the SLIP-39 lesson: a share set that
// combines to garbage must be named, not used). Comparisons are constant-time; every temporary
// key buffer is wiped.
// Not protected against: a custodian who keeps a copy of M shares, or malware on the machine that
// runs the ceremony while the KEK is in memory.

import { createHash, randomBytes } from "node:crypto";
import { gcm } from "@noble/ciphers/aes.js";
import { constantTimeEqual, wipe } from "../../host/crypto/index.js";
import { CliError, EXIT } from "../errors.js";
import { canonicalJson } from "../store/journal.js";
import type { SealRecord } from "../store/types.js";
import { KEK_LEN, ShareError, decodeShare, encodeShare, type Share } from "./share-code.js";
import { checkCounts, combine, interpolateAt, split } from "./shamir.js";

export const MASTER_PURPOSE = "pool-master";
export const MASTER_LEN = 32;
export const GCM_NONCE_LEN = 12;
export const GCM_TAG_LEN = 16;
const SEAL_LABEL = "predist-seal-v1";
const DIGEST_LABEL = "predist-kek-digest-v1";
const PARAMS_LABEL = "predist-params-v1";
/** Most share subsets `verifyShares` tries when looking for one that rebuilds the KEK. */
export const MAX_SUBSET_TRIES = 1000;

function u16(value: number): Uint8Array {
  return new Uint8Array([(value >> 8) & 0xff, value & 0xff]);
}

/** SHA-256 of the scheme parameters' canonical JSON, under its own label. */
export function paramsDigest(params: Record<string, unknown>): Uint8Array {
  const h = createHash("sha256");
  h.update(`${PARAMS_LABEL}\0`);
  h.update(canonicalJson(params), "utf8");
  return new Uint8Array(h.digest());
}

function aad(
  purpose: string,
  authorityId: string,
  generation: number,
  params: Record<string, unknown>,
): Uint8Array {
  const head = Buffer.from(`${SEAL_LABEL}\0${purpose}\0`, "utf8");
  return new Uint8Array(
    Buffer.concat([
      head,
      Buffer.from(authorityId, "hex"),
      Buffer.from(u16(generation)),
      Buffer.from(paramsDigest(params)),
    ]),
  );
}

export function kekDigest(authorityId: string, generation: number, kek: Uint8Array): Uint8Array {
  const h = createHash("sha256");
  h.update(`${DIGEST_LABEL}\0`);
  h.update(Buffer.from(authorityId, "hex"));
  h.update(u16(generation));
  h.update(kek);
  return new Uint8Array(h.digest());
}

/** Encrypts `master` under `kek`; returns the seal record the store keeps (no key bytes). */
export function sealMaster(
  master: Uint8Array,
  kek: Uint8Array,
  authorityId: string,
  generation: number,
  shares: number,
  threshold: number,
  params: Record<string, unknown>,
): SealRecord {
  const nonce = new Uint8Array(randomBytes(GCM_NONCE_LEN));
  const binding = aad(MASTER_PURPOSE, authorityId, generation, params);
  const sealed = gcm(kek, nonce, binding).encrypt(master);
  return {
    purpose: MASTER_PURPOSE,
    generation,
    shares,
    threshold,
    kekDigest: kekDigest(authorityId, generation, kek),
    nonce,
    sealed,
    sealedAt: new Date().toISOString(),
  };
}

/** Decrypts the master; the KEK digest is checked first and the GCM tag second. */
export function openMaster(
  seal: SealRecord,
  kek: Uint8Array,
  authorityId: string,
  params: Record<string, unknown>,
): Uint8Array {
  if (!constantTimeEqual(kekDigest(authorityId, seal.generation, kek), seal.kekDigest)) {
    throw new CliError(
      EXIT.SEALED,
      "the shares rebuild a key whose digest does not match the store's KEK digest",
      "one share was altered with a matching checksum: run `predist shares verify` with all shares",
    );
  }
  try {
    const binding = aad(seal.purpose, authorityId, seal.generation, params);
    return gcm(kek, seal.nonce, binding).decrypt(seal.sealed);
  } catch {
    throw new CliError(
      EXIT.INTEGRITY,
      `the sealed ${seal.purpose} record does not authenticate (invalid tag)`,
      "the sealed record or the authority's parameters in the store were changed, or the " +
        "record comes from another store: restore a backup",
    );
  }
}

/** A fresh KEK and its shares, for `init` and `shares rotate`. The caller wipes `kek`. */
export function newCustody(
  master: Uint8Array,
  authorityId: string,
  generation: number,
  shares: number,
  threshold: number,
  params: Record<string, unknown>,
): { seal: SealRecord; codes: string[]; kek: Uint8Array } {
  checkCounts(shares, threshold);
  const kek = new Uint8Array(randomBytes(KEK_LEN));
  const seal = sealMaster(master, kek, authorityId, generation, shares, threshold, params);
  const points = split(kek, shares, threshold);
  const codes = points.map((p) => {
    const code = encodeShare({ authorityId, generation, threshold, index: p.x, value: p.y });
    wipe(p.y);
    return code;
  });
  return { seal, codes, kek };
}

/** A share's text and where it came from (a file path, "prompt entry 2"), for messages. */
export interface ShareInput {
  text: string;
  source: string;
}

export interface CheckedShare extends Share {
  source: string;
}

/**
 * Decodes one share and checks it belongs to this authority and KEK generation; throws a
 * CliError naming the share and what is wrong.
 */
export function checkShare(input: ShareInput, authorityId: string, seal: SealRecord): CheckedShare {
  let share: Share;
  try {
    share = decodeShare(input.text, input.source);
  } catch (error) {
    if (error instanceof ShareError) {
      throw new CliError(
        EXIT.INTEGRITY,
        error.message,
        "copy the share again from its paper or file",
      );
    }
    throw error;
  }
  const fail = (message: string, hint: string): never => {
    wipe(share.value);
    const name = `share ${input.source} (index ${share.index})`;
    throw new CliError(EXIT.SEALED, `${name} ${message}`, hint);
  };
  if (share.authorityId !== authorityId) {
    fail(
      `belongs to authority ${share.authorityId}, not to this store's authority ${authorityId}`,
      "use the shares of this authority, or point --db at the other store",
    );
  }
  if (share.generation !== seal.generation) {
    fail(
      `is of KEK generation ${share.generation}; the store is at generation ${seal.generation}` +
        (share.generation < seal.generation ? " (the shares were rotated since)" : ""),
      "use the shares handed out at the last `predist shares rotate` (or `predist init`)",
    );
  }
  if (share.threshold !== seal.threshold || share.index > seal.shares) {
    fail(
      `says threshold ${share.threshold}, index ${share.index}; this store's split is ` +
        `${seal.threshold} of ${seal.shares}`,
      "the share is from another split: use this store's shares",
    );
  }
  return { ...share, source: input.source };
}

/** Adds a share to a set, refusing a second share of the same index. */
export function addShare(set: CheckedShare[], share: CheckedShare): void {
  const twin = set.find((s) => s.index === share.index);
  if (twin) {
    wipe(share.value);
    throw new CliError(
      EXIT.SEALED,
      `share ${share.source} repeats index ${share.index}, already given by ${twin.source}`,
      "each custodian's share has its own index: give a different share",
    );
  }
  set.push(share);
}

/** Rebuilds the KEK from at least `threshold` checked shares and checks its digest. */
export function rebuildKek(
  shares: readonly CheckedShare[],
  authorityId: string,
  seal: SealRecord,
): Uint8Array {
  if (shares.length < seal.threshold) {
    throw new CliError(
      EXIT.SEALED,
      `${shares.length} share${shares.length === 1 ? "" : "s"} given; unsealing needs ` +
        `${seal.threshold} of ${seal.shares}`,
      "give more shares with --share FILE (repeatable), or enter them at the prompt",
    );
  }
  const kek = combine(shares.slice(0, seal.threshold).map((s) => ({ x: s.index, y: s.value })));
  if (!constantTimeEqual(kekDigest(authorityId, seal.generation, kek), seal.kekDigest)) {
    wipe(kek);
    throw new CliError(
      EXIT.SEALED,
      `shares ${shares
        .slice(0, seal.threshold)
        .map((s) => s.index)
        .join(", ")} rebuild a key ` +
        "whose digest does not match the store's KEK digest; the key was not used",
      "one of them was altered with a valid checksum: run `predist shares verify` with all shares",
    );
  }
  return kek;
}

export interface ShareVerdict {
  index: number;
  source: string;
  valid: boolean;
  reason?: string;
}

/**
 * The verify-all ceremony: finds a threshold-sized subset whose KEK matches the digest, then checks
 * every other share lies on the same polynomials. Each share is reported valid or invalid by index.
 */
export function verifyShares(
  inputs: readonly ShareInput[],
  authorityId: string,
  seal: SealRecord,
): ShareVerdict[] {
  const verdicts: ShareVerdict[] = [];
  const good: CheckedShare[] = [];
  for (const input of inputs) {
    try {
      const share = checkShare(input, authorityId, seal);
      addShare(good, share);
      verdicts.push({ index: share.index, source: input.source, valid: true });
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      const index = /\(index (\d+)\)/.exec(error.message)?.[1];
      verdicts.push({
        index: index === undefined ? 0 : Number(index),
        source: input.source,
        valid: false,
        reason: error.message,
      });
    }
  }
  const anchor = findAnchor(good, authorityId, seal);
  for (const share of good) {
    const verdict = verdicts.find((v) => v.source === share.source) as ShareVerdict;
    if (anchor === undefined) {
      verdict.valid = false;
      verdict.reason =
        good.length < seal.threshold
          ? `not confirmed: ${good.length} intact shares, ${seal.threshold} needed to check them`
          : "not confirmed: no set of intact shares rebuilds the KEK";
      continue;
    }
    if (anchor.includes(share)) continue;
    const expected = interpolateAt(
      anchor.map((s) => ({ x: s.index, y: s.value })),
      share.index,
    );
    const same = constantTimeEqual(expected, share.value);
    wipe(expected);
    if (!same) {
      verdict.valid = false;
      verdict.reason =
        `share ${share.source} (index ${share.index}) does not lie on the KEK's ` +
        "polynomials: it was altered";
    }
  }
  for (const share of good) wipe(share.value);
  return verdicts;
}

/** A threshold-sized subset of `shares` whose KEK matches the digest, or undefined. */
function findAnchor(
  shares: CheckedShare[],
  authorityId: string,
  seal: SealRecord,
): CheckedShare[] | undefined {
  const m = seal.threshold;
  if (shares.length < m) return undefined;
  const pick = Array.from({ length: m }, (_, i) => i);
  for (let tries = 0; tries < MAX_SUBSET_TRIES; tries++) {
    const subset = pick.map((i) => shares[i]);
    const kek = combine(subset.map((s) => ({ x: s.index, y: s.value })));
    const ok = constantTimeEqual(kekDigest(authorityId, seal.generation, kek), seal.kekDigest);
    wipe(kek);
    if (ok) return subset;
    // Next combination in lexicographic order.
    let i = m - 1;
    while (i >= 0 && pick[i] === shares.length - m + i) i--;
    if (i < 0) return undefined;
    pick[i]++;
    for (let j = i + 1; j < m; j++) pick[j] = pick[j - 1] + 1;
  }
  return undefined;
}
