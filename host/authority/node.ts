// What a node computes from its own decoded image and what its neighbour tells it (docs/schemes.md,
// "Pair keys"): the reference for the firmware's pair-key derivation, used by the tests to show
// both sides agree. Uses only AES-128 (host/crypto kdf) and 32/64-bit integer arithmetic.
//
// Not protected against: a lying neighbour (the peer's announced key IDs are taken as given; the
// link-key handshake that follows authenticates them).

import { Aes128, kdf, wipe } from "../crypto/index.js";
import type { DecodedImage } from "../image/index.js";
import { LABEL, drawRing, le32 } from "./derive.js";
import { evaluateLanes, intersect, polypoolKey, qcompositeKey } from "./index.js";

/** What a node learns about a neighbour during discovery. */
export interface Peer {
  nodeId: number;
  /** Key IDs (eg, qcomposite) or polynomial IDs (polypool) the peer announced or regenerated. */
  ids?: ArrayLike<number>;
  /** LEAP: true when the peer answers our HELLO (we are the initiator). */
  peerResponds?: boolean;
}

/**
 * Regenerates a seeded ring from the public seed in any image header, the neighbour's ID and its
 * draws count: no key byte involved.
 */
export function regenerateRing(
  ringSeed: Uint8Array,
  nodeId: number,
  poolSize: number,
  ringSize: number,
  draws: number,
): Uint32Array {
  return drawRing(new Aes128(ringSeed), nodeId, poolSize, ringSize, draws).ids;
}

function recordKey(image: DecodedImage, id: number): Uint8Array | undefined {
  // Binary search over records sorted by ID, as the firmware does over flash.
  let lo = 0;
  let hi = image.records.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const record = image.records[mid];
    if (record.id === id) return record.key?.slice();
    if (record.id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** The pair key this node derives for `peer`, or undefined when the scheme gives them none. */
export function nodePairKey(image: DecodedImage, peer: Peer): Uint8Array | undefined {
  const own = image.nodeId;
  switch (image.scheme) {
    case "full":
    case "pairwise":
      return recordKey(image, peer.nodeId);
    case "eg":
    case "qcomposite": {
      const shared = intersect(
        image.records.map((r) => r.id),
        peer.ids ?? [],
      );
      if (shared.length < image.threshold) return undefined;
      const keys = shared.map((id) => recordKey(image, id) as Uint8Array);
      if (image.scheme === "eg") {
        wipe(...keys.slice(1));
        return keys[0];
      }
      const key = qcompositeKey(shared, keys);
      wipe(...keys);
      return key;
    }
    case "polypool": {
      const shared = intersect(
        image.records.map((r) => r.id),
        peer.ids ?? [],
      );
      if (shared.length === 0) return undefined;
      const record = image.records.find((r) => r.id === shared[0]);
      const share = record?.share as Uint32Array;
      const values = evaluateLanes(share, image.lanes, image.threshold, peer.nodeId);
      return polypoolKey(shared[0], own, peer.nodeId, values);
    }
    case "leap": {
      if (peer.peerResponds === true) {
        // Initiator: K_v = F(K_IN, v), then K_uv = F(K_v, u).
        if (image.initialKey === undefined) return undefined;
        const kv = kdf(image.initialKey, LABEL.leapNode, le32(peer.nodeId));
        const key = kdf(kv, LABEL.leapPair, le32(own));
        wipe(kv);
        return key;
      }
      // Responder: K_uv = F(K_own, initiator), with K_own from the ring record.
      const ku = recordKey(image, own) as Uint8Array;
      const key = kdf(ku, LABEL.leapPair, le32(peer.nodeId));
      wipe(ku);
      return key;
    }
  }
}
