// Store and custody figures: registering 100,000 nodes in a fresh SQLite store (batches of 1,000
// IDs per transaction, each ID with its journal record), verifying that 100,000-record journal,
// and an unseal (3 shares -> KEK -> KEK digest -> AES-GCM open of the master) followed by
// deriving 10,000 EG rings of k = 200 with the authority, IDs and then key bytes; and the
// store's per-node steps of a provisioning run (1,000 nodes through provisioning/store/drill.ts).
// Targets (issue 7): registration <= 20 s; unseal + 10,000 rings <= 5 s.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createAuthority } from "../host/authority/index.js";
import { wipe } from "../host/crypto/index.js";
import type { Report } from "./harness.js";
import { openStore } from "../provisioning/store/index.js";
import { runDrill } from "../provisioning/store/drill.js";
import {
  addShare,
  checkShare,
  newCustody,
  openMaster,
  rebuildKek,
} from "../provisioning/custody/seal.js";
import type { CheckedShare } from "../provisioning/custody/seal.js";

const NODES = 100_000;
const BATCH = 1_000;
const RINGS = 10_000;
const RING = 200;
const POOL = 100_000;
const AUTHORITY_ID = "00112233445566aa";
const DRILL_NODES = 1_000;

export default async function bench(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "predist-bench-store-"));
  try {
    // Registration: 100 transactions of 1,000 allocations, each journaled and chained.
    const store = await openStore({ path: join(dir, "bench.db"), create: true, station: "bench" });
    let start = performance.now();
    for (let done = 0; done < NODES; done += BATCH) {
      await store.allocateNodes(BATCH, { scheme: "eg" });
    }
    const registerMs = performance.now() - start;
    report({
      bench: "store.register",
      nodes: NODES,
      batch: BATCH,
      ms: Math.round(registerMs),
      nodesPerSecond: Math.round(NODES / (registerMs / 1000)),
      targetMs: 20_000,
    });

    start = performance.now();
    const verdict = await store.verifyJournal();
    report({
      bench: "store.journal-verify",
      records: verdict.checked,
      ok: verdict.ok,
      ms: Math.round(performance.now() - start),
    });
    await store.close();

    // Unseal and rings: the ceremony's work from three share texts to 10,000 rings.
    const master = new Uint8Array(randomBytes(32));
    const params = { scheme: "eg", pool: POOL, ring: RING };
    const custody = newCustody(master, AUTHORITY_ID, 1, 5, 3, params);
    wipe(custody.kek, master);
    start = performance.now();
    const set: CheckedShare[] = [];
    for (const [i, text] of custody.codes.slice(0, 3).entries()) {
      addShare(set, checkShare({ text, source: `share ${i + 1}` }, AUTHORITY_ID, custody.seal));
    }
    const kek = rebuildKek(set, AUTHORITY_ID, custody.seal);
    const opened = openMaster(custody.seal, kek, AUTHORITY_ID, params);
    wipe(kek);
    const authority = createAuthority({ scheme: "eg", pool: POOL, ring: RING, master: opened });
    wipe(opened);
    const unsealMs = performance.now() - start;
    let idSum = 0;
    for (let id = 1; id <= RINGS; id++) idSum += authority.ringOf(id).ids.length;
    const ringMs = performance.now() - start;
    report({
      bench: "custody.unseal+eg-rings",
      rings: RINGS,
      k: RING,
      pool: POOL,
      keyIds: idSum,
      unsealMs: Math.round(unsealMs),
      ms: Math.round(ringMs),
      targetMs: 5_000,
    });

    start = performance.now();
    let keyBytes = 0;
    for (let id = 1; id <= RINGS; id++) {
      for (const keyId of authority.ringOf(id).ids) {
        const key = authority.poolKey(keyId);
        keyBytes += key.length;
        wipe(key);
      }
    }
    report({
      bench: "custody.eg-ring-keys",
      rings: RINGS,
      k: RING,
      keyBytes,
      ms: Math.round(performance.now() - start),
    });
    authority.destroy();

    // The store's share of `predist provision`: allocate, build the image, record flashed and
    // verified (three synchronous=FULL transactions per node), as the crash test's drill does.
    start = performance.now();
    await runDrill({ db: join(dir, "drill.db"), station: "bench", target: DRILL_NODES });
    const drillMs = performance.now() - start;
    report({
      bench: "store.provision-steps",
      nodes: DRILL_NODES,
      ms: Math.round(drillMs),
      msPerNode: Number((drillMs / DRILL_NODES).toFixed(2)),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
