// Path keys (docs/protocol.md, "Path keys"): three real nodes in range of each other where one
// pair shares no pair key; the lower ID asks its linked neighbour, the common neighbour forwards
// the path key, the target runs the handshake in path mode, and the pair ends linked. Which pair
// has no key is chosen from the host oracle (authority.pairKey), never from the firmware. The
// frames each keyless pair costs are counted on the medium against the bound of the docs.

import { describe, expect, it } from "vitest";
import { Emulator, UnitDiskMedium, type RadioEndpoint } from "../host/emulator/index.js";
import { createAuthority, buildImage, type AuthorityOptions } from "../host/authority/index.js";
import { provision, linkedPeers, netPeers, netSend, netRecv } from "../host/protocol/testing.js";
import { MODE_PAIR, MODE_PATH, TYPE_PATH_KEY } from "../host/protocol/index.js";

/** A unit-disk medium that also counts the frames sent, by message type. */
class CountingMedium extends UnitDiskMedium {
  readonly byType = new Map<number, number>();

  override transmit(from: RadioEndpoint, frame: Uint8Array): number {
    this.byType.set(frame[0]!, (this.byType.get(frame[0]!) ?? 0) + 1);
    return super.transmit(from, frame);
  }
}

function countingEmulator(seed: string, range: number): [Emulator, CountingMedium] {
  let medium: CountingMedium | undefined;
  const emu = new Emulator({
    seed,
    medium: (scheduler) => {
      medium = new CountingMedium(scheduler, { range, seed: `${seed}/medium` });
      return medium;
    },
  });
  return [emu, medium!];
}

/** x < z share no pair key; y shares one with each. Searched over IDs 1..limit. */
function findTriple(authority: ReturnType<typeof createAuthority>, limit: number) {
  for (let x = 1; x <= limit; x++) {
    for (let z = x + 1; z <= limit; z++) {
      if (authority.pairKey(x, z) !== undefined) continue;
      for (let y = 1; y <= limit; y++) {
        if (y === x || y === z) continue;
        if (authority.pairKey(x, y) && authority.pairKey(y, z)) return [x, y, z] as const;
      }
    }
  }
  return undefined;
}

const schemes: [string, AuthorityOptions, number][] = [
  ["eg", { scheme: "eg", pool: 60, ring: 8 }, 30],
  ["qcomposite", { scheme: "qcomposite", pool: 40, ring: 10, q: 2 }, 30],
  ["pairwise", { scheme: "pairwise", nodes: 20, partners: 4 }, 20],
  ["polypool", { scheme: "polypool", polynomials: 12, perNode: 2, degree: 2 }, 30],
  ["eg seeded", { scheme: "eg", pool: 60, ring: 8, seeded: true }, 30],
];

describe("path keys", () => {
  for (const [name, options, limit] of schemes) {
    it(`${name}: a pair sharing no key links through a common neighbour`, () => {
      const authority = createAuthority({
        ...options,
        insecureSeed: `path-${name}`,
      } as AuthorityOptions);
      const triple = findTriple(authority, limit);
      expect(triple).toBeDefined();
      const [x, y, z] = triple!;
      const [emu, medium] = countingEmulator(`path-${name}`, 50);
      for (const [i, id] of [x, y, z].entries()) {
        provision(emu.addNode({ id, position: { x: i * 5, y: 0 } }), buildImage(authority, id));
      }
      emu.bootAll();
      emu.run(10_000);
      // One request (x to y) and one forward (y to z), never repeated over 10 s.
      expect(medium.byType.get(TYPE_PATH_KEY)).toBe(2);
      expect(linkedPeers(emu.node(x))).toEqual([y, z].sort((a, b) => a - b));
      expect(linkedPeers(emu.node(z))).toEqual([x, y].sort((a, b) => a - b));
      // The x-z link is a path-key link at both ends; the links through y use the pair key.
      expect(netPeers(emu.node(x)).find((p) => p.id === z)?.mode).toBe(MODE_PATH);
      expect(netPeers(emu.node(z)).find((p) => p.id === x)?.mode).toBe(MODE_PATH);
      expect(netPeers(emu.node(x)).find((p) => p.id === y)?.mode).toBe(MODE_PAIR);
      // Both ends hold the same link key: a sealed DATA frame opens at the other end.
      expect(netSend(emu.node(x), z, Uint8Array.of(42))).toBe(0);
      emu.run(50);
      expect(netRecv(emu.node(z))).toEqual({ src: x, payload: Uint8Array.of(42) });
      expect(netSend(emu.node(z), x, Uint8Array.of(7, 7))).toBe(0);
      emu.run(50);
      expect(netRecv(emu.node(x))).toEqual({ src: z, payload: Uint8Array.of(7, 7) });
      expect(emu.crashes).toEqual([]);
    });
  }

  it("eg: no path forms when the pair has no common linked neighbour", () => {
    const authority = createAuthority({ scheme: "eg", pool: 60, ring: 8, insecureSeed: "path-eg" });
    const [x, , z] = findTriple(authority, 30)!;
    const emu = new Emulator({ seed: "path-alone", radio: { range: 50 } });
    provision(emu.addNode({ id: x, position: { x: 0, y: 0 } }), buildImage(authority, x));
    provision(emu.addNode({ id: z, position: { x: 5, y: 0 } }), buildImage(authority, z));
    emu.bootAll();
    emu.run(5_000);
    expect(linkedPeers(emu.node(x))).toEqual([]);
    expect(linkedPeers(emu.node(z))).toEqual([]);
  });

  it("eg: in a clique each keyless pair costs at most one request per asked neighbour", () => {
    const authority = createAuthority({
      scheme: "eg",
      pool: 60,
      ring: 8,
      insecureSeed: "path-clique",
    });
    const ids = Array.from({ length: 16 }, (_, i) => i + 1);
    const [emu, medium] = countingEmulator("path-clique", 1_000);
    for (const id of ids) {
      provision(emu.addNode({ id, position: { x: id, y: 0 } }), buildImage(authority, id));
    }
    emu.bootAll();
    emu.run(20_000);
    const keyless = ids.flatMap((u) =>
      ids.filter((v) => v > u && authority.pairKey(u, v) === undefined).map((v) => [u, v] as const),
    );
    expect(keyless.length).toBeGreaterThan(10);
    for (const [u, v] of keyless) {
      expect(netPeers(emu.node(u)).find((p) => p.id === v)?.mode).toBe(MODE_PATH);
    }
    // docs/protocol.md bound without loss: per pair, k requests (k <= the origin's linked
    // neighbours), one forward and one handshake. In a clique most first requests succeed.
    const bound =
      keyless.reduce((sum, [u]) => sum + linkedPeers(emu.node(u)).length, 0) + keyless.length;
    const pathFrames = medium.byType.get(TYPE_PATH_KEY)!;
    expect(pathFrames).toBeLessThanOrEqual(bound);
    expect(pathFrames).toBeLessThanOrEqual(3 * keyless.length);
    expect(emu.crashes).toEqual([]);
  });
});
