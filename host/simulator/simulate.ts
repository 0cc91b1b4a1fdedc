// The network simulator behind `predist simulate` (docs/simulator.md): places N nodes, provisions
// each with a real image from the key authority (host/authority, host/image), runs the network,
// and measures what FIELD.md's analyses predict: the fraction of neighbour pairs with a direct
// key, secure-graph connectivity, path-key hop counts, traffic, and the links an adversary who
// captured x nodes can derive. Every measurement sits beside its prediction from host/analytics.
//
// Two engines:
// - "firmware" (default): every node runs the real node.wasm on the emulator with its image in
//   flash until links settle (firmware-engine.ts). The figures a user reads first (direct keys,
//   components, path keys, frames and bytes on air, AES blocks, settle time, capture) are the
//   firmware's; the key model's figures are kept beside them in `model`.
// - "model": two neighbours have a direct key when their decoded rings share what the scheme
//   needs (eg: >= 1 key ID, qcomposite: >= q, polypool: a polynomial, pairwise: each is the
//   other's partner, full and leap: always); frames and bytes on air are modelled from
//   docs/protocol.md's message sizes without path-key traffic. Fast: N = 1,000 in about a second;
//   for big sweeps.
// With `revoke`, the firmware engine then revokes the captured nodes by μTESLA broadcast and lets
// the network heal (firmware-engine.ts, revocation.ts).
//
// Deterministic: placement, capture order, firmware randomness, loss and the authority's master
// all derive from `seed`.

import { buildImage, createAuthority, type SchemeParams } from "../authority/index.js";
import { Prng } from "../emulator/random.js";
import type { Position } from "../emulator/unit-disk.js";
import { decodeImage } from "../image/index.js";
import { compromisedFraction, erdosRenyiDegree, linkProbability } from "../analytics/index.js";
import { placeUniform, rangeForNeighbours, unitDiskNeighbours } from "./deploy.js";
import { boundedBfs, componentSizes } from "./graph.js";
import { runFirmware, type FirmwareLink } from "./firmware-engine.js";
import { max, mean, round, sharedCount, sharedIds } from "./stats.js";
import {
  REVOKED_NODES_MAX,
  revocationFigures,
  revocationPlan,
  stationFor,
  type RevocationFigures,
} from "./revocation.js";

/**
 * docs/protocol.md, "Path keys": a path key travels two links, origin to a linked neighbour to
 * the target, over direct or path-key links alike; so a pair is reachable when repeated two-link
 * steps connect it (the key model's closure in modelPathKeys).
 */
export const PATH_KEY_LINKS = 2;
/** Hop counts over direct links are reported up to this; longer ones are counted as "more". */
export const HOPS_REPORTED_MAX = 4;
const HOPS_MORE = "more";
/** docs/protocol.md frame sizes used by the air model. */
const HELLO_FIXED = 19;
const HELLO_IDS_MAX = 27;
const LINK_INIT_FIXED = 19;
const LINK_RESP_LEN = 25;
const LINK_CONFIRM_LEN = 17;
const SEEDED_HELLO_BODY = 4;
/** Bisection steps for the connectivity probability (each halves an interval of (0, 1)). */
const CONNECTIVITY_STEPS = 60;

export type CaptureMode = "random" | "best";
export type Engine = "firmware" | "model";

export interface SimulationConfig {
  nodes: number;
  /** Side of the square field (ignored for given positions: their bounding square is used). */
  side: number;
  /** Radio range; or give `neighbours`. */
  range?: number;
  /** Wanted mean neighbour count n'; range = side sqrt(n' / (pi (N - 1))). */
  neighbours?: number;
  /** Given positions (node ID = index + 1); otherwise uniform at random from the seed. */
  positions?: readonly Position[];
  scheme: SchemeParams;
  seed: string;
  /** Captured node counts to evaluate, e.g. [0, 10, 50]. */
  capture: readonly number[];
  captureMode: CaptureMode;
  /** "firmware" (default): node.wasm on the emulator until links settle; "model": rings only. */
  engine?: Engine;
  /** Firmware engine: per-copy frame loss of the unit-disk medium (default 0). */
  lossRate?: number;
  /** Firmware engine: virtual ms without a new link that ends the run (default 5,000). */
  settleMs?: number;
  /**
   * Firmware engine: after links settle, capture this many nodes (in `captureMode` order) and
   * revoke them by μTESLA broadcast, then let the network heal. At most REVOKED_NODES_MAX.
   */
  revoke?: number;
}

export interface ComponentFigures {
  count: number;
  largest: number;
  largestFraction: number;
  /** Nodes without a secure link. */
  isolated: number;
  /** The ten largest component sizes. */
  sizes: number[];
}

export interface PathKeyFigures {
  /** Neighbour pairs without a direct key. */
  keylessPairs: number;
  /**
   * Key-less pairs linked by a path key (firmware), or reachable by repeated two-link steps
   * (model: PATH_KEY_LINKS).
   */
  links: number;
  /**
   * hops[h]: path-key pairs whose shortest path over direct links has h hops (2 ..
   * HOPS_REPORTED_MAX, then "more"). Model: over the rings' direct links; firmware: over the
   * direct links it built.
   */
  hops: Record<string, number>;
  /** Key-less pairs left unlinked (firmware) or out of reach (model). */
  beyondReach: number;
  resolvedFraction: number;
  largestFractionWithPathKeys: number;
}

export interface AirFigures {
  /** "firmware": counted by the medium; "model": docs/protocol.md sizes, no path-key traffic. */
  source: Engine;
  framesMean: number;
  framesMax: number;
  bytesMean: number;
  bytesMax: number;
}

/** The key model's own figures, kept beside the firmware's (engine firmware). */
export interface ModelFigures {
  directPairs: number;
  directFraction: number;
  meanSecureDegree: number;
  components: ComponentFigures;
  pathKeys: PathKeyFigures;
  air: AirFigures;
}

/** What only the firmware run has. */
export interface FirmwareFigures {
  settled: boolean;
  settleMs: number;
  virtualMs: number;
  /** All links, and those on a path key. */
  links: number;
  pathLinks: number;
  /** Frames per node until the last new link, and per node per second after it. */
  framesToSettleMean: number;
  framesAfterSettlePerSecond: number;
  bootFailures: number;
  crashes: number;
}

export interface CapturePoint {
  captured: number;
  mode: CaptureMode;
  /** Direct links between uncaptured nodes. */
  links: number;
  /** Of those, links whose key material the adversary holds. */
  compromised: number;
  fraction: number;
  /** Analytic prediction for random capture (null where none applies). */
  predicted: number | null;
}

export interface SimulationResult {
  engine: Engine;
  seed: string;
  scheme: SchemeParams;
  nodes: number;
  side: number;
  range: number;
  wantedNeighbours: number | null;
  meanNeighbours: number;
  neighbourPairs: number;
  /** The engine's direct links (firmware: both ends linked on a scheme key). */
  directPairs: number;
  directFraction: number;
  /** host/analytics linkProbability. */
  predictedShareProbability: number;
  meanSecureDegree: number;
  /** Predicted share probability times the measured mean neighbour count (EG 2002, 3.2). */
  predictedSecureDegree: number;
  components: ComponentFigures & {
    /**
     * EG 2002 section 3.2's Erdős–Rényi sizing read backwards: the Pc whose expected degree
     * d = ((n-1)/n)(ln n - ln(-ln Pc)) equals the predicted secure degree.
     */
    predictedConnectedProbability: number;
  };
  pathKeys: PathKeyFigures;
  air: AirFigures;
  /** AES blocks per node, mean (firmware `aes_blocks`); null for the model engine. */
  aesBlocksMean: number | null;
  /** Virtual ms of the last new link (firmware), else null. */
  settleMs: number | null;
  capture: CapturePoint[];
  model: ModelFigures | null;
  firmware: FirmwareFigures | null;
  revocation: RevocationFigures | null;
}

/** Internal state kept for the HTML report (map) and tests. */
export interface SimulationDetail {
  result: SimulationResult;
  positions: readonly Position[];
  /** The engine's direct links as index pairs (i < j). */
  links: [number, number][];
  /** Neighbour pairs without the engine's direct link, as index pairs (i < j). */
  keyless: [number, number][];
  /** Every link the firmware built, path keys included (firmware engine), else null. */
  firmwareLinks: FirmwareLink[] | null;
}

function ringSize(scheme: SchemeParams): number {
  switch (scheme.scheme) {
    case "eg":
    case "qcomposite":
      return scheme.ring;
    case "polypool":
      return scheme.perNode;
    case "pairwise":
      return scheme.partners;
    case "full":
      return scheme.nodes - 1;
    case "leap":
      return 1;
  }
}

/**
 * The Pc of EG 2002 section 3.2 (host/analytics erdosRenyiDegree) whose expected degree is
 * `degree`, by bisection: the sizing formula is increasing in Pc.
 */
export function connectedProbability(nodes: number, degree: number): number {
  let lo = 0;
  let hi = 1;
  for (let step = 0; step < CONNECTIVITY_STEPS; step++) {
    const mid = (lo + hi) / 2;
    if (mid <= 0 || mid >= 1) break;
    if (erdosRenyiDegree(nodes, mid) <= degree) lo = mid;
    else hi = mid;
  }
  return lo;
}

function adjacency(nodes: number, links: readonly (readonly [number, number])[]): number[][] {
  const out: number[][] = Array.from({ length: nodes }, () => []);
  for (const [i, j] of links) {
    out[i]!.push(j);
    out[j]!.push(i);
  }
  return out;
}

function componentFigures(graph: readonly (readonly number[])[]): ComponentFigures {
  const sizes = componentSizes(graph);
  return {
    count: sizes.length,
    largest: sizes[0] ?? 0,
    largestFraction: round((sizes[0] ?? 0) / Math.max(graph.length, 1)),
    isolated: graph.filter((list) => list.length === 0).length,
    sizes: sizes.slice(0, 10),
  };
}

function airFigures(
  source: Engine,
  frames: ArrayLike<number>,
  bytes: ArrayLike<number>,
): AirFigures {
  return {
    source,
    framesMean: round(mean(frames)),
    framesMax: max(frames),
    bytesMean: round(mean(bytes)),
    bytesMax: max(bytes),
  };
}

/**
 * Hop counts over `direct` links between the ends of each pair (bounded BFS, one per source).
 */
function hopCounts(
  direct: readonly (readonly number[])[],
  pairs: readonly (readonly [number, number])[],
): Record<string, number> {
  const nodes = direct.length;
  const hops: Record<string, number> = {};
  const dist = new Int32Array(nodes).fill(-1);
  const queue = new Int32Array(nodes);
  const bySource = new Map<number, number[]>();
  for (const [i, j] of pairs) {
    const list = bySource.get(i);
    if (list === undefined) bySource.set(i, [j]);
    else list.push(j);
  }
  for (const [i, targets] of bySource) {
    const reached = boundedBfs(direct, i, HOPS_REPORTED_MAX, dist, queue);
    for (const j of targets) {
      const key = dist[j] === -1 ? HOPS_MORE : String(dist[j]);
      hops[key] = (hops[key] ?? 0) + 1;
    }
    for (let q = 0; q < reached; q++) dist[queue[q]!] = -1;
  }
  return sortedHops(hops);
}

/**
 * Key model path keys: a key-less pair links when some node is linked to both (PATH_KEY_LINKS),
 * repeated until nothing changes, since a path-key link carries later path keys too.
 */
function modelPathKeys(secure: number[][], keyless: [number, number][]): PathKeyFigures {
  const linked = secure.map((list) => new Set(list));
  const resolved: [number, number][] = [];
  let pending = keyless;
  for (let changed = true; changed;) {
    changed = false;
    const next: [number, number][] = [];
    for (const pair of pending) {
      const [i, j] = pair;
      const [a, b] = linked[i]!.size <= linked[j]!.size ? [i, j] : [j, i];
      let common = false;
      for (const w of linked[a]!) {
        if (linked[b]!.has(w)) {
          common = true;
          break;
        }
      }
      if (common) {
        linked[i]!.add(j);
        linked[j]!.add(i);
        resolved.push(pair);
        changed = true;
      } else {
        next.push(pair);
      }
    }
    pending = next;
  }
  const withPaths = linked.map((set) => [...set]);
  return {
    keylessPairs: keyless.length,
    links: resolved.length,
    hops: hopCounts(secure, resolved),
    beyondReach: pending.length,
    resolvedFraction: round(keyless.length === 0 ? 1 : resolved.length / keyless.length),
    largestFractionWithPathKeys: round((componentSizes(withPaths)[0] ?? 0) / secure.length),
  };
}

/**
 * Firmware path keys: each path-key link's hop count is its shortest path over the firmware's
 * direct links; key-less pairs the firmware left unlinked are beyond reach.
 */
function firmwarePathKeys(
  nodes: number,
  links: readonly FirmwareLink[],
  keylessPairs: number,
): PathKeyFigures {
  const direct = adjacency(
    nodes,
    links.filter((l) => !l.path).map((l) => [l.i, l.j] as const),
  );
  const paths = links.filter((l) => l.path).map((l) => [l.i, l.j] as const);
  const all = adjacency(
    nodes,
    links.map((l) => [l.i, l.j] as const),
  );
  return {
    keylessPairs,
    links: paths.length,
    hops: hopCounts(direct, paths),
    beyondReach: keylessPairs - paths.length,
    resolvedFraction: round(keylessPairs === 0 ? 1 : paths.length / keylessPairs),
    largestFractionWithPathKeys: round((componentSizes(all)[0] ?? 0) / nodes),
  };
}

function sortedHops(hops: Record<string, number>): Record<string, number> {
  const order = (key: string) => (key === HOPS_MORE ? Infinity : Number(key));
  const keys = Object.keys(hops).sort((a, b) => order(a) - order(b));
  return Object.fromEntries(keys.map((k) => [k, hops[k]!]));
}

/**
 * Capture order of node indexes: random, a seeded shuffle (so the first 10 are a subset of the
 * first 20); best, highest secure degree first, ties by ID.
 */
export function captureOrder(
  mode: CaptureMode,
  seed: string,
  secure: readonly (readonly number[])[],
): number[] {
  const nodes = secure.length;
  const order = [...Array(nodes).keys()];
  if (mode === "random") {
    const prng = new Prng(seed, "predist-simulate-capture");
    for (let i = nodes - 1; i > 0; i--) {
      const j = prng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  } else {
    order.sort((a, b) => secure[b]!.length - secure[a]!.length || a - b);
  }
  return order;
}

/** Runs one configuration. */
export function simulate(config: SimulationConfig): SimulationDetail {
  const prng = new Prng(config.seed, "predist-simulate-placement");
  const positions = config.positions ?? placeUniform(config.nodes, config.side, prng);
  const nodes = positions.length;
  let range: number;
  if (config.range !== undefined) {
    if (!(config.range > 0)) throw new RangeError(`range: expected > 0, got ${config.range}`);
    range = config.range;
  } else if (config.neighbours !== undefined) {
    range = rangeForNeighbours(config.side, nodes, config.neighbours);
  } else {
    throw new TypeError("give a range or a wanted neighbour count");
  }
  const scheme = config.scheme;
  if ((scheme.scheme === "full" || scheme.scheme === "pairwise") && scheme.nodes < nodes) {
    throw new RangeError(
      `${scheme.scheme}: the scheme is sized for ${scheme.nodes} nodes, ` +
        `the deployment has ${nodes}`,
    );
  }
  const engine = config.engine ?? "firmware";
  if (config.revoke !== undefined) {
    if (engine !== "firmware") throw new RangeError("revoke: needs the firmware engine");
    if (
      !Number.isInteger(config.revoke) ||
      config.revoke < 1 ||
      config.revoke > Math.min(REVOKED_NODES_MAX, nodes)
    ) {
      throw new RangeError(
        `revoke: expected 1..${Math.min(REVOKED_NODES_MAX, nodes)} nodes ` +
          `(the firmware remembers ${REVOKED_NODES_MAX} revoked node IDs), got ${config.revoke}`,
      );
    }
  }
  for (const x of config.capture) {
    if (!Number.isInteger(x) || x < 0 || x > nodes) {
      throw new RangeError(`capture: expected 0..${nodes} nodes, got ${x}`);
    }
  }

  // Provision: one real image per node, decoded as the node would read it. The authority lives
  // on through the firmware run: a revocation needs its μTESLA chain.
  const authority = createAuthority({ ...scheme, insecureSeed: `${config.seed}/authority` });
  try {
    const rings: Uint32Array[] = [];
    const images: Uint8Array[] = [];
    for (let i = 0; i < nodes; i++) {
      const bytes = buildImage(authority, i + 1);
      if (engine === "firmware") images.push(bytes);
      const image = decodeImage(bytes);
      rings.push(Uint32Array.from(image.records.map((record) => record.id)));
      for (const record of image.records) record.key?.fill(0);
      image.nodeKey.fill(0);
      image.initialKey?.fill(0);
    }

    // The key model: neighbours and direct keys.
    const neighbours = unitDiskNeighbours(positions, range);
    const need = scheme.scheme === "qcomposite" ? scheme.q : 1;
    const modelLinks: [number, number][] = [];
    const modelKeyless: [number, number][] = [];
    for (let i = 0; i < nodes; i++) {
      for (const j of neighbours[i]!) {
        if (j <= i) continue;
        let direct: boolean;
        switch (scheme.scheme) {
          case "full":
          case "leap":
            direct = true;
            break;
          case "pairwise":
            direct = rings[i]!.includes(j + 1);
            break;
          default:
            direct = sharedCount(rings[i]!, rings[j]!, need) >= need;
        }
        (direct ? modelLinks : modelKeyless).push([i, j]);
      }
    }
    const neighbourPairs = modelLinks.length + modelKeyless.length;
    const modelSecure = adjacency(nodes, modelLinks);
    const model: ModelFigures = {
      directPairs: modelLinks.length,
      directFraction: round(neighbourPairs === 0 ? 0 : modelLinks.length / neighbourPairs),
      meanSecureDegree: round((2 * modelLinks.length) / nodes),
      components: componentFigures(modelSecure),
      pathKeys: modelPathKeys(modelSecure, modelKeyless),
      air: modelAir(scheme, rings, neighbours, modelLinks),
    };

    // The engine's links: the firmware's, or the model's.
    let links = modelLinks;
    let keyless = modelKeyless;
    let secure = modelSecure;
    let pathKeys = model.pathKeys;
    let air = model.air;
    let firmware: FirmwareFigures | null = null;
    let firmwareLinks: FirmwareLink[] | null = null;
    let aesBlocksMean: number | null = null;
    let revocation: RevocationFigures | null = null;
    if (engine === "firmware") {
      const revoke = config.revoke;
      const run = runFirmware({
        positions,
        range,
        images,
        seed: config.seed,
        lossRate: config.lossRate,
        settleMs: config.settleMs,
        revoke:
          revoke === undefined
            ? undefined
            : {
                plan: (settled) =>
                  revocationPlan(
                    scheme,
                    rings,
                    captureOrder(
                      config.captureMode,
                      config.seed,
                      adjacency(nodes, directPairs(settled)),
                    ).slice(0, revoke),
                  ),
                chainKey: (interval) => authority.chainKey(interval),
                intervalMs: authority.anchor.intervalMs,
                startMs: authority.anchor.startMs,
                station: stationFor(positions),
              },
      });
      for (const image of images) image.fill(0);
      firmwareLinks = run.links;
      links = directPairs(run.links);
      const linked = new Set(links.map(([i, j]) => i * nodes + j));
      keyless = [...modelLinks, ...modelKeyless]
        .filter(([i, j]) => !linked.has(i * nodes + j))
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      secure = adjacency(nodes, links);
      pathKeys = firmwarePathKeys(nodes, run.links, keyless.length);
      air = airFigures("firmware", run.framesSent, run.bytesSent);
      aesBlocksMean = round(mean(run.aesBlocks));
      const framesMean = mean(run.framesSent);
      const toSettleMean = mean(run.framesToSettle);
      firmware = {
        settled: run.settled,
        settleMs: round(run.settleMs),
        virtualMs: round(run.virtualMs),
        links: run.links.length,
        pathLinks: run.links.length - links.length,
        framesToSettleMean: round(toSettleMean),
        framesAfterSettlePerSecond: round(
          (framesMean - toSettleMean) / Math.max((run.virtualMs - run.settleMs) / 1_000, 1e-9),
        ),
        bootFailures: run.bootFailures,
        crashes: run.crashes.length,
      };
      if (run.revocation !== null) {
        revocation = revocationFigures(run.revocation, { scheme, rings, neighbours });
      }
    }

    const p = linkProbability(scheme);
    const meanNeighbours = (2 * neighbourPairs) / nodes;
    const capture = config.capture.map((x) =>
      captureAnalysis(scheme, rings, links, secure, x, config.captureMode, config.seed),
    );
    const result: SimulationResult = {
      engine,
      seed: config.seed,
      scheme,
      nodes,
      side: config.side,
      range: round(range),
      wantedNeighbours: config.range === undefined ? (config.neighbours ?? null) : null,
      meanNeighbours: round(meanNeighbours),
      neighbourPairs,
      directPairs: links.length,
      directFraction: round(neighbourPairs === 0 ? 0 : links.length / neighbourPairs),
      predictedShareProbability: round(p),
      meanSecureDegree: round((2 * links.length) / nodes),
      predictedSecureDegree: round(p * meanNeighbours),
      components: {
        ...componentFigures(secure),
        predictedConnectedProbability: round(connectedProbability(nodes, p * meanNeighbours)),
      },
      pathKeys,
      air,
      aesBlocksMean,
      settleMs: firmware === null ? null : firmware.settleMs,
      capture,
      model: engine === "firmware" ? model : null,
      firmware,
      revocation,
    };
    return { result, positions, links, keyless, firmwareLinks };
  } finally {
    authority.destroy();
  }
}

/** Direct (scheme-key) links of a firmware run as index pairs. */
function directPairs(links: readonly FirmwareLink[]): [number, number][] {
  return links.filter((l) => !l.path).map((l) => [l.i, l.j]);
}

/**
 * Air model: a broadcast HELLO, a unicast HELLO answer to each lower-ID neighbour, and the three
 * handshake messages per link (docs/protocol.md sizes); no path-key traffic, so a lower bound.
 */
function modelAir(
  scheme: SchemeParams,
  rings: Uint32Array[],
  neighbours: number[][],
  links: [number, number][],
): AirFigures {
  const nodes = rings.length;
  const helloIds =
    scheme.scheme === "eg" || scheme.scheme === "qcomposite" || scheme.scheme === "polypool"
      ? ringSize(scheme)
      : 0;
  const seeded = "seeded" in scheme && scheme.seeded === true;
  const helloFrames = seeded || helloIds === 0 ? 1 : Math.ceil(helloIds / HELLO_IDS_MAX);
  const helloBytes = helloFrames * HELLO_FIXED + (seeded ? SEEDED_HELLO_BODY : 4 * helloIds);
  const frames = new Float64Array(nodes).fill(helloFrames);
  const bytes = new Float64Array(nodes).fill(helloBytes);
  for (let i = 0; i < nodes; i++) {
    for (const j of neighbours[i]!) {
      if (j < i) {
        frames[i]! += helloFrames;
        bytes[i]! += helloBytes;
      }
    }
  }
  for (const [i, j] of links) {
    const selector =
      scheme.scheme === "qcomposite"
        ? sharedIds(rings[i]!, rings[j]!).length
        : scheme.scheme === "eg" || scheme.scheme === "polypool"
          ? 1
          : 0;
    frames[i]! += 2;
    bytes[i]! += LINK_INIT_FIXED + 4 * selector + LINK_CONFIRM_LEN;
    frames[j]! += 1;
    bytes[j]! += LINK_RESP_LEN;
  }
  return airFigures("model", frames, bytes);
}

/**
 * Captures x nodes (captureOrder) and counts the direct links between uncaptured nodes whose key
 * material the adversary then holds. eg: the link key comes from the lowest shared key ID (the
 * initiator's selector); qcomposite: every shared key; polypool: the lowest shared polynomial,
 * broken when more than t captured nodes hold it; pairwise, full, leap: unique pair keys, never.
 */
function captureAnalysis(
  scheme: SchemeParams,
  rings: Uint32Array[],
  links: [number, number][],
  secure: number[][],
  x: number,
  mode: CaptureMode,
  seed: string,
): CapturePoint {
  const nodes = rings.length;
  const captured = new Uint8Array(nodes);
  const held = new Map<number, number>();
  for (const i of captureOrder(mode, seed, secure).slice(0, x)) {
    captured[i] = 1;
    for (const id of rings[i]!) held.set(id, (held.get(id) ?? 0) + 1);
  }
  let total = 0;
  let compromised = 0;
  for (const [i, j] of links) {
    if (captured[i] || captured[j]) continue;
    total++;
    let exposed = false;
    switch (scheme.scheme) {
      case "eg": {
        const shared = sharedIds(rings[i]!, rings[j]!);
        exposed = held.has(shared[0]!);
        break;
      }
      case "qcomposite":
        exposed = sharedIds(rings[i]!, rings[j]!).every((id) => held.has(id));
        break;
      case "polypool": {
        const shared = sharedIds(rings[i]!, rings[j]!);
        exposed = (held.get(shared[0]!) ?? 0) > scheme.degree;
        break;
      }
      default:
        exposed = false;
    }
    if (exposed) compromised++;
  }
  return {
    captured: x,
    mode,
    links: total,
    compromised,
    fraction: round(total === 0 ? 0 : compromised / total),
    predicted: mode === "random" ? round(compromisedFraction(scheme, x, "exact")) : null,
  };
}
