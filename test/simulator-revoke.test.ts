// The simulator's revocation run (docs/simulator.md, "Revocation"; docs/protocol.md,
// "Revocation"): after links settle, a base station broadcasts the authority's REVOKE frames
// (host/protocol encodeRevocation) and μTESLA disclosures (encodeDisclosure under the authority's
// chain) into the emulated medium; the real firmware drops links and re-links. The link tables
// are read from the firmware (net_peer); which key each link may use comes from the authority's
// rings (keyIdsOf), never from the firmware.

import { describe, expect, it } from "vitest";
import { buildImage, createAuthority, intersect } from "../host/authority/index.js";
import { runFirmware, type FirmwareLink } from "../host/simulator/firmware-engine.js";
import { stationFor } from "../host/simulator/revocation.js";
import { simulate, type SimulationConfig } from "../host/simulator/simulate.js";

// Rings of 60 from 2,000 share a key with p' = 1 - C(1940, 60) / C(2000, 60) = 0.85, so most
// pairs share several keys: revoking three captured rings (about 9 % of the pool) breaks many
// links that can be made again on the next shared key.
const config: SimulationConfig = {
  nodes: 60,
  side: 500,
  neighbours: 8,
  scheme: { scheme: "eg", pool: 2_000, ring: 60 },
  seed: "revoke-run",
  capture: [],
  captureMode: "random",
  engine: "firmware",
};
const CAPTURED = [4, 17, 33];

describe("revocation run on the firmware engine", () => {
  it("drops exactly the links on revoked keys or nodes, and no link uses one afterwards", () => {
    const authority = createAuthority({
      ...config.scheme,
      insecureSeed: `${config.seed}/authority`,
    });
    try {
      const { positions, result } = simulate({ ...config, engine: "model" });
      const ids = (i: number) => authority.keyIdsOf(i + 1);
      const revokedKeys = [...new Set(CAPTURED.flatMap(ids))].sort((a, b) => a - b);
      const revoked = new Set(revokedKeys);
      const run = runFirmware({
        positions,
        range: result.range,
        seed: config.seed,
        images: positions.map((_, i) => buildImage(authority, i + 1)),
        revoke: {
          plan: () => ({ captured: CAPTURED, keys: revokedKeys }),
          chainKey: (interval) => authority.chainKey(interval),
          intervalMs: authority.anchor.intervalMs,
          startMs: authority.anchor.startMs,
          station: stationFor(positions),
        },
      });
      expect(run.crashes).toEqual([]);
      expect(run.settled).toBe(true);
      const rev = run.revocation!;
      expect(rev.healed).toBe(true);
      // One REVOKE frame of at most 26 IDs per interval (docs/protocol.md: 2 buffered frames).
      expect(rev.intervals).toBe(Math.ceil((CAPTURED.length + revokedKeys.length) / 26));
      expect(rev.stationFrames).toBe(2 * 3 * rev.intervals);

      const captured = (l: FirmwareLink) => CAPTURED.includes(l.i) || CAPTURED.includes(l.j);
      // EG: a pair-key link uses the lowest shared key ID (docs/protocol.md, LINK_INIT selector).
      const lowestShared = (l: FirmwareLink) => intersect(ids(l.i), ids(l.j))[0]!;
      const mustDrop = rev.before.filter(
        (l) => captured(l) || (!l.path && revoked.has(lowestShared(l))),
      );
      expect(mustDrop.length).toBeGreaterThan(10);
      const key = (l: FirmwareLink) => `${l.i},${l.j}`;
      expect(rev.dropped.map(key)).toEqual(mustDrop.map(key));

      // After healing: no link with a captured node, none on a revoked key.
      const unbroken = new Set(rev.before.filter((l) => !mustDrop.includes(l)).map(key));
      expect(rev.after.filter(captured)).toEqual([]);
      for (const link of rev.after.filter((l) => !l.path)) {
        const shared = intersect(ids(link.i), ids(link.j));
        const left = shared.filter((id) => !revoked.has(id));
        if (unbroken.has(key(link))) expect(revoked.has(shared[0]!)).toBe(false);
        else expect(left.length).toBeGreaterThan(0);
      }
      // Pairs that lost their key and still share one re-linked on it.
      const relinked = rev.dropped.filter(
        (l) => !captured(l) && intersect(ids(l.i), ids(l.j)).some((id) => !revoked.has(id)),
      );
      expect(relinked.length).toBeGreaterThan(0);
      const after = new Set(rev.after.map(key));
      for (const link of relinked) expect(after.has(key(link))).toBe(true);
      // Every node holding a revoked key rewrote its image without it.
      positions.forEach((_, i) => {
        if (CAPTURED.includes(i)) return;
        const holds = ids(i).some((id) => revoked.has(id));
        expect(rev.imageRewrites[i]! > 0).toBe(holds);
      });
    } finally {
      authority.destroy();
    }
  });

  it("reports links lost, re-established and the connectivity after, the same for a seed", () => {
    const a = simulate({ ...config, revoke: 3 }).result;
    const b = simulate({ ...config, revoke: 3 }).result;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const v = a.revocation!;
    expect(v.revokedNodes).toHaveLength(3);
    expect(v.lost).toBeGreaterThan(0);
    expect(v.reestablished).toBeGreaterThan(0);
    expect(v.lost).toBe(v.reestablished + v.lostForGood);
    expect(v.linksWithRevokedNodes).toBe(0);
    expect(v.linksOnRevokedKeys).toBe(0);
    expect(v.after.nodes).toBe(config.nodes - 3);
    expect(v.after.components).toBeGreaterThanOrEqual(1);
    expect(v.after.largest).toBeLessThanOrEqual(v.after.nodes);
    expect(v.after.largestFraction).toBe(Math.round((v.after.largest / v.after.nodes) * 1e6) / 1e6);
    // The firmware re-links at most the pairs the rings still allow.
    expect(v.after.directFraction).toBeLessThanOrEqual(v.after.predictedDirectFraction);
  });

  it("is refused on the model engine and beyond the firmware's 32 revoked node IDs", () => {
    expect(() => simulate({ ...config, engine: "model", revoke: 3 })).toThrow(/firmware engine/);
    expect(() => simulate({ ...config, revoke: 33 })).toThrow(/32 revoked node IDs/);
  });
});
