// The store interface: what the factory keeps between runs (the authority's parameters, the sealed
// master, the node registry and the hash-chained journal), independent of the database behind it.
// provisioning/store/sqlite.ts implements it on one SQLite file; a shared PostgreSQL backend for
// several stations can implement the same interface later (every method returns a Promise so a
// network backend fits). docs/store.md describes the schema, the journal chain and the guarantees.
//
// How `predist provision` uses it (one node, one station):
//
//   const store = await openStore({ path, station: "line-1" });
//   for (const node of await store.unfinished())           // after a crash: resume or retire
//     ...continue from node.state, or store.retireNode(node.nodeId, "board lost")
//   const node = await store.allocateNode({ scheme, port });   // state "planned", ID never reused
//   await store.journal("flash-begin", { nodeId: node.nodeId, detail: { port } });
//   await store.markFlashed(node.nodeId, { imageDigest, serial, port });
//   await store.markVerified(node.nodeId);
//   await store.close();
//
// Every state change appends its journal record in the same transaction as the change, so a crash
// (SIGKILL, power cut) leaves either both or neither. Errors are StoreError (a CliError with the
// exit code STORE, INVALID_INPUT or INTEGRITY), and never carry key bytes.

/** The life of a node ID. `retired` marks an ID that was allocated but never became a node. */
export const NODE_STATES = [
  "planned",
  "flashed",
  "verified",
  "deployed",
  "revoked",
  "retired",
] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** One row of the node registry. Timestamps are ISO-8601 UTC strings, or null when not reached. */
export interface NodeRecord {
  nodeId: number;
  state: NodeState;
  /** The station (process or bench) that allocated the ID. */
  station: string;
  scheme: string | null;
  /** The board's serial number, when the flash protocol reports one. */
  serial: string | null;
  /** The serial port the node was flashed through. */
  port: string | null;
  /** Hex digest of the image written to the node (host/image imageDigest). */
  imageDigest: string | null;
  plannedAt: string;
  flashedAt: string | null;
  verifiedAt: string | null;
  deployedAt: string | null;
  revokedAt: string | null;
  retiredAt: string | null;
  /** Why the node was revoked or retired. */
  reason: string | null;
}

/** The authority as the store keeps it: public parameters only. */
export interface AuthorityRecord {
  /** Hex authority ID. */
  authorityId: string;
  /** The scheme parameters as the authority defines them (host/authority), opaque to the store. */
  params: Record<string, unknown>;
  createdAt: string;
}

/** The master secret encrypted under the KEK, and what is needed to check a reconstructed KEK. */
export interface SealRecord {
  /** What the sealed bytes are; bound into the AAD. */
  purpose: string;
  /** KEK generation: 1 at init, +1 at each `shares rotate`. */
  generation: number;
  shares: number;
  threshold: number;
  /** SHA-256 digest of the KEK under a domain label (provisioning/custody/seal.ts). */
  kekDigest: Uint8Array;
  nonce: Uint8Array;
  /** AES-256-GCM ciphertext || tag. */
  sealed: Uint8Array;
  sealedAt: string;
}

/** One journal record as stored. `hash` chains it to the record before (docs/store.md). */
export interface JournalRecord {
  seq: number;
  at: string;
  station: string;
  event: string;
  nodeId: number | null;
  /** Canonical JSON text of the detail object (sorted keys). */
  detail: string;
  hash: Uint8Array;
}

export interface JournalVerdict {
  ok: boolean;
  /** Records checked (all of them when ok). */
  checked: number;
  /** Hex hash of the last good record: write it down to anchor the chain outside the file. */
  head: string;
  /** The first broken record, when not ok. */
  broken?: { seq: number; reason: string };
}

export interface JournalQuery {
  fromSeq?: number;
  limit?: number;
  nodeId?: number;
  event?: string;
}

export interface NodeQuery {
  state?: NodeState;
  fromId?: number;
  limit?: number;
}

export interface AllocateOptions {
  scheme?: string;
  serial?: string;
  port?: string;
}

export interface FlashedOptions {
  imageDigest: string;
  serial?: string;
  port?: string;
}

export interface Store {
  /** The file or address of the store, for messages. */
  readonly location: string;
  /** The station name written into every journal record this handle appends. */
  readonly station: string;

  schemaVersion(): Promise<number>;

  /** Creates the authority and its sealed master in one transaction; fails if one exists. */
  createAuthority(authority: AuthorityRecord, seal: SealRecord): Promise<void>;
  getAuthority(): Promise<AuthorityRecord | undefined>;
  getSeal(purpose?: string): Promise<SealRecord | undefined>;
  /** Replaces the sealed master after a rotation; `expectGeneration` guards against a race. */
  replaceSeal(seal: SealRecord, expectGeneration: number): Promise<void>;

  /** Takes the next node ID (never reused) in state "planned", journaled as "allocate". */
  allocateNode(options?: AllocateOptions): Promise<NodeRecord>;
  /** Takes `count` IDs in one transaction (bulk registration); returns the first and last. */
  allocateNodes(count: number, options?: AllocateOptions): Promise<{ first: number; last: number }>;
  /** planned|flashed -> flashed, with the image digest; journaled "flashed" (or "reflashed"). */
  markFlashed(nodeId: number, options: FlashedOptions): Promise<NodeRecord>;
  /** flashed -> verified (the read-back or end-of-line proof matched). */
  markVerified(nodeId: number): Promise<NodeRecord>;
  /** verified -> deployed. */
  markDeployed(nodeId: number): Promise<NodeRecord>;
  /** Any live state -> revoked, all IDs in one transaction. */
  revokeNodes(
    nodeIds: readonly number[],
    reason: string,
    detail?: Record<string, unknown>,
  ): Promise<NodeRecord[]>;
  /** planned|flashed -> retired: an ID abandoned after a crash or a failed board. */
  retireNode(nodeId: number, reason: string): Promise<NodeRecord>;

  getNode(nodeId: number): Promise<NodeRecord | undefined>;
  listNodes(query?: NodeQuery): Promise<NodeRecord[]>;
  countNodes(): Promise<Record<NodeState, number>>;
  /** Nodes this station allocated that are still planned or flashed (resume or retire them). */
  unfinished(station?: string): Promise<NodeRecord[]>;

  /** Appends one record (no state change): a step of the flash protocol, a ceremony. */
  journal(
    event: string,
    entry?: { nodeId?: number; detail?: Record<string, unknown> },
  ): Promise<JournalRecord>;
  readJournal(query?: JournalQuery): Promise<JournalRecord[]>;
  verifyJournal(): Promise<JournalVerdict>;

  close(): Promise<void>;
}
