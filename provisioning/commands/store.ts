// Commands of the store and custody area: init, unseal, seal, shares verify|rotate, nodes, log,
// revoke, report, export. Each opens the store given by --db (default predist.db), prints text
// or with --json one JSON document, and fails with a CliError naming the value and what to do.
// docs/store.md and docs/custody.md describe what they keep and guarantee.

import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { createAuthority, type SchemeParams } from "../../host/authority/index.js";
import { constantTimeEqual, wipe } from "../../host/crypto/index.js";
import { GROUP } from "../cli.js";
import { CliError, EXIT } from "../errors.js";
import { type SchemeFlags, addSchemeOptions, schemeParamsFrom } from "../scheme-flags.js";
import {
  openStore,
  NODE_STATES,
  type NodeRecord,
  type NodeState,
  type Store,
} from "../store/index.js";
import { analyseCapture, type Exposure } from "../store/exposure.js";
import { buildRevocation, nextRevocationInterval } from "../store/revocation.js";
import { DEFAULT_DB } from "../store/index.js";
import {
  obtainKek,
  obtainMaster,
  openAuthority,
  readShareFile,
  requireAuthority,
  type KekOptions,
} from "../custody/index.js";
import { exportSecrets } from "../custody/export.js";
import { newCustody, openMaster, verifyShares } from "../custody/seal.js";
import { DEFAULT_TTL_MS, MAX_TTL_MS, removeSession, writeSession } from "../custody/session.js";
import { AUTHORITY_ID_LEN } from "../custody/share-code.js";
import { MAX_SHARES, MIN_THRESHOLD } from "../custody/shamir.js";

export const DEFAULT_SHARES = 5;
export const DEFAULT_THRESHOLD = 3;
export const DEFAULT_LOG_LIMIT = 1_000_000;
const MASTER_LEN = 32;
const INSECURE_SEED_DOMAIN = "predist insecure init seed v1:";
const SHARE_FILE_MODE = 0o600;
const SHARE_DIR_MODE = 0o700;

// ---- shared helpers --------------------------------------------------------------------------

/** A commander parser for an integer option within [min, max]. */
export function intOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a duration like 90s, 15m, 2h (or plain seconds). */
export function durationOption(value: string): number {
  const match = /^(\d+)\s*(s|m|h)?$/.exec(value.trim());
  const unit = { s: 1000, m: 60_000, h: 3_600_000 }[(match?.[2] ?? "s") as "s" | "m" | "h"];
  const ms = match ? Number(match[1]) * unit : NaN;
  if (!match || !(ms > 0) || ms > MAX_TTL_MS) {
    throw new InvalidArgumentError(`expected a duration like 90s, 15m or 2h, at most 24h.`);
  }
  return ms;
}

const useColour = (): boolean => process.stdout.isTTY === true && !process.env.NO_COLOR;
export const paint = {
  ok: (s: string) => (useColour() ? `\x1b[32m${s}\x1b[0m` : s),
  bad: (s: string) => (useColour() ? `\x1b[31m${s}\x1b[0m` : s),
  dim: (s: string) => (useColour() ? `\x1b[2m${s}\x1b[0m` : s),
};

export function out(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface DbOptions {
  db: string;
  json?: boolean;
  station?: string;
}

export function addDbOptions(command: Command): Command {
  return command
    .option("--db <file>", "the store file", DEFAULT_DB)
    .option("--station <name>", "station name written into the journal (default: host name)")
    .option("--json", "print one JSON document instead of text", false);
}

export async function withStore<T>(
  options: DbOptions,
  fn: (store: Store) => Promise<T>,
  create = false,
): Promise<T> {
  const store = await openStore({ path: options.db, station: options.station, create });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function kekOptions(options: DbOptions & { share?: string[] }, progress = true): KekOptions {
  return {
    dbPath: options.db,
    shareFiles: options.share ?? [],
    prompt: true,
    progress: progress
      ? (k, m, share) =>
          process.stderr.write(
            `share ${k} of ${m} accepted (index ${share.index}, ${share.source})\n`,
          )
      : undefined,
  };
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

// ---- init ------------------------------------------------------------------------------------

interface InitSchemeFlags extends SchemeFlags {
  chainLength?: number;
  intervalMs?: number;
  startMs?: number;
}

/** The scheme flags shared with the authority's commands, plus the μTESLA anchor's. */
function addInitSchemeOptions(command: Command): Command {
  const u32 = intOption(1, 0xffffffff);
  return addSchemeOptions(command)
    .option("--chain-length <n>", "μTESLA chain length (default: 10000)", intOption(1, 1 << 24))
    .option("--interval-ms <ms>", "μTESLA interval in ms (default: 1000)", u32)
    .option(
      "--start-ms <ms>",
      "μTESLA start time, ms since the epoch (default: 0)",
      intOption(0, Number.MAX_SAFE_INTEGER),
    );
}

function initParamsFrom(flags: InitSchemeFlags): Record<string, unknown> {
  const params = schemeParamsFrom(flags);
  const anchor = {
    chainLength: flags.chainLength ?? 10_000,
    intervalMs: flags.intervalMs ?? 1_000,
    startMs: flags.startMs ?? 0,
  };
  return { ...params, anchor };
}

interface InitOptions extends DbOptions, InitSchemeFlags {
  shares: number;
  threshold: number;
  shareDir?: string;
  insecureFixedSeed?: string;
}

function shareFileName(index: number, shares: number, generation: number): string {
  return `share-g${generation}-${index}-of-${shares}.txt`;
}

export function shareFileText(
  code: string,
  index: number,
  shares: number,
  threshold: number,
  authorityId: string,
  generation: number,
): string {
  return (
    `# predist KEK share ${index} of ${shares} (threshold ${threshold}), authority ` +
    `${authorityId}, generation ${generation}\n` +
    `# Keep it secret and apart from the other shares. Any ${threshold} shares unseal the pool.\n` +
    `${code}\n`
  );
}

/** Writes the share files (0600, refusing to overwrite); returns their paths. */
function writeShareFiles(
  dir: string,
  codes: string[],
  threshold: number,
  authorityId: string,
  generation: number,
): string[] {
  mkdirSync(dir, { recursive: true, mode: SHARE_DIR_MODE });
  const written: string[] = [];
  try {
    codes.forEach((code, i) => {
      const path = join(dir, shareFileName(i + 1, codes.length, generation));
      const text = shareFileText(code, i + 1, codes.length, threshold, authorityId, generation);
      writeFileSync(path, text, { mode: SHARE_FILE_MODE, flag: "wx" });
      written.push(path);
    });
  } catch (error) {
    for (const path of written) rmSync(path, { force: true });
    const code = (error as { code?: string }).code;
    throw new CliError(
      EXIT.INVALID_INPUT,
      `cannot write share files into ${dir} (${code ?? (error as Error).message})`,
      code === "EEXIST"
        ? "the folder already holds share files of that name: choose an empty --share-dir"
        : "choose a writable --share-dir",
    );
  }
  return written;
}

function checkCountsOption(shares: number, threshold: number): void {
  if (threshold > shares) {
    throw new CliError(
      EXIT.USAGE,
      `--threshold ${threshold} is larger than --shares ${shares}`,
      `choose ${MIN_THRESHOLD} <= threshold <= shares <= ${MAX_SHARES}`,
    );
  }
}

async function runInit(options: InitOptions): Promise<void> {
  checkCountsOption(options.shares, options.threshold);
  const params = initParamsFrom(options);
  if (existsSync(options.db)) {
    await withStore(options, async (store) => {
      const existing = await store.getAuthority();
      if (existing) {
        throw new CliError(
          EXIT.STORE,
          `store ${options.db} already holds authority ${existing.authorityId}`,
          "one store holds one authority: give a new --db for a new authority",
        );
      }
    });
  }
  const master =
    options.insecureFixedSeed !== undefined
      ? new Uint8Array(
          createHash("sha256")
            .update(INSECURE_SEED_DOMAIN + options.insecureFixedSeed)
            .digest(),
        )
      : new Uint8Array(randomBytes(MASTER_LEN));
  const authorityId = Buffer.from(randomBytes(AUTHORITY_ID_LEN)).toString("hex");
  // The authority checks the parameters once more and gives the public μTESLA commitment K_0,
  // kept with the parameters so `export` needs no unseal for the base station's public part.
  const authority = createAuthority({ ...(params as unknown as SchemeParams), master });
  (params.anchor as Record<string, unknown>).commitment = hex(authority.anchor.commitment);
  authority.destroy();
  if (options.insecureFixedSeed !== undefined) params.insecure = true;
  // The parameters are final here: the seal's AAD binds their digest.
  const { shares, threshold } = options;
  const { seal, codes, kek } = newCustody(master, authorityId, 1, shares, threshold, params);
  wipe(kek, master);

  // Share files first: if the store then fails, they are removed and nothing is half-made; the
  // other order could commit a sealed master whose shares were never written.
  const files = options.shareDir
    ? writeShareFiles(options.shareDir, codes, options.threshold, authorityId, 1)
    : [];
  try {
    await withStore(
      options,
      async (store) => {
        await store.createAuthority(
          { authorityId, params, createdAt: new Date().toISOString() },
          seal,
        );
        if (files.length > 0) {
          await store.journal("shares-written", {
            detail: {
              folder: resolve(options.shareDir as string),
              count: files.length,
              generation: 1,
            },
          });
        }
      },
      true,
    );
  } catch (error) {
    for (const path of files) rmSync(path, { force: true });
    throw error;
  }

  if (options.json) {
    printJson({
      db: options.db,
      authorityId,
      params,
      shares: options.shares,
      threshold: options.threshold,
      generation: 1,
      shareFiles: files.length > 0 ? files : undefined,
      shareCodes: files.length > 0 ? undefined : codes,
    });
    return;
  }
  out(`${paint.ok("created")} store ${options.db} with authority ${authorityId}`);
  out(`scheme ${JSON.stringify(params)}`);
  if (options.insecureFixedSeed !== undefined) {
    out(paint.bad("INSECURE: the master comes from a fixed seed; every key is predictable."));
  }
  if (files.length > 0) {
    out(`${options.shares} shares written (mode 0600), ${options.threshold} unseal the pool:`);
    for (const path of files) out(`  ${path}`);
    out("Hand each file to its custodian and delete it from this machine.");
  } else {
    out(`${options.shares} shares, ${options.threshold} unseal the pool. They are shown ONCE:`);
    codes.forEach((code, i) => out(`  share ${i + 1}: ${code}`));
  }
}

// ---- unseal / seal ---------------------------------------------------------------------------

interface UnsealOptions extends DbOptions {
  share?: string[];
  session?: boolean;
  ttl: number;
}

async function runUnseal(options: UnsealOptions): Promise<void> {
  await withStore(options, async (store) => {
    const { record, seal } = await requireAuthority(store);
    const sources = { ...kekOptions(options, !options.json), ignoreSession: true };
    const kek = await obtainKek(store, sources);
    try {
      wipe(openMaster(seal, kek, record.authorityId, record.params));
      let session: { path: string; expiresAt: string } | undefined;
      if (options.session) {
        session = writeSession(options.db, record.authorityId, seal.generation, kek, options.ttl);
      }
      await store.journal("unsealed", {
        detail: { generation: seal.generation, sessionUntil: session?.expiresAt ?? null },
      });
      if (options.json) {
        printJson({ unsealed: true, generation: seal.generation, session: session ?? null });
      } else if (session) {
        out(`${paint.ok("unsealed")}: session ${session.path} until ${session.expiresAt}`);
        out("Run `predist seal` when done.");
      } else {
        out(`${paint.ok("unsealed")}: the shares open the master. Nothing was kept; add --session`);
        out("to keep the KEK for later commands.");
      }
    } finally {
      wipe(kek);
    }
  });
}

async function runSeal(options: DbOptions): Promise<void> {
  const removed = removeSession(options.db);
  if (removed && existsSync(options.db)) {
    await withStore(options, (store) => store.journal("session-closed"));
  }
  if (options.json) printJson({ sealed: true, sessionRemoved: removed });
  else out(removed ? `${paint.ok("sealed")}: session removed` : "sealed: there was no session");
}

// ---- shares verify / rotate ------------------------------------------------------------------

async function runSharesVerify(options: DbOptions & { share?: string[] }): Promise<void> {
  await withStore(options, async (store) => {
    const { record, seal } = await requireAuthority(store);
    const files = options.share ?? [];
    if (files.length === 0) {
      throw new CliError(
        EXIT.USAGE,
        "no shares given to verify",
        `give every share with --share FILE (repeatable); this split has ${seal.shares}`,
      );
    }
    const verdicts = verifyShares(files.map(readShareFile), record.authorityId, seal);
    const seen = new Set(verdicts.filter((v) => v.valid).map((v) => v.index));
    const missing = Array.from({ length: seal.shares }, (_, i) => i + 1).filter(
      (i) => !seen.has(i),
    );
    const allValid = verdicts.every((v) => v.valid);
    await store.journal("shares-verified", {
      detail: {
        generation: seal.generation,
        valid: verdicts.filter((v) => v.valid).map((v) => v.index),
        invalid: verdicts.filter((v) => !v.valid).map((v) => v.source),
        missing,
      },
    });
    if (options.json) {
      printJson({
        generation: seal.generation,
        threshold: seal.threshold,
        shares: seal.shares,
        verdicts,
        missing,
        ok: allValid,
      });
    } else {
      for (const v of verdicts) {
        const label = v.valid ? paint.ok("valid  ") : paint.bad("INVALID");
        const reason = v.reason ? `\n          ${v.reason}` : "";
        out(`${label} index ${v.index || "?"}  ${v.source}${reason}`);
      }
      if (missing.length > 0) out(`not presented or not valid: index ${missing.join(", ")}`);
    }
    if (!allValid) {
      throw new CliError(
        EXIT.INTEGRITY,
        `${verdicts.filter((v) => !v.valid).length} of ${verdicts.length} shares are invalid`,
        "re-copy each invalid share from its paper, or rotate the shares with the valid ones",
      );
    }
  });
}

interface RotateOptions extends DbOptions {
  share?: string[];
  shares?: number;
  threshold?: number;
  shareDir?: string;
}

async function runSharesRotate(options: RotateOptions): Promise<void> {
  await withStore(options, async (store) => {
    const { record, seal } = await requireAuthority(store);
    const shares = options.shares ?? seal.shares;
    const threshold = options.threshold ?? seal.threshold;
    checkCountsOption(shares, threshold);
    const master = await obtainMaster(store, kekOptions(options, !options.json));
    const generation = seal.generation + 1;
    const next = newCustody(
      master,
      record.authorityId,
      generation,
      shares,
      threshold,
      record.params,
    );
    wipe(master, next.kek);
    const files = options.shareDir
      ? writeShareFiles(options.shareDir, next.codes, threshold, record.authorityId, generation)
      : [];
    try {
      await store.replaceSeal(next.seal, seal.generation);
    } catch (error) {
      for (const path of files) rmSync(path, { force: true });
      throw error;
    }
    if (files.length > 0) {
      await store.journal("shares-written", {
        detail: { folder: resolve(options.shareDir as string), count: files.length, generation },
      });
    }
    removeSession(options.db);
    if (options.json) {
      printJson({
        generation,
        shares,
        threshold,
        shareFiles: files.length ? files : undefined,
        shareCodes: files.length ? undefined : next.codes,
      });
      return;
    }
    out(
      `${paint.ok("rotated")}: generation ${generation}, ${threshold} of ${shares}. ` +
        "The old shares no longer unseal this store.",
    );
    if (files.length > 0) for (const path of files) out(`  ${path}`);
    else next.codes.forEach((code, i) => out(`  share ${i + 1}: ${code}`));
  });
}

// ---- nodes / log -----------------------------------------------------------------------------

async function runNodes(options: DbOptions & { state?: NodeState; limit: number }): Promise<void> {
  await withStore(options, async (store) => {
    const nodes = await store.listNodes({ state: options.state, limit: options.limit });
    if (options.json) {
      printJson({ counts: await store.countNodes(), nodes });
      return;
    }
    const counts = await store.countNodes();
    out(NODE_STATES.map((s) => `${s} ${counts[s]}`).join(", "));
    for (const n of nodes) {
      out(
        `${String(n.nodeId).padStart(8)}  ${n.state.padEnd(8)}  ${n.station}  ` +
          `${n.port ?? "-"}  ${n.imageDigest ?? "-"}${n.reason ? `  (${n.reason})` : ""}`,
      );
    }
  });
}

interface LogOptions extends DbOptions {
  verify?: boolean;
  anchor?: string;
  from: number;
  limit: number;
  node?: number;
}

async function runLog(options: LogOptions): Promise<void> {
  await withStore(options, async (store) => {
    if (options.verify) {
      const verdict = await store.verifyJournal();
      if (!verdict.ok) {
        if (options.json) printJson(verdict);
        throw new CliError(
          EXIT.INTEGRITY,
          `journal broken at record #${verdict.broken?.seq}: ${verdict.broken?.reason}`,
          `records #1..#${verdict.checked} are intact; restore the store from a backup and ` +
            "compare the records from there",
        );
      }
      if (options.anchor) await checkAnchor(store, options.anchor);
      const anchor = `${verdict.checked}:${verdict.head}`;
      if (options.json) printJson({ ...verdict, anchor, anchorChecked: options.anchor ?? null });
      else {
        out(
          `${paint.ok("journal verified")}: ${verdict.checked} records` +
            `${options.anchor ? `, anchor ${options.anchor.split(":")[0]} matches` : ""}`,
        );
        out(`anchor ${anchor}  (keep it outside the store; check later with --anchor)`);
      }
      return;
    }
    const records = await store.readJournal({
      fromSeq: options.from,
      limit: options.limit,
      nodeId: options.node,
    });
    if (options.json) {
      printJson(records.map((r) => ({ ...r, detail: parseDetail(r.detail), hash: hex(r.hash) })));
      return;
    }
    for (const r of records) {
      out(
        `#${r.seq}  ${paint.dim(r.at)}  ${r.station}  ${r.event}` +
          `${r.nodeId === null ? "" : `  node ${r.nodeId}`}  ${r.detail === "{}" ? "" : r.detail}`,
      );
    }
  });
}

/**
 * Checks an anchor "SEQ:HASH" written down from an earlier `log --verify`: record SEQ must still
 * carry that hash. The chain being intact, every record up to SEQ is then as it was.
 */
async function checkAnchor(store: Store, anchor: string): Promise<void> {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(anchor);
  if (!match) {
    throw new CliError(
      EXIT.USAGE,
      `--anchor ${JSON.stringify(anchor.slice(0, 90))} is not SEQ:HASH`,
      "give the anchor `predist log --verify` printed, e.g. 1200:3f5a...(64 hex digits)",
    );
  }
  const seq = Number(match[1]);
  const [record] = await store.readJournal({ fromSeq: seq, limit: 1 });
  if (!record || record.seq !== seq) {
    throw new CliError(
      EXIT.INTEGRITY,
      `the anchored record #${seq} is not in the journal: records were removed`,
      "restore the store from a backup taken after the anchor was written down",
    );
  }
  if (!constantTimeEqual(record.hash, Uint8Array.from(Buffer.from(match[2], "hex")))) {
    throw new CliError(
      EXIT.INTEGRITY,
      `record #${seq} no longer has the anchored hash: the journal was rewritten up to it`,
      "the chain is consistent but not the one anchored; restore the store from a backup",
    );
  }
}

/** A stored detail as JSON; an edited one that no longer parses is shown as its text. */
function parseDetail(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

// ---- revoke / report / export ----------------------------------------------------------------

interface FieldOptions extends DbOptions {
  node?: number[];
  share?: string[];
}

function nodeIdOption(value: string, previous: number[] = []): number[] {
  return [...previous, intOption(1, 0xfffffffe)(value)];
}

function requireNodes(options: FieldOptions): number[] {
  const ids = [...new Set(options.node ?? [])];
  if (ids.length === 0) {
    throw new CliError(EXIT.USAGE, "no node given", "name each node with --node ID (repeatable)");
  }
  return ids;
}

async function requireRegistered(store: Store, ids: number[]): Promise<NodeRecord[]> {
  const records: NodeRecord[] = [];
  for (const id of ids) {
    const node = await store.getNode(id);
    if (!node) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `node ${id} is not in the registry of ${store.location}`,
        "list the registry with `predist nodes`",
      );
    }
    records.push(node);
  }
  return records;
}

function printExposure(e: Exposure): void {
  out(
    `scheme ${e.scheme}; captured node${e.captured.length > 1 ? "s" : ""} ` +
      `${e.captured.join(", ")}`,
  );
  if (e.heldNothing.length > 0) {
    out(`never flashed, so holding no keys: ${e.heldNothing.join(", ")}`);
  }
  if (e.polynomials) {
    for (const p of e.polynomials) {
      out(
        `  polynomial ${p.id}: held by ${p.capturedHolders} captured node(s), degree ` +
          `${p.degree}: ${p.broken ? paint.bad("BROKEN") : "still secret"}`,
      );
    }
  }
  if (e.scheme === "eg" || e.scheme === "qcomposite" || e.scheme === "polypool") {
    out(`exposed key IDs (${e.exposedKeyIds.length}): ${e.exposedKeyIds.join(" ") || "none"}`);
    out(`live nodes holding exposed keys: ${e.sharingNodes.length}`);
    for (const n of e.sharingNodes.slice(0, 20)) out(`  node ${n.nodeId}: ${n.keyIds.join(" ")}`);
    if (e.sharingNodes.length > 20) out(`  ... ${e.sharingNodes.length - 20} more (--json)`);
  } else {
    out(
      `pair keys exposed: the captured nodes' own links with ${e.capturedPartners.length} ` +
        "partner(s)",
    );
  }
  out(
    `key-sharing pairs that must re-key: ${e.linksToRekey}${e.truncated ? "+" : ""}; ` +
      `of them exposed to the attacker: ${e.linksExposed}${e.truncated ? "+" : ""}`,
  );
  for (const p of e.pairs.slice(0, 20)) {
    out(`  ${p.a} - ${p.b}  keys ${p.keyIds.join(" ")}${p.exposed ? paint.bad("  exposed") : ""}`);
  }
  if (e.linksToRekey > 20) out(`  ... (--json lists up to ${e.pairs.length})`);
}

async function runReport(options: FieldOptions): Promise<void> {
  await withStore(options, async (store) => {
    const ids = requireNodes(options);
    await requireRegistered(store, ids);
    const { authority } = await openAuthority(store, kekOptions(options, !options.json));
    try {
      const exposure = analyseCapture(authority, await store.listNodes(), ids);
      await store.journal("capture-report", {
        detail: {
          nodes: ids,
          exposedKeys: exposure.exposedKeyIds.length,
          linksToRekey: exposure.linksToRekey,
        },
      });
      if (options.json) printJson(exposure);
      else printExposure(exposure);
    } finally {
      authority.destroy();
    }
  });
}

interface RevokeOptions extends FieldOptions {
  reason: string;
  out?: string;
}

async function runRevoke(options: RevokeOptions): Promise<void> {
  await withStore(options, async (store) => {
    const ids = requireNodes(options);
    for (const node of await requireRegistered(store, ids)) {
      if (node.state === "revoked" || node.state === "retired") {
        throw new CliError(
          EXIT.INVALID_INPUT,
          `node ${node.nodeId} is already ${node.state}`,
          "name only live nodes; `predist nodes --state revoked` lists the revoked ones",
        );
      }
    }
    const { record } = await requireAuthority(store);
    const interval = await nextRevocationInterval(store, record);
    const { authority } = await openAuthority(store, kekOptions(options, !options.json));
    let built: Awaited<ReturnType<typeof buildRevocation>>;
    try {
      built = await buildRevocation(store, authority, record, ids, interval);
    } finally {
      authority.destroy();
    }
    const { document, exposure, frames } = built;
    const path = options.out ?? `revocation-${interval}.json`;
    try {
      writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`, {
        mode: SHARE_FILE_MODE,
        flag: "wx",
      });
    } catch (error) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `cannot write the revocation to ${path} (${(error as { code?: string }).code})`,
        "give a new file name with --out",
      );
    }
    try {
      await store.revokeNodes(ids, options.reason, {
        interval,
        revokedKeys: exposure.revokedKeyIds.length,
        broadcast: resolve(path),
      });
    } catch (error) {
      rmSync(path, { force: true });
      throw error;
    }
    if (options.json) {
      printJson({ ...document, disclose: undefined, file: path, frames });
      return;
    }
    out(
      `${paint.ok("revoked")} node${ids.length > 1 ? "s" : ""} ${ids.join(", ")} ` +
        `(interval ${interval}); ${exposure.revokedKeyIds.length} key IDs revoked`,
    );
    out(`broadcast written to ${path}: ${frames} REVOKE frame(s), then DISCLOSE`);
    out(`${exposure.linksToRekey} key-sharing pair(s) must re-key`);
  });
}

interface ExportOptions extends DbOptions {
  out: string;
  share?: string[];
  withSecrets?: boolean;
  passphraseFile?: string;
  keyFromKek?: boolean;
}

async function runExport(options: ExportOptions): Promise<void> {
  if (options.withSecrets && !options.passphraseFile === !options.keyFromKek) {
    throw new CliError(
      EXIT.USAGE,
      "--with-secrets needs exactly one of --passphrase-file FILE or --key-from-kek",
      "the secrets are written only encrypted: choose how",
    );
  }
  await withStore(options, async (store) => {
    const { record } = await requireAuthority(store);
    mkdirSync(options.out, { recursive: true, mode: SHARE_DIR_MODE });
    const nodes = await store.listNodes();
    const verdict = await store.verifyJournal();
    const base = {
      format: "predist-base-station-v1",
      authorityId: record.authorityId,
      params: record.params,
      nodes: nodes.length,
      journalHead: verdict.head,
      journalRecords: verdict.checked,
      exportedAt: new Date().toISOString(),
    };
    const basePath = join(options.out, "base-station.json");
    const manifestPath = join(options.out, "nodes.ndjson");
    writeFileSync(basePath, `${JSON.stringify(base, null, 2)}\n`);
    writeFileSync(manifestPath, nodes.map((n) => `${JSON.stringify(n)}\n`).join(""));
    let secretsPath: string | undefined;
    if (options.withSecrets) {
      secretsPath = join(options.out, "secrets.enc.json");
      const envelope = await exportSecrets(store, {
        kek: kekOptions(options, !options.json),
        passphraseFile: options.passphraseFile,
        nodes,
      });
      writeFileSync(secretsPath, `${JSON.stringify(envelope, null, 2)}\n`, {
        mode: SHARE_FILE_MODE,
      });
    }
    await store.journal("export", {
      detail: {
        folder: resolve(options.out),
        nodes: nodes.length,
        secrets: secretsPath !== undefined,
      },
    });
    if (options.json) {
      printJson({
        baseStation: basePath,
        manifest: manifestPath,
        secrets: secretsPath ?? null,
        nodes: nodes.length,
      });
      return;
    }
    out(`${paint.ok("exported")} ${nodes.length} nodes to ${options.out}:`);
    out(`  ${basePath}\n  ${manifestPath}${secretsPath ? `\n  ${secretsPath} (encrypted)` : ""}`);
  });
}

// ---- registration ----------------------------------------------------------------------------

export function registerStoreCommands(program: Command): void {
  const count = intOption(1, MAX_SHARES);

  addInitSchemeOptions(
    addDbOptions(
      program
        .command("init")
        .helpGroup(GROUP.operate)
        .description(
          "Create the store and the key authority: a fresh master secret sealed under a KEK " +
            "that is split into --shares Shamir shares, any --threshold of which unseal it.",
        ),
    ),
  )
    .option(
      "--shares <n>",
      "number of KEK shares N (2-255)",
      intOption(2, MAX_SHARES),
      DEFAULT_SHARES,
    )
    .option(
      "--threshold <m>",
      "shares needed to unseal M (2-N)",
      intOption(2, MAX_SHARES),
      DEFAULT_THRESHOLD,
    )
    .option(
      "--share-dir <dir>",
      "write each share to its own file (mode 0600) instead of " +
        "printing them (default: print once)",
    )
    .option(
      "--insecure-fixed-seed <text>",
      "INSECURE, tests and demos only: derive the master " +
        "from this text (default: random master)",
    )
    .addHelpText(
      "after",
      examples(
        "predist init --shares 5 --threshold 3 --share-dir ./shares",
        "predist init --db line2.db --scheme qcomposite --pool 20000 --ring 100 --q 2 --json",
      ),
    )
    .action((options: InitOptions) => runInit(options));

  addDbOptions(
    program
      .command("unseal")
      .helpGroup(GROUP.operate)
      .description(
        "Check that M shares open the sealed master; with --session keep the KEK for later " +
          "commands in a file encrypted to this machine, until --ttl runs out.",
      ),
  )
    .option("--share <file>", "a share file (repeatable; default: hidden prompt on a TTY)", collect)
    .option("--session", "keep the KEK in an encrypted session file (default: nothing kept)")
    .option(
      "--ttl <duration>",
      "session lifetime, e.g. 90s, 15m, 2h (default: 15m, at most 24h)",
      durationOption,
      DEFAULT_TTL_MS,
    )
    .addHelpText(
      "after",
      examples(
        "predist unseal --share a.txt --share b.txt --share c.txt",
        "predist unseal --session --ttl 2h      # prompts for each share, hidden",
      ),
    )
    .action((options: UnsealOptions) => runUnseal(options));

  addDbOptions(
    program
      .command("seal")
      .helpGroup(GROUP.operate)
      .description("End the unseal session: overwrite and delete the session file."),
  )
    .addHelpText("after", examples("predist seal", "predist seal --db line2.db --json"))
    .action((options: DbOptions) => runSeal(options));

  const shares = program
    .command("shares")
    .helpGroup(GROUP.operate)
    .description("Check or replace the custodians' KEK shares.");
  addDbOptions(
    shares
      .command("verify")
      .description(
        "Check every share in one ceremony: each is reported valid or invalid by index " +
          "(checksum, authority, generation, and that it lies on the KEK's polynomials).",
      ),
  )
    .option(
      "--share <file>",
      "a share file (repeatable; give all of them; default: none, required)",
      collect,
    )
    .addHelpText(
      "after",
      examples(
        "predist shares verify --share s1.txt --share s2.txt --share s3.txt --share s4.txt",
        "predist shares verify --share shares/share-g1-1-of-5.txt --json",
      ),
    )
    .action((options: DbOptions & { share?: string[] }) => runSharesVerify(options));
  addDbOptions(
    shares
      .command("rotate")
      .description(
        "Make a new KEK and new shares for the same master: the old shares stop working.",
      ),
  )
    .option(
      "--share <file>",
      "a current share file (repeatable; default: session or prompt)",
      collect,
    )
    .option("--shares <n>", "number of new shares (default: as now)", count)
    .option("--threshold <m>", "new threshold (default: as now)", intOption(2, MAX_SHARES))
    .option("--share-dir <dir>", "write the new shares to files (default: print once)")
    .addHelpText(
      "after",
      examples(
        "predist shares rotate --share a.txt --share b.txt --share c.txt --share-dir ./new",
        "predist shares rotate --shares 7 --threshold 4      # uses the session",
      ),
    )
    .action((options: RotateOptions) => runSharesRotate(options));

  addDbOptions(
    program
      .command("nodes")
      .helpGroup(GROUP.inspect)
      .description("List the node registry: ID, state, station, port, image digest."),
  )
    .addOption(
      new Option("--state <state>", "only nodes in this state (default: all)").choices([
        ...NODE_STATES,
      ]),
    )
    .option("--limit <n>", "most nodes listed", intOption(1, 1_000_000), 1_000_000)
    .addHelpText("after", examples("predist nodes --state flashed", "predist nodes --json"))
    .action((options: DbOptions & { state?: NodeState; limit: number }) => runNodes(options));

  addDbOptions(
    program
      .command("log")
      .helpGroup(GROUP.inspect)
      .description(
        "Show the journal, or with --verify check its hash chain and name the first broken record.",
      ),
  )
    .option("--verify", "check the chain instead of printing records", false)
    .option(
      "--anchor <seq:hash>",
      "with --verify: an anchor printed earlier, which record SEQ " +
        "must still match (default: none)",
    )
    .option("--from <seq>", "first record shown", intOption(1, Number.MAX_SAFE_INTEGER), 1)
    .option("--limit <n>", "most records shown", intOption(1, DEFAULT_LOG_LIMIT), DEFAULT_LOG_LIMIT)
    .option(
      "--node <id>",
      "only records of this node (default: all)",
      intOption(1, Number.MAX_SAFE_INTEGER),
    )
    .addHelpText(
      "after",
      examples(
        "predist log --node 17",
        "predist log --verify --anchor 1200:3f5a...  # the anchor printed by an earlier --verify",
      ),
    )
    .action((options: LogOptions) => runLog(options));

  addDbOptions(
    program
      .command("report")
      .helpGroup(GROUP.inspect)
      .description(
        "Tell what captured nodes expose: their pool keys (or polynomials, pair keys), the live " +
          "nodes sharing them, and the key-sharing pairs that must re-key. Needs the master.",
      ),
  )
    .option("--node <id>", "a captured node ID (repeatable; required)", nodeIdOption)
    .option("--share <file>", "a share file (repeatable; default: session or prompt)", collect)
    .addHelpText(
      "after",
      examples(
        "predist report --node 17",
        "predist report --node 17 --node 40 --share a.txt --share b.txt --share c.txt --json",
      ),
    )
    .action((options: FieldOptions) => runReport(options));

  addDbOptions(
    program
      .command("revoke")
      .helpGroup(GROUP.operate)
      .description(
        "Revoke captured nodes: mark them, compute the revoked key IDs and the pairs that must " +
          "re-key, and write the μTESLA-authenticated REVOKE broadcast (then DISCLOSE) to a file.",
      ),
  )
    .option("--node <id>", "a node ID to revoke (repeatable; required)", nodeIdOption)
    .option("--reason <text>", "why, for the journal", "captured")
    .option("--out <file>", "broadcast file, mode 0600 (default: revocation-<interval>.json)")
    .option("--share <file>", "a share file (repeatable; default: session or prompt)", collect)
    .addHelpText(
      "after",
      examples(
        'predist revoke --node 17 --reason "found opened in the field"',
        "predist revoke --node 17 --node 40 --out rev.json --json",
      ),
    )
    .action((options: RevokeOptions) => runRevoke(options));

  addDbOptions(
    program
      .command("export")
      .helpGroup(GROUP.operate)
      .description(
        "Write the base station's public material and an NDJSON manifest of the nodes; with " +
          "--with-secrets also node keys and the μTESLA chain, encrypted.",
      ),
  )
    .requiredOption("--out <dir>", "folder to write into (created 0700)")
    .option("--with-secrets", "also write secrets.enc.json (default: no secrets)", false)
    .option(
      "--passphrase-file <file>",
      "encrypt the secrets under this passphrase (scrypt) (default: none)",
    )
    .option("--key-from-kek", "encrypt the secrets under a key derived from the KEK", false)
    .option("--share <file>", "a share file (repeatable; default: session or prompt)", collect)
    .addHelpText(
      "after",
      examples(
        "predist export --out ./base",
        "predist export --out ./base --with-secrets --passphrase-file pass.txt --json",
      ),
    )
    .action((options: ExportOptions) => runExport(options));
}
