// Node protocol figures (docs/protocol.md): node.wasm size; static RAM in the page with a 250-key
// ring and a full table of 32 neighbours; per scheme and side, AES blocks, frames and bytes of
// discovery plus handshake (AES blocks from the crypto core's own counter, boot apart); HELLO
// bytes of a seeded ring; handshakes per second in the emulator, with authority creation and node
// boot timed separately and excluded.
import { statSync } from "node:fs";
import type { Report } from "./harness.js";
import { EmulatedNode, RecordingMedium, DEFAULT_FIRMWARE_PATH } from "../host/emulator/index.js";
import { createAuthority, buildImage, type AuthorityOptions } from "../host/authority/index.js";
import {
  provision,
  netStatus,
  twoNodes,
  exchange,
  NET_STATUS,
  type Side,
} from "../host/protocol/testing.js";
import { encodeHello, TYPE_HELLO } from "../host/protocol/index.js";

const SCHEMES: [string, AuthorityOptions][] = [
  ["eg", { scheme: "eg", pool: 10_000, ring: 250 }],
  ["eg-seeded", { scheme: "eg", pool: 10_000, ring: 250, seeded: true }],
  ["qcomposite", { scheme: "qcomposite", pool: 1_000, ring: 60, q: 2 }],
  ["full", { scheme: "full", nodes: 100 }],
  ["pairwise", { scheme: "pairwise", nodes: 100, partners: 99 }],
  ["polypool", { scheme: "polypool", polynomials: 20, perNode: 4, degree: 20 }],
  ["leap", { scheme: "leap" }],
];
const TIMING_MS = 1_000;

function pairOf(authority: ReturnType<typeof createAuthority>): [number, number] {
  for (let v = 2; v < 100; v++) if (authority.pairKey(1, v) !== undefined) return [1, v];
  throw new Error("no linked pair");
}

function sideFigures(s: Side) {
  const frames = s.medium.frames;
  const hello = frames.filter((f) => f.frame[0] === TYPE_HELLO);
  return {
    aesBlocks: netStatus(s.node, NET_STATUS.aesBlocks),
    frames: frames.length,
    bytes: frames.reduce((n, f) => n + f.frame.length, 0),
    helloFrames: hello.length,
    helloBytes: hello.reduce((n, f) => n + f.frame.length, 0),
  };
}

export default async (report: Report) => {
  const size = statSync(DEFAULT_FIRMWARE_PATH).size;
  report({ bench: "protocol.wasm-size", bytes: size, target: 16384 });

  // RAM: a 250-key ring, then HELLOs from 32 neighbours fill the table.
  const ramAuthority = createAuthority({
    scheme: "eg",
    pool: 10_000,
    ring: 250,
    insecureSeed: "ram",
  });
  const node = new EmulatedNode({ id: 7, seed: "ram", medium: new RecordingMedium(() => 0) });
  provision(node, buildImage(ramAuthority, 7));
  const bootStatus = node.boot();
  for (let peer = 100; peer < 132; peer++) {
    const ids = ramAuthority.keyIdsOf(peer);
    for (const f of encodeHello(peer, 0xffffffff, new Uint8Array(8).fill(peer & 0xff), 2, ids)) {
      node.deliverRadio(f);
    }
  }
  report({
    bench: "protocol.ram",
    bootStatus,
    ringKeys: netStatus(node, NET_STATUS.ringKeys),
    neighbours: netStatus(node, NET_STATUS.neighbours),
    staticBytes: netStatus(node, NET_STATUS.ramBytes),
    page: 65536,
    neighbourEntryBytes: netStatus(node, NET_STATUS.entryLen),
    note: "static data end (__heap_base); every table is fixed-size and the ring stays in flash",
  });

  for (const [name, options] of SCHEMES) {
    let t = performance.now();
    const authority = createAuthority({
      ...options,
      insecureSeed: `b-${name}`,
    } as AuthorityOptions);
    const [u, v] = pairOf(authority);
    const images: [Uint8Array, Uint8Array] = [buildImage(authority, u), buildImage(authority, v)];
    const authorityMs = performance.now() - t;

    const sides = twoNodes(images, [u, v], `b-${name}`);
    const base = sides.map((s) => netStatus(s.node, NET_STATUS.aesBlocks));
    const linked = exchange(sides);
    sides.forEach((s, i) => {
      const f = sideFigures(s);
      report({
        bench: `protocol.handshake.${name}`,
        side: i === 0 ? "initiator" : "responder",
        linked,
        ...f,
        aesBlocks: f.aesBlocks - base[i],
        bootAesBlocks: base[i],
        note:
          "discovery (HELLO) and handshake; AES blocks from the crypto core's counter, " +
          "after boot (the image check at boot reported apart)",
      });
    });

    // Timing: boots (excluded) and handshakes (HELLO exchange and the three messages).
    let bootMs = 0;
    let handshakeMs = 0;
    let n = 0;
    while (handshakeMs < TIMING_MS) {
      t = performance.now();
      const pair = twoNodes(images, [u, v], `r-${name}-${n}`);
      bootMs += performance.now() - t;
      t = performance.now();
      if (!exchange(pair)) throw new Error(`${name}: no link in run ${n}`);
      handshakeMs += performance.now() - t;
      n++;
    }
    report({
      bench: `protocol.handshakes-per-second.${name}`,
      perSecond: n / (handshakeMs / 1000),
      authorityAndImagesMs: authorityMs,
      bootMsPerPair: bootMs / n,
      note: "discovery plus handshake of two fresh nodes; creation and boot excluded",
    });
  }
};
