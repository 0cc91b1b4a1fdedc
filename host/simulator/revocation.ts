// The simulator's revocation run (docs/simulator.md, "Revocation"): what to revoke after capture,
// where the base station stands, and the figures of the run firmware-engine.ts performed.
//
// What is revoked: every captured node by ID (drops its links and refuses its frames), and for
// eg and q-composite every key of the captured rings, which is Eschenauer & Gligor's revocation
// (CCS 2002, section 2.2: the controller revokes the captured node's whole key ring). Polypool,
// pairwise, full and LEAP+ revoke node IDs only: their pair keys are unique to the pair, and a
// polynomial is not exposed until more than t holders fall (Liu & Ning 2003).
//
// Expected values come from the rings the authority built, never from the firmware: a link
// between uncaptured nodes that survived the revocation unbroken still uses the key it was made
// with, the lowest shared ID (eg, polypool) or every shared ID (q-composite), which must not be
// revoked; a link made again after a drop must have enough unrevoked shared keys left.

import type { SchemeParams } from "../authority/index.js";
import type { Position } from "../emulator/unit-disk.js";
import type { FirmwareLink, RevocationPlan, RevocationRun } from "./firmware-engine.js";
import { componentSizes } from "./graph.js";
import { mean, round, sharedIds } from "./stats.js";

/** assembly/net/revoke.ts REVOKED_MAX: revoked node IDs a node remembers (RAM). */
export const REVOKED_NODES_MAX = 32;
/** The base station reaches this far past the farthest node, so rounding never leaves one out. */
const STATION_MARGIN = 1;

export interface RevocationFigures {
  /** Node IDs revoked (captured), key IDs revoked, μTESLA intervals used. */
  revokedNodes: number[];
  revokedKeys: number;
  intervals: number;
  firstInterval: number;
  firstRevokeMs: number;
  lastDiscloseMs: number;
  baseStation: { position: Position; range: number; frames: number; bytes: number };
  /** Links (both ends, path keys included) when the revocation began. */
  linksBefore: number;
  /** Of those, links seen dropped; re-established by the end; still missing at the end. */
  lost: number;
  reestablished: number;
  lostForGood: number;
  /** Links at the end that were not there before (pairs linked anew, e.g. by a path key). */
  newLinks: number;
  linksAfter: number;
  /** Links at the end with a revoked node at one end: 0 when revocation worked. */
  linksWithRevokedNodes: number;
  /** Links at the end between uncaptured nodes on a revoked key (rule in the header): 0. */
  linksOnRevokedKeys: number;
  healed: boolean;
  /** Virtual ms from the last DISCLOSE to the last change of links. */
  healMs: number;
  /** The uncaptured network at the end. */
  after: {
    nodes: number;
    neighbourPairs: number;
    directLinks: number;
    pathLinks: number;
    directFraction: number;
    /** Key model: uncaptured neighbour pairs whose rings keep enough unrevoked shared keys. */
    predictedDirectFraction: number;
    components: number;
    largest: number;
    largestFraction: number;
    isolated: number;
  };
  /** Per node, over revocation and healing (means). */
  framesPerNode: number;
  aesBlocksPerNode: number;
  /** Uncaptured nodes that rewrote their image without the revoked keys. */
  imageRewrites: number;
}

/** The captured nodes (first `captured` of the capture order) and the keys to revoke. */
export function revocationPlan(
  scheme: SchemeParams,
  rings: readonly Uint32Array[],
  captured: readonly number[],
): RevocationPlan {
  const keys = new Set<number>();
  if (scheme.scheme === "eg" || scheme.scheme === "qcomposite") {
    for (const i of captured) for (const id of rings[i]!) keys.add(id);
  }
  return { captured: [...captured].sort((a, b) => a - b), keys: [...keys].sort((a, b) => a - b) };
}

/** A base station at the centre of the nodes' bounding box that reaches every node. */
export function stationFor(positions: readonly Position[]): { position: Position; range: number } {
  const xs = positions.map((p) => p.x);
  const ys = positions.map((p) => p.y);
  const position = {
    x: (Math.min(...xs) + Math.max(...xs)) / 2,
    y: (Math.min(...ys) + Math.max(...ys)) / 2,
  };
  let far = 0;
  for (const p of positions) far = Math.max(far, Math.hypot(p.x - position.x, p.y - position.y));
  return { position, range: far + STATION_MARGIN };
}

/**
 * Whether a link at the end of the run uses a revoked key. `unbroken`: present throughout, so on
 * the key it was made with; otherwise made again, so on the keys left.
 */
export function usesRevokedKey(
  scheme: SchemeParams,
  ringI: Uint32Array,
  ringJ: Uint32Array,
  revoked: ReadonlySet<number>,
  unbroken: boolean,
): boolean {
  if (scheme.scheme !== "eg" && scheme.scheme !== "qcomposite" && scheme.scheme !== "polypool") {
    return false;
  }
  const shared = sharedIds(ringI, ringJ);
  const left = shared.filter((id) => !revoked.has(id));
  if (scheme.scheme === "qcomposite") {
    return unbroken ? left.length < shared.length : left.length < scheme.q;
  }
  return unbroken ? revoked.has(shared[0]!) : left.length === 0;
}

export function revocationFigures(
  run: RevocationRun,
  context: {
    scheme: SchemeParams;
    rings: readonly Uint32Array[];
    neighbours: readonly (readonly number[])[];
  },
): RevocationFigures {
  const { scheme, rings, neighbours } = context;
  const nodes = rings.length;
  const captured = new Uint8Array(nodes);
  for (const i of run.plan.captured) captured[i] = 1;
  const revoked = new Set(run.plan.keys);
  const key = (l: FirmwareLink) => l.i * nodes + l.j;
  const before = new Set(run.before.map(key));
  const dropped = new Set(run.dropped.map(key));
  const after = new Set(run.after.map(key));

  let reestablished = 0;
  for (const k of dropped) if (after.has(k)) reestablished++;
  let lostForGood = 0;
  for (const k of before) if (!after.has(k)) lostForGood++;
  let newLinks = 0;
  for (const k of after) if (!before.has(k)) newLinks++;

  let withRevokedNodes = 0;
  let onRevokedKeys = 0;
  let direct = 0;
  let path = 0;
  const graph: number[][] = Array.from({ length: nodes }, () => []);
  for (const link of run.after) {
    if (captured[link.i] || captured[link.j]) {
      withRevokedNodes++;
      continue;
    }
    graph[link.i]!.push(link.j);
    graph[link.j]!.push(link.i);
    if (link.path) {
      path++;
      continue;
    }
    direct++;
    const unbroken = before.has(key(link)) && !dropped.has(key(link));
    if (usesRevokedKey(scheme, rings[link.i]!, rings[link.j]!, revoked, unbroken)) onRevokedKeys++;
  }

  // The uncaptured network: components over uncaptured nodes only, and the key model's share.
  const alive = [...Array(nodes).keys()].filter((i) => !captured[i]);
  const index = new Int32Array(nodes).fill(-1);
  alive.forEach((i, at) => (index[i] = at));
  const sub = alive.map((i) => graph[i]!.map((j) => index[j]!));
  const sizes = componentSizes(sub);
  let pairs = 0;
  let predicted = 0;
  for (const i of alive) {
    for (const j of neighbours[i]!) {
      if (j <= i || captured[j]) continue;
      pairs++;
      if (
        !usesRevokedKey(scheme, rings[i]!, rings[j]!, revoked, false) &&
        hasSchemeKey(scheme, rings[i]!, rings[j]!, j)
      ) {
        predicted++;
      }
    }
  }
  return {
    revokedNodes: run.plan.captured.map((i) => i + 1),
    revokedKeys: run.plan.keys.length,
    intervals: run.intervals,
    firstInterval: run.firstInterval,
    firstRevokeMs: round(run.firstRevokeMs),
    lastDiscloseMs: round(run.lastDiscloseMs),
    baseStation: {
      position: { x: round(run.station.position.x), y: round(run.station.position.y) },
      range: round(run.station.range),
      frames: run.stationFrames,
      bytes: run.stationBytes,
    },
    linksBefore: run.before.length,
    lost: dropped.size,
    reestablished,
    lostForGood,
    newLinks,
    linksAfter: run.after.length,
    linksWithRevokedNodes: withRevokedNodes,
    linksOnRevokedKeys: onRevokedKeys,
    healed: run.healed,
    healMs: round(run.healMs),
    after: {
      nodes: alive.length,
      neighbourPairs: pairs,
      directLinks: direct,
      pathLinks: path,
      directFraction: round(pairs === 0 ? 0 : direct / pairs),
      predictedDirectFraction: round(pairs === 0 ? 0 : predicted / pairs),
      components: sizes.length,
      largest: sizes[0] ?? 0,
      largestFraction: round((sizes[0] ?? 0) / Math.max(alive.length, 1)),
      isolated: sub.filter((list) => list.length === 0).length,
    },
    framesPerNode: round(mean(run.framesSent)),
    aesBlocksPerNode: round(mean(run.aesBlocks)),
    imageRewrites: alive.filter((i) => run.imageRewrites[i]! > 0).length,
  };
}

/** Whether the rings give the pair a scheme key at all (before any revocation). */
function hasSchemeKey(
  scheme: SchemeParams,
  ringI: Uint32Array,
  ringJ: Uint32Array,
  j: number,
): boolean {
  switch (scheme.scheme) {
    case "full":
    case "leap":
      return true;
    case "pairwise":
      return ringI.includes(j + 1);
    case "qcomposite":
      return sharedIds(ringI, ringJ).length >= scheme.q;
    default:
      return sharedIds(ringI, ringJ).length >= 1;
  }
}
