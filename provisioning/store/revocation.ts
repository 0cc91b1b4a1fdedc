// The revocation broadcast of `predist revoke` (docs/protocol.md "Revocation (μTESLA)"): the next
// unused μTESLA interval of this store, the key IDs to erase (provisioning/store/exposure.ts), the
// REVOKE frames tagged under a key derived from K_i (host/protocol encodeRevocation), and the
// DISCLOSE frame that releases K_i afterwards. Intervals are taken one per revocation from 1, so a
// node that verified only K_0 can follow up to the protocol's CHAIN_STEPS_MAX revocations.
//
// Not protected against: two stations revoking at the same moment may pick the same interval
// (the pick is read before the store's transaction); run revocations from one station.

import type { Authority } from "../../host/authority/index.js";
import { wipe } from "../../host/crypto/index.js";
import { encodeDisclosure, encodeRevocation } from "../../host/protocol/index.js";
import { StoreError } from "./errors.js";
import { analyseCapture, type Exposure } from "./exposure.js";
import { toHex } from "./journal.js";
import type { AuthorityRecord, Store } from "./types.js";

export const REVOCATION_FORMAT = "predist-revocation-v1";

export interface RevocationDocument {
  format: string;
  authorityId: string;
  interval: number;
  revokedNodes: number[];
  revokedKeyIds: number[];
  /** REVOKE frames, hex, to broadcast first. */
  revoke: string[];
  /** DISCLOSE frame, hex: carries K_i, so it is sent only after every REVOKE frame. */
  disclose: string;
  linksToRekey: number;
}

/** The interval after the last one any `revoked` journal record used; STORE error when spent. */
export async function nextRevocationInterval(
  store: Store,
  record: AuthorityRecord,
): Promise<number> {
  const anchor = (record.params.anchor ?? {}) as { chainLength?: number };
  const used = (await store.readJournal({ event: "revoked" })).map((r) =>
    Number((JSON.parse(r.detail) as { interval?: number }).interval ?? 0),
  );
  const interval = Math.max(0, ...used) + 1;
  if (interval > (anchor.chainLength ?? 0)) {
    throw new StoreError(
      "STORE",
      `the μTESLA chain is spent: revocation interval ${interval} is beyond its length ` +
        `${anchor.chainLength}`,
      "start a new authority with a longer --chain-length",
    );
  }
  return interval;
}

/**
 * Builds the broadcast revoking `nodeIds` in `interval`. Nodes revoked earlier count towards the
 * capture too (a polynomial breaks on the total captured), but only `nodeIds` are listed.
 */
export async function buildRevocation(
  store: Store,
  authority: Authority,
  record: AuthorityRecord,
  nodeIds: number[],
  interval: number,
): Promise<{ document: RevocationDocument; exposure: Exposure; frames: number }> {
  const earlier = (await store.listNodes({ state: "revoked" })).map((n) => n.nodeId);
  const exposure = analyseCapture(authority, await store.listNodes(), [...earlier, ...nodeIds]);
  const chainKey = authority.chainKey(interval);
  const frames = encodeRevocation(
    { interval, revokedNodes: nodeIds, revokedKeys: exposure.revokedKeyIds },
    chainKey,
  );
  const disclose = encodeDisclosure(interval, chainKey);
  wipe(chainKey);
  const document: RevocationDocument = {
    format: REVOCATION_FORMAT,
    authorityId: record.authorityId,
    interval,
    revokedNodes: nodeIds,
    revokedKeyIds: exposure.revokedKeyIds,
    revoke: frames.map(toHex),
    disclose: toHex(disclose),
    linksToRekey: exposure.linksToRekey,
  };
  wipe(disclose);
  return { document, exposure, frames: frames.length };
}
