// Node protocol figures (docs/protocol.md): node.wasm size, static RAM in the page, AES blocks,
// frames and bytes per eg handshake and side, and handshakes per second in the emulator.
import { statSync } from "node:fs";
import type { Report } from "./harness.js";
import { EmulatedNode, RecordingMedium, DEFAULT_FIRMWARE_PATH } from "../host/emulator/index.js";
import { createAuthority, buildImage } from "../host/authority/index.js";
import { provision, netStatus, linkedPeers, NET_STATUS } from "../host/protocol/testing.js";

function handshake(seed: string, scheme: "eg" | "full" | "leap") {
  const authority = scheme === "eg"
    ? createAuthority({ scheme, pool: 20, ring: 10, insecureSeed: seed })
    : scheme === "full" ? createAuthority({ scheme, nodes: 8, insecureSeed: seed })
    : createAuthority({ scheme, insecureSeed: seed });
  const sides = [3, 5].map((id) => {
    const medium = new RecordingMedium(() => 0);
    const node = new EmulatedNode({ id, seed, medium });
    provision(node, buildImage(authority, id));
    node.boot();
    return { node, medium, taken: 0, base: 0 };
  });
  for (const s of sides) s.base = netStatus(s.node, NET_STATUS.aesBlocks);
  for (let round = 0; round < 20; round++) {
    for (const [from, to] of [[sides[0], sides[1]], [sides[1], sides[0]]]) {
      from.node.advance(10);
      while (from.taken < from.medium.frames.length) {
        to.node.deliverRadio(from.medium.frames[from.taken++].frame);
      }
    }
    if (linkedPeers(sides[0].node).length && linkedPeers(sides[1].node).length) break;
  }
  return sides;
}

export default async (report: Report) => {
  report({ bench: "protocol.wasm-size", bytes: statSync(DEFAULT_FIRMWARE_PATH).size, target: 16384 });
  const authority = createAuthority({ scheme: "eg", pool: 10000, ring: 250, insecureSeed: "ram" });
  const node = new EmulatedNode({ id: 7, seed: "ram" });
  provision(node, buildImage(authority, 7));
  node.boot();
  report({
    bench: "protocol.ram", staticBytes: netStatus(node, NET_STATUS.ramBytes), page: 65536,
    ringKeys: netStatus(node, NET_STATUS.ringKeys), neighbourEntryBytes: netStatus(node, 14),
    note: "static data end (__heap_base): tables are fixed-size, so 32 neighbours use no more",
  });
  for (const scheme of ["eg", "full", "leap"] as const) {
    const sides = handshake(`b-${scheme}`, scheme);
    sides.forEach((s, i) => report({
      bench: `protocol.handshake.${scheme}`, side: i === 0 ? "initiator" : "responder",
      aesBlocks: netStatus(s.node, NET_STATUS.aesBlocks) - s.base,
      frames: s.medium.frames.length, bytes: s.medium.frames.reduce((n, f) => n + f.frame.length, 0),
      note: "aesBlocks counted after boot (the boot-time image CMAC is excluded)",
    }));
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 1000) {
      handshake(`r-${scheme}-${n}`, scheme);
      n++;
    }
    report({ bench: `protocol.handshakes-per-second.${scheme}`,
      perSecond: n / ((performance.now() - start) / 1000), note: "includes node creation and boot" });
  }
};
