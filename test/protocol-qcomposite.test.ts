// q-composite links over every shared key (docs/schemes.md, "Pair keys"; Chan, Perrig & Song
// 2003, section 4.1): a pair sharing more than 8 keys links, LINK_INIT names every shared ID in
// ascending order, and the LINK_RESP tag and a DATA frame verify under the link key the host
// oracle derives from authority.pairKey (which hashes all shared keys). A pair sharing more than
// SELECT_MAX keys cannot name them all in one LINK_INIT and must not link directly.

import { describe, expect, it } from "vitest";
import { createAuthority, buildImage, intersect } from "../host/authority/index.js";
import {
  twoNodes,
  exchange,
  netStatus,
  netSend,
  netPeers,
  linkedPeers,
  NET_STATUS,
  PEER_FLAG,
} from "../host/protocol/testing.js";
import {
  decodeHeader,
  decodeLinkInit,
  decodeLinkResp,
  linkKeys,
  openFrame,
  SELECT_MAX,
  TYPE_DATA,
  TYPE_LINK_INIT,
  TYPE_LINK_RESP,
} from "../host/protocol/index.js";

function pairSharing(authority: ReturnType<typeof createAuthority>, atLeast: number) {
  for (let u = 1; u < 60; u++) {
    for (let v = u + 1; v < 60; v++) {
      const shared = intersect(authority.keyIdsOf(u), authority.keyIdsOf(v));
      if (shared.length >= atLeast) return { u, v, shared };
    }
  }
  throw new Error(`no pair shares ${atLeast} keys`);
}

describe("q-composite over all shared keys", () => {
  it("a pair sharing more than 8 keys links under the oracle's key", () => {
    const authority = createAuthority({
      scheme: "qcomposite",
      pool: 40,
      ring: 20,
      q: 2,
      insecureSeed: "q-many",
    });
    const { u, v, shared } = pairSharing(authority, 12);
    expect(shared.length).toBeGreaterThan(8);
    const sides = twoNodes([buildImage(authority, u), buildImage(authority, v)], [u, v], "q");
    expect(netStatus(sides[0].node, NET_STATUS.ring)).toBe(0);
    expect(exchange(sides)).toBe(true);
    const [a, b] = sides;

    const init = decodeLinkInit(a.medium.frames.find((f) => f.frame[0] === TYPE_LINK_INIT)!.frame);
    expect(init.selector).toEqual(shared);
    const resp = decodeLinkResp(b.medium.frames.find((f) => f.frame[0] === TYPE_LINK_RESP)!.frame);
    const oracle = linkKeys(authority.pairKey(u, v)!, u, v, init.nonce, resp.nonce);
    expect(resp.tag).toEqual(oracle.tagR);

    expect(netSend(a.node, v, Uint8Array.of(1, 2, 3))).toBe(0);
    const data = a.medium.frames.at(-1)!.frame;
    expect(decodeHeader(data).type).toBe(TYPE_DATA);
    expect(openFrame(oracle.linkKey, data).payload).toEqual(Uint8Array.of(1, 2, 3));
  });

  it("a responder refuses a LINK_INIT naming a subset of the shared keys", () => {
    const authority = createAuthority({
      scheme: "qcomposite",
      pool: 40,
      ring: 20,
      q: 2,
      insecureSeed: "q-many",
    });
    const { u, v, shared } = pairSharing(authority, 12);
    const sides = twoNodes([buildImage(authority, u), buildImage(authority, v)], [u, v], "q2");
    // Let the HELLOs through, hold back every LINK_INIT, then send one with two IDs dropped.
    const [a, b] = sides;
    for (let round = 0; round < 3; round++) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ]) {
        from.node.advance(10);
        for (; from.taken < from.medium.frames.length; from.taken++) {
          const frame = from.medium.frames[from.taken].frame;
          if (frame[0] !== TYPE_LINK_INIT) to.node.deliverRadio(frame);
        }
      }
    }
    const init = a.medium.frames.find((f) => f.frame[0] === TYPE_LINK_INIT)!.frame;
    const subset = new Uint8Array(init.length - 8);
    subset.set(init.subarray(0, 19));
    subset[18] = shared.length - 2;
    subset.set(init.subarray(27), 19);
    expect(b.node.deliverRadio(subset)).toBe(39); // ERR_NET_NO_SHARED_KEY
    expect(b.node.deliverRadio(init)).toBe(0);
  });

  it(`a pair sharing more than SELECT_MAX (${SELECT_MAX}) keys does not link directly`, () => {
    const authority = createAuthority({
      scheme: "qcomposite",
      pool: 40,
      ring: 36,
      q: 2,
      insecureSeed: "q-full",
    });
    const { u, v } = pairSharing(authority, SELECT_MAX + 1);
    const sides = twoNodes([buildImage(authority, u), buildImage(authority, v)], [u, v], "q3");
    expect(exchange(sides)).toBe(false);
    expect(linkedPeers(sides[0].node)).toEqual([]);
    const peer = netPeers(sides[0].node).find((p) => p.id === v)!;
    expect(peer.flags & PEER_FLAG.selectorFull).toBe(PEER_FLAG.selectorFull);
    expect(sides[0].medium.frames.some((f) => f.frame[0] === TYPE_LINK_INIT)).toBe(false);
  });
});
