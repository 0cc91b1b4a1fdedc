// The Store on one SQLite file through better-sqlite3 12: WAL mode, synchronous=FULL (a committed
// node ID survives a power cut, so it is never handed out twice), a busy timeout so two stations
// on one file queue instead of failing, and numbered schema migrations in PRAGMA user_version.
//
// Every write is one BEGIN IMMEDIATE transaction holding the state change and its journal record:
// the write lock is taken before the next node ID and the journal head are read, so two processes
// can never read the same ones. Node IDs come from a counter in `meta`, never from MAX(node_id),
// so an ID stays spent even if its row were deleted. docs/store.md describes the schema.

import { existsSync } from "node:fs";
import { hostname } from "node:os";
import Database from "better-sqlite3";
import { CliError } from "../errors.js";
import { StoreError } from "./errors.js";
import { ChainChecker, GENESIS_HASH, chainHash, prepareEntry, toHex } from "./journal.js";
import type {
  AllocateOptions,
  AuthorityRecord,
  FlashedOptions,
  JournalQuery,
  JournalRecord,
  JournalVerdict,
  NodeQuery,
  NodeRecord,
  NodeState,
  SealRecord,
  Store,
} from "./types.js";
import { NODE_STATES } from "./types.js";

export const DEFAULT_DB = "predist.db";
/** How long a write waits for another station's transaction before failing with STORE. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
export const FIRST_NODE_ID = 1;
/** Largest node ID unless the authority sets a smaller one (32-bit, 0xFFFFFFFF kept back). */
export const DEFAULT_LAST_NODE_ID = 0xffff_fffe;
export const MAX_BATCH = 100_000;
export const MAX_LIST = 1_000_000;
export const MAX_TEXT_CHARS = 256;
const STORE_FORMAT = "predist-store";
const MASTER_PURPOSE = "pool-master";

/** Each migration moves the schema from version (index) to version (index + 1). */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
   CREATE TABLE authority (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     authority_id TEXT NOT NULL,
     params TEXT NOT NULL,
     created_at TEXT NOT NULL);
   CREATE TABLE seal (
     purpose TEXT PRIMARY KEY,
     generation INTEGER NOT NULL,
     shares INTEGER NOT NULL,
     threshold INTEGER NOT NULL,
     kek_digest BLOB NOT NULL,
     nonce BLOB NOT NULL,
     sealed BLOB NOT NULL,
     sealed_at TEXT NOT NULL);
   CREATE TABLE nodes (
     node_id INTEGER PRIMARY KEY,
     state TEXT NOT NULL CHECK (state IN
       ('planned','flashed','verified','deployed','revoked','retired')),
     station TEXT NOT NULL,
     scheme TEXT, serial TEXT, port TEXT, image_digest TEXT,
     planned_at TEXT NOT NULL, flashed_at TEXT, verified_at TEXT, deployed_at TEXT,
     revoked_at TEXT, retired_at TEXT, reason TEXT);
   CREATE INDEX nodes_state ON nodes (state, node_id);
   CREATE TABLE journal (
     seq INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     station TEXT NOT NULL,
     event TEXT NOT NULL,
     node_id INTEGER,
     detail TEXT NOT NULL,
     hash BLOB NOT NULL);
   CREATE INDEX journal_node ON journal (node_id, seq);`,
];
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface SqliteStoreOptions {
  path?: string;
  /** Create the file and schema when missing (only `predist init` and tests do). */
  create?: boolean;
  station?: string;
  busyTimeoutMs?: number;
  readonly?: boolean;
}

interface NodeRow {
  node_id: number;
  state: NodeState;
  station: string;
  scheme: string | null;
  serial: string | null;
  port: string | null;
  image_digest: string | null;
  planned_at: string;
  flashed_at: string | null;
  verified_at: string | null;
  deployed_at: string | null;
  revoked_at: string | null;
  retired_at: string | null;
  reason: string | null;
}

interface JournalRow {
  seq: number;
  at: string;
  station: string;
  event: string;
  node_id: number | null;
  detail: string;
  hash: Buffer;
}

function toNode(row: NodeRow): NodeRecord {
  return {
    nodeId: row.node_id,
    state: row.state,
    station: row.station,
    scheme: row.scheme,
    serial: row.serial,
    port: row.port,
    imageDigest: row.image_digest,
    plannedAt: row.planned_at,
    flashedAt: row.flashed_at,
    verifiedAt: row.verified_at,
    deployedAt: row.deployed_at,
    revokedAt: row.revoked_at,
    retiredAt: row.retired_at,
    reason: row.reason,
  };
}

function toJournal(row: JournalRow): JournalRecord {
  return {
    seq: row.seq,
    at: row.at,
    station: row.station,
    event: row.event,
    nodeId: row.node_id,
    detail: row.detail,
    hash: new Uint8Array(row.hash),
  };
}

function checkText(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_TEXT_CHARS) {
    throw new StoreError(
      "INVALID_INPUT",
      `${name} ${JSON.stringify(String(value).slice(0, 40))} is not valid`,
      `give a non-empty ${name} of at most ${MAX_TEXT_CHARS} characters`,
    );
  }
  return value;
}

function checkNodeId(nodeId: number): number {
  if (!Number.isSafeInteger(nodeId) || nodeId < 1) {
    throw new StoreError(
      "INVALID_INPUT",
      `node ID ${nodeId} is not a positive integer`,
      "node IDs are whole numbers from 1; list them with `predist log --json`",
    );
  }
  return nodeId;
}

/** Translates SQLite's failures into STORE errors that name the file and what to do. */
function storeFailure(location: string, error: unknown): never {
  if (error instanceof CliError) throw error;
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message ?? String(error);
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    throw new StoreError(
      "STORE",
      `store ${location} is locked by another station`,
      "wait for the other run to finish, or raise the busy timeout",
    );
  }
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    throw new StoreError(
      "STORE",
      `${location} is not a readable predist store (${code})`,
      "check the --db path; restore the file from a backup if it was damaged",
    );
  }
  if (code === "SQLITE_READONLY" || code === "SQLITE_CANTOPEN" || code === "SQLITE_PERM") {
    throw new StoreError(
      "STORE",
      `store ${location} cannot be opened for writing (${code})`,
      "check the file and its folder are writable by this user",
    );
  }
  throw new StoreError("STORE", `store ${location}: ${message}`, "rerun with --debug for details");
}

export class SqliteStore implements Store {
  readonly location: string;
  readonly station: string;
  private readonly db: Database.Database;
  private readonly stmt;

  private constructor(db: Database.Database, location: string, station: string) {
    this.db = db;
    this.location = location;
    this.station = station;
    this.stmt = {
      meta: db.prepare<[string], { value: unknown }>("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      insertJournal: db.prepare(
        "INSERT INTO journal (seq, at, station, event, node_id, detail, hash) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      insertNode: db.prepare(
        "INSERT INTO nodes (node_id, state, station, scheme, serial, port, planned_at) " +
          "VALUES (?, 'planned', ?, ?, ?, ?, ?)",
      ),
      getNode: db.prepare<[number], NodeRow>("SELECT * FROM nodes WHERE node_id = ?"),
    };
  }

  /** Opens (or with `create`, creates) the store file and brings its schema up to date. */
  static open(options: SqliteStoreOptions = {}): SqliteStore {
    const path = options.path ?? DEFAULT_DB;
    const station = checkText("station", options.station ?? hostname()) as string;
    if (!options.create && !existsSync(path)) {
      throw new StoreError(
        "STORE",
        `no store at ${path}`,
        "create one with `predist init`, or point --db at an existing store",
      );
    }
    let db: Database.Database;
    try {
      db = new Database(path, {
        fileMustExist: !options.create,
        readonly: options.readonly ?? false,
        timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      });
    } catch (error) {
      storeFailure(path, error);
    }
    try {
      if (!options.readonly) db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      SqliteStore.migrate(db, path);
    } catch (error) {
      db.close();
      storeFailure(path, error);
    }
    return new SqliteStore(db, path, station);
  }

  private static migrate(db: Database.Database, path: string): void {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new StoreError(
        "STORE",
        `store ${path} has schema version ${current}; this predist knows up to ${SCHEMA_VERSION}`,
        "use the newer predist that wrote this store",
      );
    }
    if (current === 0) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
      if (tables.n > 0) {
        throw new StoreError(
          "STORE",
          `${path} is an SQLite file but not a predist store`,
          "point --db at a predist store, or at a new file name for `predist init`",
        );
      }
    }
    if (current === SCHEMA_VERSION) return;
    db.transaction(() => {
      for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
      if (current === 0) {
        const put = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
        put.run("format", STORE_FORMAT);
        put.run("next_node_id", FIRST_NODE_ID);
        put.run("last_node_id", DEFAULT_LAST_NODE_ID);
        put.run("journal_seq", 0);
        put.run("journal_head", Buffer.from(GENESIS_HASH));
      }
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  private meta<T>(key: string): T {
    return (this.stmt.meta.get(key) as { value: T } | undefined)?.value as T;
  }

  /**
   * Counters of the open write transaction: the journal head and the next node ID are read once
   * when the transaction starts (after BEGIN IMMEDIATE took the write lock) and written back once
   * before it commits, so a batch of 1,000 allocations does not re-read them 1,000 times.
   */
  private tx: { seq: number; head: Uint8Array; nextNodeId: number; lastNodeId: number } | null =
    null;

  /** Runs `fn` in one BEGIN IMMEDIATE transaction, translating SQLite failures. */
  private write<T>(fn: () => T): T {
    const body = (): T => {
      this.tx = {
        seq: Number(this.meta<number>("journal_seq")),
        head: new Uint8Array(this.meta<Buffer>("journal_head")),
        nextNodeId: Number(this.meta<number>("next_node_id")),
        lastNodeId: Number(this.meta<number>("last_node_id")),
      };
      const start = { seq: this.tx.seq, nextNodeId: this.tx.nextNodeId };
      const result = fn();
      if (this.tx.seq !== start.seq) {
        this.stmt.setMeta.run("journal_seq", this.tx.seq);
        this.stmt.setMeta.run("journal_head", Buffer.from(this.tx.head));
      }
      if (this.tx.nextNodeId !== start.nextNodeId) {
        this.stmt.setMeta.run("next_node_id", this.tx.nextNodeId);
      }
      return result;
    };
    try {
      return this.db.transaction(body).immediate();
    } catch (error) {
      storeFailure(this.location, error);
    } finally {
      this.tx = null;
    }
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      storeFailure(this.location, error);
    }
  }

  private inTx(): NonNullable<SqliteStore["tx"]> {
    if (!this.tx) throw new Error("store: a write outside its transaction (a bug)");
    return this.tx;
  }

  /** Appends one record; the caller is inside a write transaction. */
  private append(event: string, nodeId: number | null, detailText: string): JournalRecord {
    const tx = this.inTx();
    const record = {
      seq: tx.seq + 1,
      at: new Date().toISOString(),
      station: this.station,
      event,
      nodeId,
      detail: detailText,
    };
    const hash = chainHash(tx.head, record);
    this.stmt.insertJournal.run(
      record.seq,
      record.at,
      this.station,
      event,
      nodeId,
      detailText,
      Buffer.from(hash),
    );
    tx.seq = record.seq;
    tx.head = hash;
    return { ...record, hash };
  }

  private requireNode(nodeId: number): NodeRow {
    const row = this.stmt.getNode.get(checkNodeId(nodeId));
    if (!row) {
      throw new StoreError(
        "INVALID_INPUT",
        `node ${nodeId} is not in the registry of ${this.location}`,
        "list the registry with `predist nodes`",
      );
    }
    return row;
  }

  private transition(
    nodeId: number,
    from: readonly NodeState[],
    to: NodeState,
    set: Record<string, string | null>,
    event: string,
    detail: Record<string, unknown>,
  ): NodeRecord {
    const row = this.requireNode(nodeId);
    if (!from.includes(row.state)) {
      throw new StoreError(
        "INVALID_INPUT",
        `node ${nodeId} is ${row.state}; it cannot become ${to}`,
        `only a node that is ${from.join(" or ")} can become ${to}`,
      );
    }
    const columns = Object.keys(set);
    const sql =
      `UPDATE nodes SET state = ?${columns.map((c) => `, ${c} = ?`).join("")} ` +
      "WHERE node_id = ?";
    this.db.prepare(sql).run(to, ...columns.map((c) => set[c]), nodeId);
    this.append(event, nodeId, prepareEntry(event, { from: row.state, to, ...detail }));
    return toNode(this.stmt.getNode.get(nodeId) as NodeRow);
  }

  async schemaVersion(): Promise<number> {
    return this.read(() => this.db.pragma("user_version", { simple: true }) as number);
  }

  async createAuthority(authority: AuthorityRecord, seal: SealRecord): Promise<void> {
    this.write(() => {
      const existing = this.db.prepare("SELECT authority_id FROM authority").get() as
        { authority_id: string } | undefined;
      if (existing) {
        throw new StoreError(
          "STORE",
          `store ${this.location} already holds authority ${existing.authority_id}`,
          "one store holds one authority: choose a new --db for a new authority",
        );
      }
      this.db
        .prepare(
          "INSERT INTO authority (singleton, authority_id, params, created_at) " +
            "VALUES (1, ?, ?, ?)",
        )
        .run(authority.authorityId, JSON.stringify(authority.params), authority.createdAt);
      this.insertSeal(seal);
      const lastNodeId = authority.params.maxNodeId;
      if (typeof lastNodeId === "number" && Number.isSafeInteger(lastNodeId) && lastNodeId > 0) {
        this.stmt.setMeta.run("last_node_id", lastNodeId);
        this.inTx().lastNodeId = lastNodeId;
      }
      this.append(
        "init",
        null,
        prepareEntry("init", {
          authorityId: authority.authorityId,
          params: authority.params,
          shareCount: seal.shares,
          threshold: seal.threshold,
          generation: seal.generation,
        }),
      );
    });
  }

  private insertSeal(seal: SealRecord): void {
    this.db
      .prepare(
        "INSERT OR REPLACE INTO seal (purpose, generation, shares, threshold, kek_digest, nonce, " +
          "sealed, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        seal.purpose,
        seal.generation,
        seal.shares,
        seal.threshold,
        Buffer.from(seal.kekDigest),
        Buffer.from(seal.nonce),
        Buffer.from(seal.sealed),
        seal.sealedAt,
      );
  }

  async getAuthority(): Promise<AuthorityRecord | undefined> {
    return this.read(() => {
      const row = this.db.prepare("SELECT * FROM authority").get() as
        { authority_id: string; params: string; created_at: string } | undefined;
      if (!row) return undefined;
      return {
        authorityId: row.authority_id,
        params: JSON.parse(row.params) as Record<string, unknown>,
        createdAt: row.created_at,
      };
    });
  }

  async getSeal(purpose = MASTER_PURPOSE): Promise<SealRecord | undefined> {
    return this.read(() => {
      const row = this.db.prepare("SELECT * FROM seal WHERE purpose = ?").get(purpose) as
        | {
            purpose: string;
            generation: number;
            shares: number;
            threshold: number;
            kek_digest: Buffer;
            nonce: Buffer;
            sealed: Buffer;
            sealed_at: string;
          }
        | undefined;
      if (!row) return undefined;
      return {
        purpose: row.purpose,
        generation: row.generation,
        shares: row.shares,
        threshold: row.threshold,
        kekDigest: new Uint8Array(row.kek_digest),
        nonce: new Uint8Array(row.nonce),
        sealed: new Uint8Array(row.sealed),
        sealedAt: row.sealed_at,
      };
    });
  }

  async replaceSeal(seal: SealRecord, expectGeneration: number): Promise<void> {
    this.write(() => {
      const row = this.db
        .prepare("SELECT generation FROM seal WHERE purpose = ?")
        .get(seal.purpose) as { generation: number } | undefined;
      if (!row || row.generation !== expectGeneration) {
        throw new StoreError(
          "STORE",
          `the sealed master changed during the rotation (generation ${row?.generation} ` +
            `instead of ${expectGeneration})`,
          "another station rotated the shares: use the newest shares",
        );
      }
      this.insertSeal(seal);
      this.append(
        "rotate",
        null,
        prepareEntry("rotate", {
          generation: seal.generation,
          shareCount: seal.shares,
          threshold: seal.threshold,
        }),
      );
    });
  }

  private allocateOne(options: AllocateOptions, at: string): number {
    const tx = this.inTx();
    const nodeId = tx.nextNodeId;
    if (nodeId > tx.lastNodeId) {
      throw new StoreError(
        "STORE",
        `no node ID left in ${this.location}: the last one, ${tx.lastNodeId}, is spent`,
        "start a new authority and store for further nodes",
      );
    }
    tx.nextNodeId = nodeId + 1;
    this.stmt.insertNode.run(
      nodeId,
      this.station,
      options.scheme ?? null,
      options.serial ?? null,
      options.port ?? null,
      at,
    );
    this.append(
      "allocate",
      nodeId,
      prepareEntry("allocate", {
        scheme: options.scheme,
        serial: options.serial,
        port: options.port,
      }),
    );
    return nodeId;
  }

  private checkAllocate(options: AllocateOptions): void {
    checkText("scheme", options.scheme);
    checkText("serial", options.serial);
    checkText("port", options.port);
  }

  async allocateNode(options: AllocateOptions = {}): Promise<NodeRecord> {
    this.checkAllocate(options);
    return this.write(() => {
      const nodeId = this.allocateOne(options, new Date().toISOString());
      return toNode(this.stmt.getNode.get(nodeId) as NodeRow);
    });
  }

  async allocateNodes(
    count: number,
    options: AllocateOptions = {},
  ): Promise<{ first: number; last: number }> {
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_BATCH) {
      throw new StoreError(
        "INVALID_INPUT",
        `node count ${count} is out of range`,
        `allocate from 1 to ${MAX_BATCH} nodes per batch`,
      );
    }
    this.checkAllocate(options);
    return this.write(() => {
      const at = new Date().toISOString();
      const first = this.allocateOne(options, at);
      let last = first;
      for (let i = 1; i < count; i++) last = this.allocateOne(options, at);
      return { first, last };
    });
  }

  async markFlashed(nodeId: number, options: FlashedOptions): Promise<NodeRecord> {
    checkText("image digest", options.imageDigest);
    if (!/^[0-9a-f]+$/.test(options.imageDigest)) {
      throw new StoreError(
        "INVALID_INPUT",
        `image digest ${JSON.stringify(options.imageDigest.slice(0, 40))} is not lower-case hex`,
        "pass imageDigest() of host/image as hex",
      );
    }
    checkText("serial", options.serial);
    checkText("port", options.port);
    return this.write(() => {
      const before = this.requireNode(nodeId);
      const set: Record<string, string | null> = {
        image_digest: options.imageDigest,
        flashed_at: new Date().toISOString(),
      };
      if (options.serial !== undefined) set.serial = options.serial;
      if (options.port !== undefined) set.port = options.port;
      const event = before.state === "flashed" ? "reflashed" : "flashed";
      return this.transition(nodeId, ["planned", "flashed"], "flashed", set, event, {
        imageDigest: options.imageDigest,
        serial: options.serial,
        port: options.port,
      });
    });
  }

  async markVerified(nodeId: number): Promise<NodeRecord> {
    return this.write(() =>
      this.transition(
        nodeId,
        ["flashed"],
        "verified",
        { verified_at: new Date().toISOString() },
        "verified",
        {},
      ),
    );
  }

  async markDeployed(nodeId: number): Promise<NodeRecord> {
    return this.write(() =>
      this.transition(
        nodeId,
        ["verified"],
        "deployed",
        { deployed_at: new Date().toISOString() },
        "deployed",
        {},
      ),
    );
  }

  async revokeNodes(
    nodeIds: readonly number[],
    reason: string,
    detail: Record<string, unknown> = {},
  ): Promise<NodeRecord[]> {
    checkText("reason", reason);
    const unique = [...new Set(nodeIds.map(checkNodeId))];
    return this.write(() => {
      const at = new Date().toISOString();
      return unique.map((id) =>
        this.transition(
          id,
          ["planned", "flashed", "verified", "deployed"],
          "revoked",
          { revoked_at: at, reason },
          "revoked",
          { ...detail, reason },
        ),
      );
    });
  }

  async retireNode(nodeId: number, reason: string): Promise<NodeRecord> {
    checkText("reason", reason);
    return this.write(() =>
      this.transition(
        nodeId,
        ["planned", "flashed"],
        "retired",
        { retired_at: new Date().toISOString(), reason },
        "retired",
        { reason },
      ),
    );
  }

  async getNode(nodeId: number): Promise<NodeRecord | undefined> {
    checkNodeId(nodeId);
    return this.read(() => {
      const row = this.stmt.getNode.get(nodeId);
      return row ? toNode(row) : undefined;
    });
  }

  async listNodes(query: NodeQuery = {}): Promise<NodeRecord[]> {
    if (query.state !== undefined && !NODE_STATES.includes(query.state)) {
      throw new StoreError(
        "INVALID_INPUT",
        `node state ${JSON.stringify(query.state)} is not known`,
        `use one of ${NODE_STATES.join(", ")}`,
      );
    }
    const limit = Math.min(query.limit ?? MAX_LIST, MAX_LIST);
    return this.read(() => {
      const rows = this.db
        .prepare<[string | null, string | null, number, number], NodeRow>(
          "SELECT * FROM nodes WHERE (? IS NULL OR state = ?) AND node_id >= ? " +
            "ORDER BY node_id LIMIT ?",
        )
        .all(query.state ?? null, query.state ?? null, query.fromId ?? 0, limit);
      return rows.map(toNode);
    });
  }

  async countNodes(): Promise<Record<NodeState, number>> {
    return this.read(() => {
      const counts = Object.fromEntries(NODE_STATES.map((s) => [s, 0])) as Record<
        NodeState,
        number
      >;
      const rows = this.db
        .prepare("SELECT state, count(*) AS n FROM nodes GROUP BY state")
        .all() as { state: NodeState; n: number }[];
      for (const row of rows) counts[row.state] = row.n;
      return counts;
    });
  }

  async unfinished(station = this.station): Promise<NodeRecord[]> {
    return this.read(() =>
      (
        this.db
          .prepare(
            "SELECT * FROM nodes WHERE station = ? AND state IN ('planned', 'flashed') " +
              "ORDER BY node_id",
          )
          .all(station) as NodeRow[]
      ).map(toNode),
    );
  }

  async journal(
    event: string,
    entry: { nodeId?: number; detail?: Record<string, unknown> } = {},
  ): Promise<JournalRecord> {
    const text = prepareEntry(event, entry.detail);
    const nodeId = entry.nodeId === undefined ? null : checkNodeId(entry.nodeId);
    return this.write(() => this.append(event, nodeId, text));
  }

  async readJournal(query: JournalQuery = {}): Promise<JournalRecord[]> {
    const limit = Math.min(query.limit ?? MAX_LIST, MAX_LIST);
    const node = query.nodeId ?? null;
    const event = query.event ?? null;
    return this.read(() =>
      this.db
        .prepare<unknown[], JournalRow>(
          "SELECT * FROM journal WHERE (? IS NULL OR node_id = ?) AND (? IS NULL OR event = ?) " +
            "AND seq >= ? ORDER BY seq LIMIT ?",
        )
        .all(node, node, event, event, query.fromSeq ?? 1, limit)
        .map(toJournal),
    );
  }

  async verifyJournal(): Promise<JournalVerdict> {
    return this.read(() => {
      const checker = new ChainChecker();
      const rows = this.db.prepare<[], JournalRow>("SELECT * FROM journal ORDER BY seq").iterate();
      for (const row of rows) {
        const reason = checker.next(toJournal(row));
        if (reason !== undefined) {
          // Close the iterator before returning so the statement is released.
          rows.return?.();
          return {
            ok: false,
            checked: checker.checked,
            head: toHex(checker.head),
            broken: { seq: row.seq, reason },
          };
        }
      }
      // The head kept in meta catches records deleted from the end of the chain.
      const headSeq = Number(this.meta<number>("journal_seq"));
      if (headSeq !== checker.checked) {
        const seq = checker.checked + 1;
        return {
          ok: false,
          checked: checker.checked,
          head: toHex(checker.head),
          broken: {
            seq,
            reason:
              `record #${seq} is missing: the store's head says the journal has ${headSeq} ` +
              `records, the file holds ${checker.checked}`,
          },
        };
      }
      const head = new Uint8Array(this.meta<Buffer>("journal_head"));
      if (toHex(head) !== toHex(checker.head)) {
        return {
          ok: false,
          checked: checker.checked,
          head: toHex(checker.head),
          broken: {
            seq: headSeq,
            reason: `record #${headSeq} is not the record the store's head hash names`,
          },
        };
      }
      return { ok: true, checked: checker.checked, head: toHex(checker.head) };
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
