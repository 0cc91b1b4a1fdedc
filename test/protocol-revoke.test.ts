// Revocation by μTESLA (docs/protocol.md, "Revocation"; SPINS, Perrig et al. 2001, section 5) on
// real nodes: the authority's REVOKE frames (host/protocol encodeRevocation) are buffered until
// DISCLOSE publishes the chain key, then applied. Expected links, rings and images come from the
// host oracle (authority rings and intersections), never from the firmware.

import { describe, expect, it } from "vitest";
import { Emulator, type EmulatedNode } from "../host/emulator/index.js";
import { createAuthority, buildImage, intersect } from "../host/authority/index.js";
import { decodeImage } from "../host/image/index.js";
import {
  provision,
  linkedPeers,
  netPeers,
  netSend,
  netRecv,
  netStatus,
  twoNodes,
  exchange,
  NET_STATUS,
  PEER_FLAG,
} from "../host/protocol/testing.js";
import {
  encodeRevocation,
  encodeDisclosure,
  decodeLinkInit,
  decodeLinkResp,
  linkKeys,
  sealFrame,
  MODE_PAIR,
  TYPE_DATA,
  TYPE_LINK_INIT,
  TYPE_LINK_RESP,
} from "../host/protocol/index.js";

const OK = 0;
const ERR_NET_UNKNOWN_KEY = 40;
const ERR_NET_TAG = 41;
const ERR_NET_NOT_LINKED = 43;
const ERR_NET_REVOKED = 44;
const ERR_NET_CHAIN = 45;
const ERR_NET_STALE = 46;
const ERR_NET_INTERVAL = 49;
/** CHAIN_STEPS_MAX of assembly/net/config.ts. */
const CHAIN_STEPS_MAX = 64;
const SLOT_BYTES = 32_768;

type Authority = ReturnType<typeof createAuthority>;

/** Delivers the authority's REVOKE frames and then the disclosure to every node; statuses. */
function revoke(
  nodes: EmulatedNode[],
  authority: Authority,
  keys: number[],
  nodeIds: number[] = [],
  interval = 1,
) {
  const frames = encodeRevocation(
    { interval, revokedNodes: nodeIds, revokedKeys: keys },
    authority.chainKey(interval),
  );
  const disclose = encodeDisclosure(interval, authority.chainKey(interval));
  return nodes.map((n) => {
    for (const f of frames) expect(n.deliverRadio(f)).toBe(OK);
    return n.deliverRadio(disclose);
  });
}

/** The image in whichever slot holds a valid one (the node's active image). */
function activeImage(node: EmulatedNode) {
  const flash = node.captureFlash();
  for (const base of [0, SLOT_BYTES]) {
    const len = new DataView(flash.buffer, flash.byteOffset + base + 12, 4).getUint32(0, true);
    if (len < 164 || len > SLOT_BYTES) continue;
    try {
      return decodeImage(flash.slice(base, base + len));
    } catch {
      // not this slot
    }
  }
  return undefined;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
}

describe("revocation", () => {
  it("removes exactly the links that used revoked keys, and the network re-links", () => {
    const authority = createAuthority({ scheme: "eg", pool: 40, ring: 8, insecureSeed: "rev-net" });
    const ids = [1, 2, 3, 4, 5, 6];
    const emu = new Emulator({ seed: "rev-net", radio: { range: 100 } });
    for (const [i, id] of ids.entries()) {
      provision(emu.addNode({ id, position: { x: 3 * i, y: 0 } }), buildImage(authority, id));
    }
    emu.bootAll();
    emu.run(8_000);
    const shared = (u: number, v: number) =>
      intersect(authority.keyIdsOf(u), authority.keyIdsOf(v));
    const pairs = ids.flatMap((u) => ids.filter((v) => v > u).map((v) => [u, v] as const));
    // Every pair is linked before: by the pair key when it shares one, else by a path key.
    for (const [u, v] of pairs) expect(linkedPeers(emu.node(u))).toContain(v);

    // Revoke the key of the first pair sharing at least two keys (it re-links with its next key)
    // and every key of a pair sharing one key only (it re-links by a path key).
    const many = pairs.find(([u, v]) => shared(u, v).length >= 2)!;
    const one = pairs.find(
      ([u, v]) => shared(u, v).length === 1 && !shared(...many).includes(shared(u, v)[0]),
    );
    expect(one).toBeDefined();
    const revoked = [shared(...many)[0], ...shared(...one!)];
    const usedRevoked = ([u, v]: readonly [number, number]) =>
      shared(u, v).length > 0 && revoked.includes(shared(u, v)[0]);
    const dropped = pairs.filter(usedRevoked);
    expect(dropped.length).toBeGreaterThan(0);

    const nodes = ids.map((id) => emu.node(id));
    expect(revoke(nodes, authority, revoked)).toEqual(ids.map(() => OK));
    for (const u of ids) {
      const expected = ids
        .filter((v) => v !== u)
        .filter((v) => {
          const pair = [Math.min(u, v), Math.max(u, v)] as const;
          return !dropped.some(([a, b]) => a === pair[0] && b === pair[1]);
        });
      expect(linkedPeers(emu.node(u))).toEqual(expected);
    }

    // Each node holding a revoked key rewrote its image without it; the old bytes left the flash.
    for (const id of ids) {
      const node = emu.node(id);
      const ring = authority.keyIdsOf(id);
      const gone = ring.filter((k) => revoked.includes(k));
      expect(netStatus(node, NET_STATUS.imageRewrites)).toBe(gone.length > 0 ? 1 : 0);
      expect(netStatus(node, NET_STATUS.ringKeys)).toBe(ring.length - gone.length);
      expect(activeImage(node)?.records.map((r) => r.id)).toEqual(
        ring.filter((k) => !gone.includes(k)),
      );
      const flash = node.captureFlash();
      for (const k of revoked) expect(contains(flash, authority.poolKey(k))).toBe(false);
    }

    // The network re-links: pairs with a key left use the pair key, the others a path key.
    emu.run(8_000);
    for (const [u, v] of pairs) expect(linkedPeers(emu.node(u))).toContain(v);
    const [mu, mv] = many;
    expect(netPeers(emu.node(mu)).find((p) => p.id === mv)?.mode).toBe(MODE_PAIR);
    expect(netSend(emu.node(mu), mv, Uint8Array.of(9))).toBe(OK);
    emu.run(50);
    expect(netRecv(emu.node(mv))).toEqual({ src: mu, payload: Uint8Array.of(9) });
    expect(emu.crashes).toEqual([]);
  });

  it("revoking a node drops its links and refuses its frames", () => {
    const authority = createAuthority({ scheme: "full", nodes: 4, insecureSeed: "rev-node" });
    const emu = new Emulator({ seed: "rev-node", radio: { range: 100 } });
    for (const id of [1, 2, 3]) {
      provision(emu.addNode({ id, position: { x: id, y: 0 } }), buildImage(authority, id));
    }
    emu.bootAll();
    emu.run(3_000);
    expect(linkedPeers(emu.node(1))).toEqual([2, 3]);
    revoke([emu.node(1), emu.node(2)], authority, [], [3]);
    expect(linkedPeers(emu.node(1))).toEqual([2]);
    const peer = netPeers(emu.node(1)).find((p) => p.id === 3)!;
    expect(peer.flags & PEER_FLAG.revoked).toBe(PEER_FLAG.revoked);
    // Node 3 still believes in its link; its DATA is refused, and it cannot link again.
    expect(netSend(emu.node(3), 1, Uint8Array.of(1))).toBe(OK);
    const before = netStatus(emu.node(1), NET_STATUS.framesDropped);
    emu.run(3_000);
    expect(netStatus(emu.node(1), NET_STATUS.framesDropped)).toBeGreaterThan(before);
    expect(netStatus(emu.node(1), NET_STATUS.lastError)).toBe(ERR_NET_REVOKED);
    expect(netRecv(emu.node(1))).toBeUndefined();
    expect(linkedPeers(emu.node(1))).toEqual([2]);
  });
});

/** Two eg nodes linked, with the frames of the handshake and the oracle's link key. */
function linkedPair(seed: string) {
  const authority = createAuthority({ scheme: "eg", pool: 30, ring: 8, insecureSeed: seed });
  let u = 1;
  let v = 2;
  while (intersect(authority.keyIdsOf(u), authority.keyIdsOf(v)).length < 2) v++;
  const sides = twoNodes([buildImage(authority, u), buildImage(authority, v)], [u, v], seed);
  expect(exchange(sides)).toBe(true);
  const init = sides[0].medium.frames.find((f) => f.frame[0] === TYPE_LINK_INIT)!.frame;
  const resp = decodeLinkResp(
    sides[1].medium.frames.find((f) => f.frame[0] === TYPE_LINK_RESP)!.frame,
  );
  const used = decodeLinkInit(init).selector[0];
  const { linkKey } = linkKeys(
    authority.poolKey(used),
    u,
    v,
    decodeLinkInit(init).nonce,
    resp.nonce,
  );
  return { authority, u, v, sides, init, used, linkKey };
}

describe("revocation: refusals", () => {
  it("a frame under a revoked key is rejected", () => {
    const { authority, u, v, sides, init, used, linkKey } = linkedPair("rev-frame");
    const b = sides[1].node;
    // Before: a DATA frame sealed by the oracle under the link key is accepted.
    expect(b.deliverRadio(sealFrame(linkKey, TYPE_DATA, u, v, 40, Uint8Array.of(1)))).toBe(OK);
    expect(revoke([sides[0].node, b], authority, [used])).toEqual([OK, OK]);
    // After: the link key is gone, and a LINK_INIT naming the revoked key is refused.
    expect(b.deliverRadio(sealFrame(linkKey, TYPE_DATA, u, v, 41, Uint8Array.of(1)))).toBe(
      ERR_NET_NOT_LINKED,
    );
    expect(b.deliverRadio(init)).toBe(ERR_NET_UNKNOWN_KEY);
    // The pair still shares another key and links again under it.
    expect(exchange(sides, 200, 10)).toBe(true);
    const again = sides[0].medium.frames.filter((f) => f.frame[0] === TYPE_LINK_INIT).at(-1)!;
    expect(decodeLinkInit(again.frame).selector[0]).not.toBe(used);
  });

  it("a forged revocation is rejected and changes nothing", () => {
    const { authority, sides, used } = linkedPair("rev-forged");
    const [a, b] = sides.map((s) => s.node);
    const keys = netStatus(a, NET_STATUS.ringKeys);
    // Tagged under a key that is not the interval's chain key.
    const forged = encodeRevocation(
      { interval: 1, revokedNodes: [], revokedKeys: [used] },
      authority.chainKey(2),
    );
    // Tagged correctly, then one ID changed in transit.
    const altered = encodeRevocation(
      { interval: 1, revokedNodes: [], revokedKeys: [used + 1] },
      authority.chainKey(1),
    )[0];
    altered[18] ^= 1;
    for (const n of [a, b]) {
      expect(n.deliverRadio(forged[0])).toBe(OK);
      expect(n.deliverRadio(altered)).toBe(OK);
      expect(n.deliverRadio(encodeDisclosure(1, authority.chainKey(1)))).toBe(ERR_NET_TAG);
      expect(netStatus(n, NET_STATUS.revocations)).toBe(0);
      expect(netStatus(n, NET_STATUS.imageRewrites)).toBe(0);
      // A REVOKE of the disclosed interval is now stale: its key is public.
      const late = encodeRevocation(
        { interval: 1, revokedNodes: [], revokedKeys: [used] },
        authority.chainKey(1),
      );
      expect(n.deliverRadio(late[0])).toBe(ERR_NET_STALE);
    }
    expect(netStatus(a, NET_STATUS.ringKeys)).toBe(keys);
    expect(linkedPeers(a)).toEqual([sides[1].node.id]);
  });

  it("a disclosed key that does not hash to the chain is rejected", () => {
    const { authority, sides, used } = linkedPair("rev-chain");
    const a = sides[0].node;
    const frames = encodeRevocation(
      { interval: 2, revokedNodes: [], revokedKeys: [used] },
      authority.chainKey(2),
    );
    expect(a.deliverRadio(frames[0])).toBe(OK);
    const wrong = authority.chainKey(2).slice();
    wrong[0] ^= 0x80;
    expect(a.deliverRadio(encodeDisclosure(2, wrong))).toBe(ERR_NET_CHAIN);
    // K_1 presented as interval 2's key: F(K_1) = K_0, not F^2.
    expect(a.deliverRadio(encodeDisclosure(2, authority.chainKey(1)))).toBe(ERR_NET_CHAIN);
    expect(netStatus(a, NET_STATUS.revocations)).toBe(0);
    expect(linkedPeers(a)).toEqual([sides[1].node.id]);
    // The buffered REVOKE survives the bad disclosures and applies with the true key.
    expect(a.deliverRadio(encodeDisclosure(2, authority.chainKey(2)))).toBe(OK);
    expect(netStatus(a, NET_STATUS.revocations)).toBe(1);
    expect(netStatus(a, NET_STATUS.ringKeys)).toBe(7);
  });

  it("REVOKEs too far ahead are refused; later ones cannot crowd out the next interval", () => {
    const { authority, sides, used } = linkedPair("rev-crowd");
    const a = sides[0].node;
    const far = encodeRevocation(
      { interval: CHAIN_STEPS_MAX + 1, revokedNodes: [], revokedKeys: [used] },
      authority.chainKey(CHAIN_STEPS_MAX + 1),
    )[0];
    expect(a.deliverRadio(far)).toBe(ERR_NET_INTERVAL);
    // Two (forged) REVOKEs for interval 50 fill the buffer; the real one for interval 1 still
    // takes a slot, and applies when K_1 is disclosed.
    for (const id of [900, 901]) {
      const forged = encodeRevocation(
        { interval: 50, revokedNodes: [], revokedKeys: [id] },
        authority.chainKey(49),
      )[0];
      expect(a.deliverRadio(forged)).toBe(OK);
    }
    const real = encodeRevocation(
      { interval: 1, revokedNodes: [], revokedKeys: [used] },
      authority.chainKey(1),
    )[0];
    expect(a.deliverRadio(real)).toBe(OK);
    expect(a.deliverRadio(encodeDisclosure(1, authority.chainKey(1)))).toBe(OK);
    expect(netStatus(a, NET_STATUS.revocations)).toBe(1);
    expect(netStatus(a, NET_STATUS.ringKeys)).toBe(7);
  });
});
