// The SQLite store: schema version, node ID allocation, state transitions, journal records per
// step, and the journal chain's detection of edits, deletions and reordering made directly in the
// file. Expected hashes are recomputed here from docs/store.md's definition with node:crypto.

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, SCHEMA_VERSION, StoreError, type Store } from "../provisioning/store/index.js";

let dir: string;
let path: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "predist-store-"));
  path = join(dir, "predist.db");
  store = await openStore({ path, create: true, station: "test" });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function provision(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const node = await store.allocateNode({ scheme: "eg" });
    await store.markFlashed(node.nodeId, { imageDigest: "ab".repeat(16), port: "/dev/pts/1" });
    await store.markVerified(node.nodeId);
  }
}

describe("store file", () => {
  it("refuses a missing file without create, naming the path", async () => {
    const missing = join(dir, "nope.db");
    await expect(openStore({ path: missing })).rejects.toThrow(`no store at ${missing}`);
  });

  it("uses WAL mode and records a schema version", async () => {
    expect(await store.schemaVersion()).toBeGreaterThanOrEqual(1);
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("refuses a store of a newer schema version", async () => {
    await store.close();
    const db = new Database(path);
    db.pragma("user_version = 999");
    db.close();
    const error = await openStore({ path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).exitCode).toBe(9);
    expect((error as Error).message).toMatch(/schema version 999/);
    store = await openStore({ path: join(dir, "other.db"), create: true });
  });

  it("refuses a file that is not a store, and one that is another SQLite database", async () => {
    const text = join(dir, "text.db");
    writeFileSync(text, "this is not sqlite at all, just some text padding".repeat(20));
    await expect(openStore({ path: text })).rejects.toThrow(/not a readable predist store/);
    const foreign = join(dir, "foreign.db");
    const db = new Database(foreign);
    db.exec("CREATE TABLE t (x)");
    db.close();
    await expect(openStore({ path: foreign })).rejects.toThrow(/not a predist store/);
  });
});

describe("store file, continued", () => {
  it("brings an empty SQLite file up to the current schema", async () => {
    const empty = join(dir, "empty.db");
    new Database(empty).close();
    const fresh = await openStore({ path: empty });
    expect(await fresh.schemaVersion()).toBe(SCHEMA_VERSION);
    expect((await fresh.allocateNode()).nodeId).toBe(1);
    await fresh.close();
  });

  it("names a store locked by another station past the busy timeout; loses nothing", async () => {
    await store.allocateNode();
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    const waiting = await openStore({ path, station: "second", busyTimeoutMs: 50 });
    const error = await waiting.allocateNode().catch((e: unknown) => e);
    expect((error as StoreError).exitCode).toBe(9);
    expect((error as Error).message).toBe(`store ${path} is locked by another station`);
    other.exec("ROLLBACK");
    other.close();
    expect((await waiting.allocateNode()).nodeId).toBe(2);
    await waiting.close();
    expect((await store.verifyJournal()).checked).toBe(2);
  });
});

describe("registry", () => {
  it("allocates IDs from 1 and walks planned, flashed, verified, deployed", async () => {
    const a = await store.allocateNode({ scheme: "eg", port: "/dev/pts/3" });
    const b = await store.allocateNode();
    expect([a.nodeId, b.nodeId]).toEqual([1, 2]);
    expect(a.state).toBe("planned");
    const f = await store.markFlashed(1, { imageDigest: "00ff", serial: "SN-1" });
    expect(f.state).toBe("flashed");
    expect(f.imageDigest).toBe("00ff");
    expect(f.serial).toBe("SN-1");
    expect(f.port).toBe("/dev/pts/3");
    expect((await store.markVerified(1)).state).toBe("verified");
    expect((await store.markDeployed(1)).state).toBe("deployed");
    const events = (await store.readJournal({ nodeId: 1 })).map((r) => r.event);
    expect(events).toEqual(["allocate", "flashed", "verified", "deployed"]);
  });

  it("refuses a transition out of order and changes nothing", async () => {
    await store.allocateNode();
    const before = (await store.readJournal()).length;
    await expect(store.markVerified(1)).rejects.toThrow(
      /node 1 is planned; it cannot become verified/,
    );
    await expect(store.markVerified(7)).rejects.toThrow(/node 7 is not in the registry/);
    expect((await store.getNode(1))?.state).toBe("planned");
    expect((await store.readJournal()).length).toBe(before);
  });

  it("never reuses an ID, even after its row is deleted from the file", async () => {
    await provision(3);
    await store.close();
    const db = new Database(path);
    db.prepare("DELETE FROM nodes WHERE node_id = 3").run();
    db.close();
    store = await openStore({ path, station: "test" });
    expect((await store.allocateNode()).nodeId).toBe(4);
  });

  it("retires and revokes with a reason in the journal", async () => {
    await store.allocateNode();
    await provision(1);
    const retired = await store.retireNode(1, "board lost after crash");
    expect(retired.state).toBe("retired");
    const [revoked] = await store.revokeNodes([2], "captured in the field");
    expect(revoked.state).toBe("revoked");
    expect(revoked.reason).toBe("captured in the field");
    const last = (await store.readJournal()).slice(-2);
    expect(last.map((r) => [r.event, r.nodeId])).toEqual([
      ["retired", 1],
      ["revoked", 2],
    ]);
    expect(JSON.parse(last[0].detail).reason).toBe("board lost after crash");
  });

  it("lists a station's unfinished nodes for resume", async () => {
    await store.allocateNode();
    await store.allocateNode();
    await store.markFlashed(2, { imageDigest: "aa" });
    await provision(1);
    expect((await store.unfinished()).map((n) => [n.nodeId, n.state])).toEqual([
      [1, "planned"],
      [2, "flashed"],
    ]);
    expect(await store.unfinished("other-station")).toEqual([]);
  });

  it("allocates a batch in one transaction", async () => {
    const range = await store.allocateNodes(250, { scheme: "eg" });
    expect(range).toEqual({ first: 1, last: 250 });
    expect((await store.countNodes()).planned).toBe(250);
    await expect(store.allocateNodes(0)).rejects.toThrow(/node count 0 is out of range/);
  });

  it("refuses journal details that look like key material", async () => {
    await expect(store.journal("step", { detail: { kek: "00" } })).rejects.toThrow(/"kek"/);
    await expect(store.journal("step", { detail: { a: { share: "x" } } })).rejects.toThrow(
      /"a\.share"/,
    );
    await expect(store.journal("Bad Event")).rejects.toThrow(/not a valid event name/);
    expect((await store.verifyJournal()).checked).toBe(0);
  });
});

/** docs/store.md: hash = SHA-256(previous hash || UTF-8 JSON [domain, seq, at, ...]). */
function referenceHash(prev: Buffer, row: Record<string, unknown>): Buffer {
  const text = JSON.stringify([
    "predist-journal-v1",
    row.seq,
    row.at,
    row.station,
    row.event,
    row.node_id,
    row.detail,
  ]);
  return createHash("sha256").update(prev).update(text, "utf8").digest();
}

describe("journal chain", () => {
  it("chains every record as docs/store.md defines", async () => {
    await provision(3);
    await store.journal("ceremony", { detail: { b: 2, a: 1 } });
    await store.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare("SELECT * FROM journal ORDER BY seq").all() as Record<
      string,
      unknown
    >[];
    db.close();
    let prev: Buffer = Buffer.alloc(32);
    for (const row of rows) {
      const expected = referenceHash(prev, row);
      expect(Buffer.compare(expected, row.hash as Buffer)).toBe(0);
      prev = row.hash as Buffer;
    }
    expect(rows.at(-1)?.detail).toBe('{"a":1,"b":2}');
    store = await openStore({ path, station: "test" });
    const verdict = await store.verifyJournal();
    expect(verdict).toMatchObject({ ok: true, checked: 10, head: prev.toString("hex") });
  });

  async function tamper(sql: string, ...args: unknown[]): Promise<void> {
    await store.close();
    const db = new Database(path);
    db.prepare(sql).run(...args);
    db.close();
    store = await openStore({ path, station: "test" });
  }

  it("names an edited record", async () => {
    await provision(4);
    await tamper("UPDATE journal SET detail = ? WHERE seq = 5", '{"from":"planned","to":"x"}');
    const verdict = await store.verifyJournal();
    expect(verdict.ok).toBe(false);
    expect(verdict.broken?.seq).toBe(5);
    expect(verdict.checked).toBe(4);
  });

  it("names an edited timestamp or node ID", async () => {
    await provision(2);
    await tamper("UPDATE journal SET node_id = 9 WHERE seq = 2");
    expect((await store.verifyJournal()).broken?.seq).toBe(2);
  });

  it("names the record after a deleted one", async () => {
    await provision(4);
    await tamper("DELETE FROM journal WHERE seq = 6");
    const verdict = await store.verifyJournal();
    expect(verdict.broken?.seq).toBe(7);
    expect(verdict.broken?.reason).toMatch(/#6 deleted/);
  });

  it("names a deletion hidden by renumbering", async () => {
    await provision(3);
    await tamper("DELETE FROM journal WHERE seq = 4");
    await tamper("UPDATE journal SET seq = seq - 1 WHERE seq > 4");
    expect((await store.verifyJournal()).broken?.seq).toBe(4);
  });

  it("names the first of two swapped records", async () => {
    await provision(3);
    await tamper("UPDATE journal SET seq = -1 WHERE seq = 3");
    await tamper("UPDATE journal SET seq = 3 WHERE seq = 4");
    await tamper("UPDATE journal SET seq = 4 WHERE seq = -1");
    expect((await store.verifyJournal()).broken?.seq).toBe(3);
  });

  it("names records deleted from the end", async () => {
    await provision(3);
    await tamper("DELETE FROM journal WHERE seq >= 8");
    const verdict = await store.verifyJournal();
    expect(verdict.broken?.seq).toBe(8);
    expect(verdict.broken?.reason).toMatch(/head says the journal has 9 records/);
  });
});
