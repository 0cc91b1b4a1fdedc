// Polypool links and the compact HELLO of seeded rings (docs/protocol.md, "HELLO"; docs/schemes.md,
// "Polynomial pool" and "Ring generator"): two real nodes link, the LINK_RESP tag and a sealed
// DATA frame verify under the link key the host oracle derives from authority.pairKey, and a
// seeded ring is announced in one HELLO of 23 bytes whose draw count is the authority's.

import { describe, expect, it } from "vitest";
import {
  createAuthority,
  buildImage,
  intersect,
  type AuthorityOptions,
} from "../host/authority/index.js";
import {
  twoNodes,
  exchange,
  netSend,
  netPeers,
  netStatus,
  NET_STATUS,
} from "../host/protocol/testing.js";
import {
  decodeHello,
  decodeLinkInit,
  decodeLinkResp,
  linkKeys,
  openFrame,
  TYPE_HELLO,
  TYPE_LINK_INIT,
  TYPE_LINK_RESP,
} from "../host/protocol/index.js";

/** The largest HELLO a seeded ring may take (the brief's target). */
const SEEDED_HELLO_MAX = 32;

function linkAgainstOracle(options: AuthorityOptions, seed: string) {
  const authority = createAuthority({ ...options, insecureSeed: seed } as AuthorityOptions);
  let u = 1;
  let v = 2;
  while (authority.pairKey(u, v) === undefined) v++;
  const sides = twoNodes([buildImage(authority, u), buildImage(authority, v)], [u, v], seed);
  expect(netStatus(sides[0].node, NET_STATUS.ring)).toBe(0);
  expect(exchange(sides)).toBe(true);
  const [a, b] = sides;
  const init = decodeLinkInit(a.medium.frames.find((f) => f.frame[0] === TYPE_LINK_INIT)!.frame);
  const resp = decodeLinkResp(b.medium.frames.find((f) => f.frame[0] === TYPE_LINK_RESP)!.frame);
  const oracle = linkKeys(authority.pairKey(u, v)!, u, v, init.nonce, resp.nonce);
  expect(resp.tag).toEqual(oracle.tagR);
  expect(netSend(a.node, v, Uint8Array.of(4, 2))).toBe(0);
  expect(openFrame(oracle.linkKey, a.medium.frames.at(-1)!.frame).payload).toEqual(
    Uint8Array.of(4, 2),
  );
  return { authority, u, v, sides, init };
}

describe("polypool links", () => {
  for (const lanes of [1, 5]) {
    it(`${lanes} lane(s): both ends derive the oracle's pair key`, () => {
      const { authority, u, v, init } = linkAgainstOracle(
        { scheme: "polypool", polynomials: 6, perNode: 2, degree: 3, lanes },
        `poly-${lanes}`,
      );
      expect(init.selector).toEqual([intersect(authority.keyIdsOf(u), authority.keyIdsOf(v))[0]]);
    });
  }
});

describe("seeded rings: compact HELLO", () => {
  for (const options of [
    { scheme: "eg", pool: 10_000, ring: 250, seeded: true },
    { scheme: "qcomposite", pool: 200, ring: 30, q: 2, seeded: true },
    { scheme: "polypool", polynomials: 8, perNode: 3, degree: 2, seeded: true },
  ] as AuthorityOptions[]) {
    const title = `${options.scheme}: one HELLO of <= ${SEEDED_HELLO_MAX} bytes`;
    it(`${title}, link under the oracle's key`, () => {
      const { authority, u, v, sides } = linkAgainstOracle(options, `seeded-${options.scheme}`);
      const hellos = sides[0].medium.frames.filter((f) => f.frame[0] === TYPE_HELLO);
      expect(hellos.length).toBe(1);
      expect(hellos[0].frame.length).toBeLessThanOrEqual(SEEDED_HELLO_MAX);
      expect(decodeHello(hellos[0].frame).body).toEqual([authority.ringOf(u).draws]);
      // The responder regenerated the whole ring: it selected exactly the shared IDs.
      const shared = intersect(authority.keyIdsOf(u), authority.keyIdsOf(v));
      const peer = netPeers(sides[1].node).find((p) => p.id === u)!;
      expect(peer.selectorCount).toBe(Math.min(shared.length, 27));
    });
  }
});
