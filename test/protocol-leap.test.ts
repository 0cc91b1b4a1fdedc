// LEAP+ key erasure (docs/protocol.md, "LEAP+ key erasure"; Zhu, Setia & Jajodia): after the
// discovery timer a node's flash and memory no longer hold K_IN, links made before keep working,
// the image still boots, and a later joiner that holds K_IN links with an old node from either
// side of the ID order. K_IN and the pair keys come from the host authority.

import { describe, expect, it } from "vitest";
import { Emulator } from "../host/emulator/index.js";
import { createAuthority, buildImage } from "../host/authority/index.js";
import {
  provision,
  linkedPeers,
  netSend,
  netRecv,
  netStatus,
  NET_STATUS,
} from "../host/protocol/testing.js";

/** LEAP_ERASE_MS of assembly/net/config.ts: the end of the discovery phase. */
const LEAP_ERASE_MS = 10_000;

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
}

describe("LEAP+ K_IN erasure", () => {
  it("after the timer K_IN is gone from flash and memory and links keep working", () => {
    const authority = createAuthority({ scheme: "leap", insecureSeed: "leap-erase" });
    const kin = authority.initialKey();
    const emu = new Emulator({ seed: "leap-erase", radio: { range: 100 } });
    for (const id of [4, 9]) {
      provision(emu.addNode({ id, position: { x: id, y: 0 } }), buildImage(authority, id));
    }
    emu.bootAll();
    emu.run(2_000);
    const [a, b] = [emu.node(4), emu.node(9)];
    expect(linkedPeers(a)).toEqual([9]);
    // Before the timer, the image holds K_IN (the readout a capture then gets).
    expect(contains(a.captureFlash(), kin)).toBe(true);

    emu.run(LEAP_ERASE_MS);
    for (const node of [a, b]) {
      expect(contains(node.captureFlash(), kin)).toBe(false);
      expect(contains(node.captureMemory(), kin)).toBe(false);
      // The node's own K_u stays: it is what later joiners' pair keys rest on.
      expect(netStatus(node, NET_STATUS.ringKeys)).toBe(1);
    }
    expect(netSend(a, 9, Uint8Array.of(5))).toBe(0);
    expect(netSend(b, 4, Uint8Array.of(6))).toBe(0);
    emu.run(50);
    expect(netRecv(b)).toEqual({ src: 4, payload: Uint8Array.of(5) });
    expect(netRecv(a)).toEqual({ src: 9, payload: Uint8Array.of(6) });

    // The erased image still verifies after a reset, and K_IN does not come back.
    a.reboot();
    expect(netStatus(a, NET_STATUS.ring)).toBe(0);
    expect(contains(a.captureMemory(), kin)).toBe(false);
    expect(emu.crashes).toEqual([]);
  });

  for (const joiner of [2, 20]) {
    it(`a later joiner (ID ${joiner}) holding K_IN links with erased nodes 4 and 9`, () => {
      const authority = createAuthority({ scheme: "leap", insecureSeed: "leap-join" });
      const emu = new Emulator({ seed: `leap-join-${joiner}`, radio: { range: 100 } });
      for (const id of [4, 9]) {
        provision(emu.addNode({ id, position: { x: id, y: 0 } }), buildImage(authority, id));
      }
      emu.bootAll();
      emu.run(LEAP_ERASE_MS + 1_000);
      expect(contains(emu.node(4).captureFlash(), authority.initialKey())).toBe(false);
      const late = emu.addNode({ id: joiner, position: { x: 1, y: 1 } });
      provision(late, buildImage(authority, joiner));
      late.boot();
      emu.run(5_000);
      expect(linkedPeers(late)).toEqual([4, 9]);
      expect(netSend(late, 4, Uint8Array.of(1))).toBe(0);
      emu.run(50);
      expect(netRecv(emu.node(4))).toEqual({ src: joiner, payload: Uint8Array.of(1) });
      // The old pair keeps its link; the joiner erases K_IN after its own discovery phase.
      expect(linkedPeers(emu.node(4))).toContain(9);
      emu.run(LEAP_ERASE_MS);
      expect(contains(late.captureFlash(), authority.initialKey())).toBe(false);
    });
  }
});
