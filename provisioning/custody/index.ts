// Custody for commands: gathers shares (files, the hidden prompt) or the unseal session, rebuilds
// and checks the KEK, opens the sealed master and hands back a live authority. Every command that
// needs the master (provision, revoke, export with secrets) goes through here:
//
//   const kek = await obtainKek(store, { dbPath, shareFiles, prompt: true, progress });
//   const { authority, record } = await openAuthority(store, { dbPath, shareFiles });
//   try { ...buildImage(authority, nodeId)... } finally { authority.destroy(); }
//
// Sources, in order: --share files (topped up at the prompt when fewer than M and stdin is a
// TTY), else the session file, else the prompt. Key buffers are wiped as soon as they are used.

import { readFileSync, statSync } from "node:fs";
import password from "@inquirer/password";
import {
  createAuthority,
  type Authority,
  type AuthorityOptions,
} from "../../host/authority/index.js";
import { wipe } from "../../host/crypto/index.js";
import { CliError, EXIT } from "../errors.js";
import type { AuthorityRecord, SealRecord, Store } from "../store/types.js";
import {
  addShare,
  checkShare,
  openMaster,
  rebuildKek,
  type CheckedShare,
  type ShareInput,
} from "./seal.js";
import { readSession } from "./session.js";
import { MAX_SHARE_TEXT } from "./share-code.js";

/** Attempts per prompt entry before the ceremony gives up. */
export const PROMPT_ATTEMPTS = 3;

export interface KekOptions {
  dbPath: string;
  shareFiles?: readonly string[];
  /** Allow the hidden prompt (only used when stdin is a TTY). */
  prompt?: boolean;
  /** Skip the session file even if one exists. */
  ignoreSession?: boolean;
  /** Called after each accepted share: k of threshold. */
  progress?: (accepted: number, threshold: number, share: CheckedShare) => void;
}

/** The store's authority and sealed master record; STORE error when the store has none. */
export async function requireAuthority(
  store: Store,
): Promise<{ record: AuthorityRecord; seal: SealRecord }> {
  const record = await store.getAuthority();
  const seal = await store.getSeal();
  if (!record || !seal) {
    throw new CliError(
      EXIT.STORE,
      `store ${store.location} holds no authority`,
      "create one with `predist init --shares 5 --threshold 3`",
    );
  }
  return { record, seal };
}

/** Reads a share file, bounded; INVALID_INPUT naming the file when it cannot be read. */
export function readShareFile(path: string): ShareInput {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `share file ${path} does not exist or cannot be read`,
      "check the path given to --share",
    );
  }
  if (size > MAX_SHARE_TEXT) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `share file ${path} is ${size} bytes; a share file is under ${MAX_SHARE_TEXT}`,
      "give the file `predist init` or `predist shares rotate` wrote",
    );
  }
  return { text: readFileSync(path, "utf8"), source: path };
}

async function promptShares(
  set: CheckedShare[],
  record: AuthorityRecord,
  seal: SealRecord,
  options: KekOptions,
): Promise<void> {
  let entry = 0;
  while (set.length < seal.threshold) {
    let attempts = 0;
    for (;;) {
      entry++;
      // The prompt writes to stderr so that stdout stays one JSON document under --json.
      const text = await password(
        { message: `Share ${set.length + 1} of ${seal.threshold} (hidden):`, mask: false },
        { output: process.stderr },
      );
      try {
        const input = { text, source: `prompt entry ${entry}` };
        const share = checkShare(input, record.authorityId, seal);
        addShare(set, share);
        options.progress?.(set.length, seal.threshold, share);
        break;
      } catch (error) {
        if (!(error instanceof CliError) || ++attempts >= PROMPT_ATTEMPTS) throw error;
        process.stderr.write(`  ${error.message}\n  ${error.hint ?? ""}\n`);
      }
    }
  }
}

/** Rebuilds and checks the KEK from the sources in `options`; the caller wipes it. */
export async function obtainKek(store: Store, options: KekOptions): Promise<Uint8Array> {
  const { record, seal } = await requireAuthority(store);
  const files = options.shareFiles ?? [];
  const canPrompt = options.prompt === true && process.stdin.isTTY === true;
  if (files.length === 0 && !options.ignoreSession) {
    const kek = readSession(options.dbPath, record.authorityId, seal.generation);
    if (kek) return kek;
  }
  const set: CheckedShare[] = [];
  try {
    for (const file of files) {
      addShare(set, checkShare(readShareFile(file), record.authorityId, seal));
      options.progress?.(set.length, seal.threshold, set[set.length - 1]);
    }
    if (set.length < seal.threshold && canPrompt) await promptShares(set, record, seal, options);
    if (set.length === 0) {
      throw new CliError(
        EXIT.SEALED,
        `the authority of ${store.location} is sealed and no shares were given`,
        `give ${seal.threshold} shares with --share FILE (repeatable), or run ` +
          "`predist unseal --session` first",
      );
    }
    return rebuildKek(set, record.authorityId, seal);
  } finally {
    for (const share of set) wipe(share.value);
  }
}

/** Opens the sealed master; the caller wipes it. */
export async function obtainMaster(store: Store, options: KekOptions): Promise<Uint8Array> {
  const { record, seal } = await requireAuthority(store);
  const kek = await obtainKek(store, options);
  try {
    return openMaster(seal, kek, record.authorityId, record.params);
  } finally {
    wipe(kek);
  }
}

/** The authority's options as the store keeps them (no master). */
export function authorityOptions(record: AuthorityRecord): AuthorityOptions {
  return { ...(record.params as unknown as AuthorityOptions) };
}

/** A live authority from the sealed master; call `authority.destroy()` when done. */
export async function openAuthority(
  store: Store,
  options: KekOptions,
): Promise<{ authority: Authority; record: AuthorityRecord }> {
  const { record } = await requireAuthority(store);
  const master = await obtainMaster(store, options);
  try {
    const authority = createAuthority({ ...authorityOptions(record), master });
    return { authority, record };
  } finally {
    wipe(master);
  }
}
