// Capture analysis (provisioning/store/exposure.ts) against a brute force over every pair of live
// nodes written here from docs/protocol.md's rule: eg links use the lowest shared key ID,
// q-composite links hash the (up to 8) lowest shared IDs when at least q are shared. Rings come
// from the authority (insecure seed: reproducible, tests only).

import { describe, expect, it } from "vitest";
import { createAuthority, type AuthorityOptions } from "../host/authority/index.js";
import { analyseCapture } from "../provisioning/store/exposure.js";
import type { NodeRecord, NodeState } from "../provisioning/store/types.js";

function node(nodeId: number, state: NodeState = "verified"): NodeRecord {
  return {
    nodeId,
    state,
    station: "t",
    scheme: null,
    serial: null,
    port: null,
    imageDigest: null,
    plannedAt: "",
    flashedAt: null,
    verifiedAt: null,
    deployedAt: null,
    revokedAt: null,
    retiredAt: null,
    reason: null,
  };
}

function registry(count: number): NodeRecord[] {
  const nodes = Array.from({ length: count }, (_, i) => node(i + 1));
  nodes[count - 1] = node(count, "planned");
  nodes[count - 2] = node(count - 1, "retired");
  return nodes;
}

function bruteForce(options: AuthorityOptions, nodes: NodeRecord[], captured: number[]) {
  const authority = createAuthority(options);
  const ring = (id: number) => new Set(authority.keyIdsOf(id));
  const held = new Set(captured.flatMap((id) => [...ring(id)]));
  const live = nodes
    .filter((n) => ["flashed", "verified", "deployed"].includes(n.state))
    .map((n) => n.nodeId)
    .filter((id) => !captured.includes(id));
  const q = "q" in options ? (options.q as number) : 1;
  let rekey = 0;
  let exposed = 0;
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = ring(live[i]);
      const shared = [...ring(live[j])].filter((k) => a.has(k)).sort((x, y) => x - y);
      if (shared.length < q || shared.length === 0) continue;
      const used = options.scheme === "qcomposite" ? shared.slice(0, 8) : shared.slice(0, 1);
      if (used.some((k) => held.has(k))) rekey++;
      if (used.every((k) => held.has(k))) exposed++;
    }
  }
  authority.destroy();
  return { rekey, exposed, held: [...held].sort((x, y) => x - y) };
}

describe("capture analysis", () => {
  const cases: AuthorityOptions[] = [
    { scheme: "eg", pool: 60, ring: 8, insecureSeed: "exposure eg" },
    { scheme: "qcomposite", pool: 40, ring: 10, q: 2, insecureSeed: "exposure q" },
  ];
  for (const options of cases) {
    it(`matches a brute force over all pairs (${options.scheme})`, () => {
      const nodes = registry(40);
      const captured = [3, 17];
      const expected = bruteForce(options, nodes, captured);
      const authority = createAuthority(options);
      const result = analyseCapture(authority, nodes, captured);
      authority.destroy();
      expect(result.captured).toEqual([3, 17]);
      expect(result.exposedKeyIds).toEqual(expected.held);
      expect(result.revokedKeyIds).toEqual(expected.held);
      expect(result.linksToRekey).toBe(expected.rekey);
      expect(result.linksExposed).toBe(expected.exposed);
      expect(result.linksToRekey).toBeGreaterThan(0);
      // Planned and retired nodes hold no keys and appear nowhere.
      const named = new Set(result.pairs.flatMap((p) => [p.a, p.b]));
      expect(named.has(40) || named.has(39)).toBe(false);
      expect(result.sharingNodes.some((n) => n.nodeId === 40 || n.nodeId === 39)).toBe(false);
    });
  }

  it("breaks a polypool polynomial only when more than t captured nodes hold it", () => {
    const options: AuthorityOptions = {
      scheme: "polypool",
      polynomials: 3,
      perNode: 2,
      degree: 2,
      insecureSeed: "exposure poly",
    };
    const authority = createAuthority(options);
    const nodes = registry(30);
    const holders = (poly: number) =>
      nodes.map((n) => n.nodeId).filter((id) => authority.keyIdsOf(id).includes(poly));
    const three = holders(0).slice(0, 3);
    const two = three.slice(0, 2);
    const few = analyseCapture(authority, nodes, two);
    expect(few.polynomials?.find((p) => p.id === 0)).toMatchObject({
      capturedHolders: 2,
      broken: false,
    });
    const many = analyseCapture(authority, nodes, three);
    expect(many.polynomials?.find((p) => p.id === 0)).toMatchObject({
      capturedHolders: 3,
      broken: true,
    });
    expect(many.exposedKeyIds).toContain(0);
    authority.destroy();
  });

  it("counts no keys for a captured ID that was never flashed", () => {
    const options: AuthorityOptions = { scheme: "eg", pool: 60, ring: 8, insecureSeed: "planned" };
    const authority = createAuthority(options);
    const nodes = registry(20);
    const result = analyseCapture(authority, nodes, [20, 19]);
    expect(result.heldNothing).toEqual([19, 20]);
    expect(result.exposedKeyIds).toEqual([]);
    expect(result.linksToRekey).toBe(0);
    authority.destroy();
  });

  it("exposes only the captured node's own links under pairwise keys", () => {
    const options: AuthorityOptions = {
      scheme: "pairwise",
      nodes: 30,
      partners: 4,
      insecureSeed: "exposure pairwise",
    };
    const authority = createAuthority(options);
    const result = analyseCapture(authority, registry(30), [5]);
    expect(result.capturedPartners).toEqual(
      authority
        .keyIdsOf(5)
        .filter((id) => id !== 5)
        .sort((a, b) => a - b),
    );
    expect(result.exposedKeyIds).toEqual([]);
    expect(result.pairs).toEqual([]);
    authority.destroy();
  });
});
