// The store's entry point: `openStore` picks the backend (today only the SQLite file) and returns
// the backend-neutral Store interface of ./types.ts. Other modules import from here only.

import { SqliteStore, type SqliteStoreOptions } from "./sqlite.js";
import type { Store } from "./types.js";

export type { Store, NodeRecord, NodeState, JournalRecord, JournalVerdict } from "./types.js";
export type { AuthorityRecord, SealRecord, AllocateOptions, FlashedOptions } from "./types.js";
export { NODE_STATES } from "./types.js";
export { StoreError } from "./errors.js";
export { DEFAULT_DB, SCHEMA_VERSION, DEFAULT_BUSY_TIMEOUT_MS } from "./sqlite.js";
export { canonicalJson, chainHash, canonicalRecord, GENESIS_HASH, toHex } from "./journal.js";

export type OpenStoreOptions = SqliteStoreOptions;

/** Opens the store at `options.path` (default predist.db). A PostgreSQL URL is not served yet. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  return SqliteStore.open(options);
}
