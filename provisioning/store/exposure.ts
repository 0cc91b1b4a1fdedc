// What captured nodes expose, from the registry and the authority's ring assignment: the pool
// keys (or polynomials, or pair keys) they held, the live nodes that share them, and the
// key-sharing pairs whose link must re-key. Used by `predist report` and `predist revoke`.
//
// Which keys a link uses follows docs/protocol.md (LINK_INIT selector): eg uses the lowest shared
// key ID; q-composite hashes the SELECT_MAX lowest shared IDs (at least q); polypool uses the
// lowest shared polynomial. A link is *exposed* when every key it uses is known to the attacker,
// and *must re-key* when any key it uses is revoked (nodes drop such links on a REVOKE). The store
// knows no radio neighbourhood, so "links" are key-sharing pairs of live nodes: an upper bound.
// A polynomial of degree t is known to the attacker only when more than t captured nodes held it
// (Liu & Ning, CCS 2003); Blundo's bound, not counted here for partial captures.

import { intersect, type Authority } from "../../host/authority/index.js";
import type { NodeRecord } from "./types.js";

/** docs/protocol.md: at most this many shared key IDs enter a q-composite link key. */
export const SELECT_MAX = 8;
/** Pairs listed in a report; the counts are always complete. */
export const MAX_LISTED_PAIRS = 1000;
/** Pairs examined before the pair counts are reported as lower bounds. */
export const MAX_EXAMINED_PAIRS = 5_000_000;

const LIVE_STATES = new Set(["flashed", "verified", "deployed"]);

export interface Exposure {
  scheme: string;
  captured: number[];
  /** Captured IDs that never held keys (planned, retired, or revoked before being flashed). */
  heldNothing: number[];
  /** Pool key IDs (eg, qcomposite), broken polynomial IDs (polypool); empty otherwise. */
  exposedKeyIds: number[];
  /** Key IDs a revocation erases: all the captured rings held (eg, qcomposite), broken polys. */
  revokedKeyIds: number[];
  /** Polypool: each held polynomial with how many captured nodes held it and the degree t. */
  polynomials?: { id: number; capturedHolders: number; degree: number; broken: boolean }[];
  /** Live nodes (not captured) holding at least one exposed key, with those key IDs. */
  sharingNodes: { nodeId: number; keyIds: number[] }[];
  /** Links of the captured nodes themselves (partners for full/pairwise). */
  capturedPartners: number[];
  linksExposed: number;
  linksToRekey: number;
  /** Up to MAX_LISTED_PAIRS pairs that must re-key. */
  pairs: { a: number; b: number; keyIds: number[]; exposed: boolean }[];
  /** True when MAX_EXAMINED_PAIRS was reached and the counts are lower bounds. */
  truncated: boolean;
}

/** The key IDs a link between rings a and b uses, or undefined when they have no link. */
function usedKeys(scheme: string, shared: number[], q: number): number[] | undefined {
  if (shared.length === 0) return undefined;
  if (scheme === "qcomposite") {
    return shared.length >= q ? shared.slice(0, Math.min(SELECT_MAX, shared.length)) : undefined;
  }
  return shared.slice(0, 1);
}

/** Analyses the capture of `captured` among `nodes` (the registry); `authority` is unsealed. */
export function analyseCapture(
  authority: Authority,
  nodes: readonly NodeRecord[],
  captured: readonly number[],
): Exposure {
  const params = authority.params as Record<string, unknown> & { scheme: string };
  const scheme = params.scheme;
  const capturedSet = new Set(captured);
  const live = nodes.filter((n) => LIVE_STATES.has(n.state) && !capturedSet.has(n.nodeId));
  // Only a node that was flashed holds keys; a planned or retired ID captured exposes nothing.
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const holding = [...capturedSet].filter((id) => {
    const n = byId.get(id);
    return (
      n !== undefined &&
      (LIVE_STATES.has(n.state) || (n.state === "revoked" && n.flashedAt !== null))
    );
  });
  const result: Exposure = {
    scheme,
    captured: [...capturedSet].sort((a, b) => a - b),
    heldNothing: [...capturedSet].filter((id) => !holding.includes(id)).sort((a, b) => a - b),
    exposedKeyIds: [],
    revokedKeyIds: [],
    sharingNodes: [],
    capturedPartners: [],
    linksExposed: 0,
    linksToRekey: 0,
    pairs: [],
    truncated: false,
  };

  if (scheme === "full" || scheme === "pairwise" || scheme === "leap") {
    // Pair keys are unique to a pair: only the captured nodes' own links are exposed.
    const partners = new Set<number>();
    for (const id of holding) {
      const ids = scheme === "leap" ? live.map((n) => n.nodeId) : authority.keyIdsOf(id);
      for (const p of ids) if (!capturedSet.has(p)) partners.add(p);
    }
    result.capturedPartners = [...partners].sort((a, b) => a - b);
    result.linksExposed = result.capturedPartners.length;
    result.linksToRekey = result.capturedPartners.length;
    return result;
  }

  // eg, qcomposite, polypool: rings of key (polynomial) IDs.
  const ringOf = (id: number) => [...authority.keyIdsOf(id)].sort((a, b) => a - b);
  const held = new Map<number, number>();
  for (const id of holding) for (const k of ringOf(id)) held.set(k, (held.get(k) ?? 0) + 1);
  let exposed: Set<number>;
  if (scheme === "polypool") {
    const degree = Number(params.degree);
    result.polynomials = [...held.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([id, n]) => ({ id, capturedHolders: n, degree, broken: n > degree }));
    exposed = new Set(result.polynomials.filter((p) => p.broken).map((p) => p.id));
  } else {
    exposed = new Set(held.keys());
  }
  result.exposedKeyIds = [...exposed].sort((a, b) => a - b);
  // Revoked (erased) keys: every key a captured node held; for polypool, the broken ones only.
  const revoked = scheme === "polypool" ? exposed : new Set(held.keys());
  result.revokedKeyIds = [...revoked].sort((a, b) => a - b);

  // Index the live nodes holding a revoked key; only pairs among them can be affected.
  const rings = new Map<number, number[]>();
  const holders = new Map<number, number[]>();
  for (const node of live) {
    const ring = ringOf(node.nodeId);
    const hit = ring.filter((k) => revoked.has(k));
    if (hit.length === 0) continue;
    rings.set(node.nodeId, ring);
    const exposedHit = hit.filter((k) => exposed.has(k));
    if (exposedHit.length > 0) {
      result.sharingNodes.push({ nodeId: node.nodeId, keyIds: exposedHit });
    }
    for (const k of hit) {
      const list = holders.get(k) ?? [];
      list.push(node.nodeId);
      holders.set(k, list);
    }
  }
  const q = Number(params.q ?? 1);
  let examined = 0;
  // Pairs (a, b) with a < b, found from a's revoked keys: each pair once, memory per node only.
  outer: for (const a of [...rings.keys()].sort((x, y) => x - y)) {
    const partners = new Set<number>();
    for (const k of rings.get(a)!) {
      if (!revoked.has(k)) continue;
      for (const b of holders.get(k)!) if (b > a) partners.add(b);
    }
    for (const b of [...partners].sort((x, y) => x - y)) {
      if (++examined > MAX_EXAMINED_PAIRS) {
        result.truncated = true;
        break outer;
      }
      const used = usedKeys(scheme, intersect(rings.get(a)!, rings.get(b)!), q);
      if (!used || !used.some((k) => revoked.has(k))) continue;
      const isExposed = used.every((k) => exposed.has(k));
      result.linksToRekey++;
      if (isExposed) result.linksExposed++;
      if (result.pairs.length < MAX_LISTED_PAIRS) {
        result.pairs.push({ a, b, keyIds: used, exposed: isExposed });
      }
    }
  }
  return result;
}
