// The secret part of `predist export --with-secrets`: the μTESLA chain tip and the node key of
// every node that was flashed, as JSON encrypted with AES-256-GCM under a key from a passphrase
// (scrypt, RFC 7914) or from the KEK (HKDF-SHA256, RFC 5869). docs/custody.md "Export of secrets"
// is the layout. Not protected against: a weak passphrase beyond scrypt's cost, or the reader of
// the decrypted file; the public manifest is written by the command, not here.

import { randomBytes, scryptSync } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createAuthority, type Authority } from "../../host/authority/index.js";
import { wipe } from "../../host/crypto/index.js";
import { CliError, EXIT } from "../errors.js";
import type { NodeRecord, Store } from "../store/types.js";
import { authorityOptions, obtainKek, requireAuthority, type KekOptions } from "./index.js";
import { GCM_NONCE_LEN, openMaster } from "./seal.js";

export const EXPORT_LABEL = "predist-export-v1";
export const EXPORT_SALT_LEN = 16;
export const EXPORT_KEY_LEN = 32;
export const MIN_PASSPHRASE = 12;
const MAX_PASSPHRASE_FILE = 4096;
/** scrypt cost: 2^15 x 8 x 128 bytes = 32 MiB of memory per guess (RFC 7914 section 2). */
export const SCRYPT_PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface ExportSecretsOptions {
  kek: KekOptions;
  /** Encrypt under this file's passphrase; without it, under a key derived from the KEK. */
  passphraseFile?: string;
  nodes: readonly NodeRecord[];
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Reads a passphrase file: bounded, trailing newline dropped, at least MIN_PASSPHRASE long. */
export function readPassphrase(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `passphrase file ${path} does not exist`,
      "check the path given to --passphrase-file",
    );
  }
  if (size > MAX_PASSPHRASE_FILE) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `passphrase file ${path} is ${size} bytes, more than ${MAX_PASSPHRASE_FILE}`,
      "give a file that holds only the passphrase",
    );
  }
  const passphrase = readFileSync(path, "utf8").replace(/\r?\n$/, "");
  if (passphrase.length < MIN_PASSPHRASE) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `passphrase in ${path} has ${passphrase.length} characters`,
      `use at least ${MIN_PASSPHRASE} characters`,
    );
  }
  return passphrase;
}

/** Builds the encrypted secrets envelope; unseals once (shares or session) for everything. */
export async function exportSecrets(
  store: Store,
  options: ExportSecretsOptions,
): Promise<Record<string, unknown>> {
  const { record, seal } = await requireAuthority(store);
  // The passphrase is checked before the custodians are asked for anything.
  const passphrase = options.passphraseFile ? readPassphrase(options.passphraseFile) : undefined;
  const salt = new Uint8Array(randomBytes(EXPORT_SALT_LEN));
  const kek = await obtainKek(store, options.kek);
  let key: Uint8Array;
  let kdf: Record<string, unknown>;
  let authority: Authority;
  try {
    const master = openMaster(seal, kek, record.authorityId, record.params);
    authority = createAuthority({ ...authorityOptions(record), master });
    wipe(master);
    if (passphrase !== undefined) {
      key = new Uint8Array(scryptSync(passphrase, salt, EXPORT_KEY_LEN, SCRYPT_PARAMS));
      const { N, r, p } = SCRYPT_PARAMS;
      kdf = { name: "scrypt", N, r, p, salt: hex(salt) };
    } else {
      key = hkdf(sha256, kek, salt, new TextEncoder().encode(EXPORT_LABEL), EXPORT_KEY_LEN);
      kdf = {
        name: "hkdf-sha256-kek",
        generation: seal.generation,
        salt: hex(salt),
        info: EXPORT_LABEL,
      };
    }
  } finally {
    wipe(kek);
  }

  const anchor = record.params.anchor as { chainLength: number };
  let plaintext: Uint8Array;
  try {
    const tip = authority.chainKey(anchor.chainLength);
    const body = {
      chainLength: anchor.chainLength,
      chainTip: hex(tip),
      nodeKeys: options.nodes
        .filter((n) => n.state !== "retired" && n.state !== "planned")
        .map((n) => {
          const nodeKey = authority.nodeKey(n.nodeId);
          const text = hex(nodeKey);
          wipe(nodeKey);
          return { nodeId: n.nodeId, nodeKey: text };
        }),
    };
    wipe(tip);
    plaintext = new TextEncoder().encode(JSON.stringify(body));
  } finally {
    authority.destroy();
  }

  const nonce = new Uint8Array(randomBytes(GCM_NONCE_LEN));
  const aad = new TextEncoder().encode(`${EXPORT_LABEL}\0${record.authorityId}`);
  const sealed = gcm(key, nonce, aad).encrypt(plaintext);
  wipe(key, plaintext);
  return {
    format: "predist-secrets-v1",
    authorityId: record.authorityId,
    kdf,
    cipher: "aes-256-gcm",
    aad: `${EXPORT_LABEL}\\0<authorityId>`,
    nonce: hex(nonce),
    ciphertext: hex(sealed),
  };
}
