// The unseal session: after `predist unseal --session`, the KEK is kept for a limited time in a
// file beside the store (`<db>.session`, mode 0600), encrypted with AES-256-GCM under a machine
// key, so the commands of a shift need not gather the custodians again. `predist seal` removes it.
// docs/custody.md "Session" is the specification.
//
//   machine key = HKDF-SHA256(ikm = local secret (32 bytes, created 0600 in the config folder),
//                             salt = /etc/machine-id when readable, info = SESSION_LABEL)
//   AAD         = SESSION_LABEL 0x00 authority ID 0x00 generation 0x00 expiry 0x00 store path
//
// The expiry is inside the AAD, so editing it breaks the tag. Not protected against: anyone who
// can read both the session file and the local secret as this user within the TTL (that is the
// trust the session asks for), or a clock set back.

import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { wipe } from "../../host/crypto/index.js";
import { CliError, EXIT } from "../errors.js";
import { GCM_NONCE_LEN } from "./seal.js";
import { KEK_LEN } from "./share-code.js";

export const SESSION_LABEL = "predist-session-v1";
export const SESSION_VERSION = 1;
export const SECRET_LEN = 32;
export const DEFAULT_TTL_MS = 15 * 60_000;
export const MAX_TTL_MS = 24 * 60 * 60_000;
/** A session file is a few hundred bytes; anything larger is not one. */
const MAX_SESSION_FILE = 4096;
const MACHINE_ID_PATH = "/etc/machine-id";
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

export function sessionPath(dbPath: string): string {
  return `${resolve(dbPath)}.session`;
}

/** The folder of the local secret: $PREDIST_CONFIG_DIR, else $XDG_CONFIG_HOME/predist. */
export function configDir(): string {
  if (process.env.PREDIST_CONFIG_DIR) return process.env.PREDIST_CONFIG_DIR;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "predist");
}

function refuseOpenMode(path: string, what: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      EXIT.SEALED,
      `${what} ${path} is readable by other users (mode ${mode.toString(8)})`,
      `restrict it with \`chmod 600 ${path}\`, or delete it and unseal again`,
    );
  }
}

/** Reads the local secret, creating it (0600, in a 0700 folder) on first use. */
function localSecret(): Uint8Array {
  const dir = configDir();
  const path = join(dir, "session.key");
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const secret = new Uint8Array(randomBytes(SECRET_LEN));
    try {
      // "wx": fail rather than overwrite if another process created it meanwhile.
      writeFileSync(path, secret, { mode: PRIVATE_FILE_MODE, flag: "wx" });
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
    wipe(secret);
  }
  refuseOpenMode(path, "session secret");
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes.length !== SECRET_LEN) {
    wipe(bytes);
    throw new CliError(
      EXIT.SEALED,
      `session secret ${path} is ${bytes.length} bytes, not ${SECRET_LEN}`,
      "delete it; the next `predist unseal --session` creates a new one",
    );
  }
  return bytes;
}

function machineKey(): Uint8Array {
  let machineId = new Uint8Array(0);
  try {
    machineId = new Uint8Array(readFileSync(MACHINE_ID_PATH)).slice(0, 64);
  } catch {
    // No machine-id (a container): the local secret alone keys the session.
  }
  const secret = localSecret();
  const key = hkdf(sha256, secret, machineId, new TextEncoder().encode(SESSION_LABEL), 32);
  wipe(secret);
  return key;
}

function aad(authorityId: string, generation: number, expiresAt: string, dbPath: string) {
  return new TextEncoder().encode(
    [SESSION_LABEL, authorityId, String(generation), expiresAt, resolve(dbPath)].join("\0"),
  );
}

interface SessionFile {
  version: number;
  authorityId: string;
  generation: number;
  expiresAt: string;
  nonce: string;
  sealed: string;
}

/** Writes the session file (atomically, 0600); returns its path and expiry. */
export function writeSession(
  dbPath: string,
  authorityId: string,
  generation: number,
  kek: Uint8Array,
  ttlMs: number,
): { path: string; expiresAt: string } {
  const expiresAt = new Date(Date.now() + ttlMs).toISOString();
  const key = machineKey();
  const nonce = new Uint8Array(randomBytes(GCM_NONCE_LEN));
  const sealed = gcm(key, nonce, aad(authorityId, generation, expiresAt, dbPath)).encrypt(kek);
  wipe(key);
  const body: SessionFile = {
    version: SESSION_VERSION,
    authorityId,
    generation,
    expiresAt,
    nonce: Buffer.from(nonce).toString("hex"),
    sealed: Buffer.from(sealed).toString("hex"),
  };
  const path = sessionPath(dbPath);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(body)}\n`, { mode: PRIVATE_FILE_MODE, flag: "w" });
  chmodSync(temporary, PRIVATE_FILE_MODE);
  renameSync(temporary, path);
  return { path, expiresAt };
}

/**
 * The KEK from the session file, or undefined when there is none. An expired session is removed
 * and reported; a session of another authority or generation, or one that does not decrypt on
 * this machine, is refused with a message saying so.
 */
export function readSession(
  dbPath: string,
  authorityId: string,
  generation: number,
): Uint8Array | undefined {
  const path = sessionPath(dbPath);
  if (!existsSync(path)) return undefined;
  refuseOpenMode(path, "session file");
  if (statSync(path).size > MAX_SESSION_FILE) {
    throw new CliError(
      EXIT.SEALED,
      `session file ${path} is too large to be a session`,
      "remove it with `predist seal` and unseal again",
    );
  }
  let body: SessionFile;
  try {
    body = JSON.parse(readFileSync(path, "utf8")) as SessionFile;
  } catch {
    throw new CliError(
      EXIT.SEALED,
      `session file ${path} is not valid JSON`,
      "remove it with `predist seal` and unseal again",
    );
  }
  if (body.version !== SESSION_VERSION || typeof body.expiresAt !== "string") {
    throw new CliError(
      EXIT.SEALED,
      `session file ${path} has an unknown format`,
      "remove it with `predist seal` and unseal again",
    );
  }
  const expires = Date.parse(body.expiresAt);
  if (!(expires > Date.now())) {
    removeSession(dbPath);
    throw new CliError(
      EXIT.SEALED,
      `the unseal session expired at ${body.expiresAt}; it has been removed`,
      "unseal again: `predist unseal --session` with the custodians' shares",
    );
  }
  if (body.authorityId !== authorityId || body.generation !== generation) {
    throw new CliError(
      EXIT.SEALED,
      `session file ${path} is for authority ${body.authorityId} generation ${body.generation}, ` +
        `not ${authorityId} generation ${generation}`,
      "remove it with `predist seal` and unseal this store again",
    );
  }
  const key = machineKey();
  try {
    const kek = gcm(
      key,
      Uint8Array.from(Buffer.from(String(body.nonce), "hex")),
      aad(authorityId, generation, body.expiresAt, dbPath),
    ).decrypt(Uint8Array.from(Buffer.from(String(body.sealed), "hex")));
    if (kek.length !== KEK_LEN) throw new Error("length");
    return kek;
  } catch {
    throw new CliError(
      EXIT.SEALED,
      `session file ${path} does not decrypt on this machine (edited, copied, or the local ` +
        "secret changed)",
      "remove it with `predist seal` and unseal again",
    );
  } finally {
    wipe(key);
  }
}

/** Overwrites and deletes the session file; returns whether there was one. */
export function removeSession(dbPath: string): boolean {
  const path = sessionPath(dbPath);
  if (!existsSync(path)) return false;
  const fd = openSync(path, "r+");
  try {
    const size = fstatSync(fd).size;
    writeSync(fd, new Uint8Array(size), 0, size, 0);
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
  return true;
}
