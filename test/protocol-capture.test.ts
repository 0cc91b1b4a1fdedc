// What an adversary who captures a node reads out of its flash and memory (docs/protocol.md,
// "What each key protects"; FIELD.md capture column): exactly what the scheme predicts. eg and
// q-composite: the node's ring keys and no other pool key; full and pairwise: its own pair keys
// and no pair key of two other nodes; LEAP+ after erasure: its own K_u, no K_IN, no other node's
// K_v and no pair key of two other nodes. Every key searched for comes from the host authority.

import { describe, expect, it } from "vitest";
import { Emulator } from "../host/emulator/index.js";
import { createAuthority, buildImage, type AuthorityOptions } from "../host/authority/index.js";
import { LABEL, le32 } from "../host/authority/derive.js";
import { kdf } from "../host/crypto/index.js";
import { provision, linkedPeers } from "../host/protocol/testing.js";

const LEAP_ERASE_MS = 10_000;
const IDS = [1, 2, 3, 4, 5];
const CAPTURED = 3;

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
}

function capturedNetwork(options: AuthorityOptions, runMs: number) {
  const authority = createAuthority({
    ...options,
    insecureSeed: `capture-${options.scheme}`,
  } as AuthorityOptions);
  const emu = new Emulator({ seed: `capture-${options.scheme}`, radio: { range: 100 } });
  for (const id of IDS) {
    provision(emu.addNode({ id, position: { x: id, y: 0 } }), buildImage(authority, id));
  }
  emu.bootAll();
  emu.run(runMs);
  expect(linkedPeers(emu.node(CAPTURED)).length).toBeGreaterThan(0);
  const { flash, memory } = emu.capture(CAPTURED);
  const found = (key: Uint8Array) => contains(flash, key) || contains(memory, key);
  return { authority, found, flash, memory };
}

const others = IDS.filter((id) => id !== CAPTURED);
const otherPairs = others.flatMap((u) => others.filter((v) => v > u).map((v) => [u, v] as const));

describe("captured-node readout", () => {
  for (const options of [
    { scheme: "eg", pool: 40, ring: 8 },
    { scheme: "qcomposite", pool: 40, ring: 10, q: 2 },
  ] as AuthorityOptions[]) {
    it(`${options.scheme}: exactly the node's ring keys`, () => {
      const { authority, found } = capturedNetwork(options, 5_000);
      const ring = authority.keyIdsOf(CAPTURED);
      const exposed = [];
      for (let id = 0; id < 40; id++) if (found(authority.poolKey(id))) exposed.push(id);
      expect(exposed).toEqual(ring);
    });
  }

  for (const options of [
    { scheme: "full", nodes: 5 },
    { scheme: "pairwise", nodes: 5, partners: 3 },
  ] as AuthorityOptions[]) {
    it(`${options.scheme}: only the node's own pair keys`, () => {
      const { authority, found } = capturedNetwork(options, 3_000);
      for (const v of others) {
        const key = authority.pairKey(CAPTURED, v);
        if (key !== undefined) expect(found(key)).toBe(true);
      }
      for (const [u, v] of otherPairs) {
        const key = authority.pairKey(u, v);
        if (key !== undefined) expect(found(key)).toBe(false);
      }
    });
  }

  it("leap after erasure: its own K_u, no K_IN, no other node's key", () => {
    const { authority, found } = capturedNetwork({ scheme: "leap" }, LEAP_ERASE_MS + 1_000);
    const kin = authority.initialKey();
    const nodeKey = (u: number) => kdf(kin, LABEL.leapNode, le32(u));
    expect(found(kin)).toBe(false);
    expect(found(nodeKey(CAPTURED))).toBe(true);
    for (const v of others) expect(found(nodeKey(v))).toBe(false);
    for (const [u, v] of otherPairs) expect(found(authority.pairKey(u, v)!)).toBe(false);
  });

  it("leap before erasure: K_IN is exposed (the window LEAP+ accepts)", () => {
    const { authority, found } = capturedNetwork({ scheme: "leap" }, 2_000);
    expect(found(authority.initialKey())).toBe(true);
  });
});
