// A provisioning drill: the store-side steps of `predist provision` without serial hardware
// (allocate, build the image with the authority, record flashed, record verified), with the
// resume-after-crash rule every station follows at start. The crash and two-station tests run it
// in child processes killed at random points; bench/store.bench.ts times it.
//
// Resume rule (docs/store.md "After a crash"): a station's flashed nodes are verified again and
// finished; its planned nodes are resumed (image rebuilt from the master, which gives the same
// bytes) or, with policy "retire", retired with a journal record saying why. So no ID is ever
// handed out twice, and none is skipped without a record.

import { createAuthority, buildImage } from "../../host/authority/index.js";
import { imageDigest } from "../../host/image/index.js";
import { wipe } from "../../host/crypto/index.js";
import { openStore } from "./index.js";
import type { NodeRecord, Store } from "./types.js";
import { toHex } from "./journal.js";

/** A short μTESLA chain: the drill restarts often and the chain is rebuilt at each start. */
const DRILL_CHAIN_LENGTH = 16;

export interface DrillOptions {
  db: string;
  station: string;
  /** Stop when this station has this many verified nodes. */
  target: number;
  /** What to do with planned nodes found at start. */
  policy?: "resume" | "retire";
  /** INSECURE demo seed: the drill needs a master but no custody. */
  seed?: string;
  pool?: number;
  ring?: number;
}

async function finish(store: Store, node: NodeRecord, build: (id: number) => string) {
  if (node.state === "planned") {
    await store.markFlashed(node.nodeId, { imageDigest: build(node.nodeId), port: "drill" });
  }
  await store.markVerified(node.nodeId);
}

/** Runs the drill to its target; returns the IDs this run finished. */
export async function runDrill(options: DrillOptions): Promise<number[]> {
  const store = await openStore({ path: options.db, station: options.station, create: true });
  const authority = createAuthority({
    scheme: "eg",
    pool: options.pool ?? 1000,
    ring: options.ring ?? 20,
    insecureSeed: options.seed ?? "predist drill",
    anchor: { chainLength: DRILL_CHAIN_LENGTH },
  });
  const build = (id: number): string => {
    const image = buildImage(authority, id);
    const digest = toHex(imageDigest(image));
    wipe(image);
    return digest;
  };
  const done: number[] = [];
  try {
    for (const node of await store.unfinished()) {
      if (node.state === "planned" && options.policy === "retire") {
        await store.retireNode(node.nodeId, "found planned at restart; station chose to retire it");
        continue;
      }
      await store.journal("resume", { nodeId: node.nodeId, detail: { state: node.state } });
      await finish(store, node, build);
      done.push(node.nodeId);
    }
    const verifiedHere = async () =>
      (await store.listNodes({ state: "verified" })).filter((n) => n.station === options.station)
        .length;
    let verified = await verifiedHere();
    while (verified < options.target) {
      const node = await store.allocateNode({ scheme: "eg", port: "drill" });
      await finish(store, node, build);
      done.push(node.nodeId);
      verified++;
    }
  } finally {
    authority.destroy();
    await store.close();
  }
  return done;
}
