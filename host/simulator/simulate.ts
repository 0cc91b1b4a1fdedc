// The network simulator behind `predist simulate` (docs/simulator.md): places N nodes, provisions
// each with a real image from the key authority (host/authority, host/image), finds which
// neighbour pairs share key material, and measures what FIELD.md's analyses predict: the fraction
// of neighbour pairs with a direct key, secure-graph connectivity, path-key hop counts, and the
// links an adversary who captured x nodes can derive. Every measurement sits beside its analytic
// prediction from host/analytics.
//
// Two engines:
// - "model": two neighbours have a direct key when their decoded rings share what the scheme
//   needs (eg: >= 1 key ID, qcomposite: >= q, polypool: a polynomial, pairwise: each is the
//   other's partner, full and leap: always); frames and bytes on air are modelled from
//   docs/protocol.md's message sizes. Fast: N = 1,000 in about a second.
// - "firmware": the same, plus every node runs the real node.wasm on the emulator with its image
//   in flash until links settle (firmware-engine.ts); the `firmware` section of the result holds
//   the links, traffic, AES blocks and settle time the firmware itself produced.
// Capture analysis and path-key hop counts are computed on the model's secure graph.
//
// Deterministic: placement, capture order and the authority's master all derive from `seed`.

import { buildImage, createAuthority, type SchemeParams } from "../authority/index.js";
import { Prng } from "../emulator/random.js";
import type { Position } from "../emulator/unit-disk.js";
import { decodeImage } from "../image/index.js";
import { compromisedFraction, linkProbability } from "../analytics/index.js";
import { placeUniform, rangeForNeighbours, unitDiskNeighbours } from "./deploy.js";
import { boundedBfs, componentSizes } from "./graph.js";
import { runFirmware } from "./firmware-engine.js";

/** docs/protocol.md: PATH_HOPS = 3, the path-key request starts with PATH_HOPS - 1 hops left. */
export const PATH_HOPS = 3;
/**
 * Longest secure path a path key travels: the origin sends to a linked neighbour, which forwards
 * while hops are left and hands it to the target when the target is its linked neighbour.
 */
export const PATH_KEY_MAX_HOPS = PATH_HOPS + 1;
/** docs/protocol.md frame sizes used by the air model. */
const HELLO_FIXED = 19;
const HELLO_IDS_MAX = 27;
const LINK_INIT_FIXED = 19;
const LINK_RESP_LEN = 25;
const LINK_CONFIRM_LEN = 17;
const SEEDED_HELLO_BODY = 4;

export type CaptureMode = "random" | "best";

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
  /** "model" (default) or "firmware": also run node.wasm on the emulator until links settle. */
  engine?: "model" | "firmware";
  /** Firmware engine: per-copy frame loss of the unit-disk medium (default 0). */
  lossRate?: number;
  /** Firmware engine: virtual ms without a new link that ends the run (default 5,000). */
  settleMs?: number;
}

/** What the real firmware did on the emulator (engine "firmware"). */
export interface FirmwareFigures {
  links: number;
  /** Links on a scheme key, and their fraction of neighbour pairs. */
  directLinks: number;
  directFraction: number;
  /** Links built on a path key. */
  pathLinks: number;
  largestFraction: number;
  settled: boolean;
  settleMs: number;
  virtualMs: number;
  framesMean: number;
  framesMax: number;
  bytesMean: number;
  bytesMax: number;
  /** Frames per node until the last new link, and per node per second after it. */
  framesToSettleMean: number;
  framesAfterSettlePerSecond: number;
  aesBlocksMean: number;
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
  engine: "model" | "firmware";
  seed: string;
  scheme: SchemeParams;
  nodes: number;
  side: number;
  range: number;
  wantedNeighbours: number | null;
  meanNeighbours: number;
  neighbourPairs: number;
  directPairs: number;
  directFraction: number;
  predictedShareProbability: number;
  meanSecureDegree: number;
  components: { count: number; largest: number; largestFraction: number; sizes: number[] };
  pathKeys: {
    keylessPairs: number;
    /** hops[h] = key-less neighbour pairs whose shortest secure path has h hops (h >= 2). */
    hops: Record<string, number>;
    beyondReach: number;
    resolvedFraction: number;
    largestFractionWithPathKeys: number;
  };
  air: {
    model: string;
    framesMean: number;
    framesMax: number;
    bytesMean: number;
    bytesMax: number;
  };
  /** Virtual time until links settled (firmware engine), else null. */
  settleMs: number | null;
  capture: CapturePoint[];
  firmware: FirmwareFigures | null;
}

/** Internal state kept for the HTML report (map). */
export interface SimulationDetail {
  result: SimulationResult;
  positions: readonly Position[];
  /** Direct secure links as index pairs (i < j). */
  links: [number, number][];
  /** Neighbour pairs without a key, as index pairs (i < j). */
  keyless: [number, number][];
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
 * host/analytics's link probability (EG 2002 section 3.1, Chan-Perrig-Song 2003 section 4.1,
 * Liu-Ning 2003; pairwise m / (n - 1) over the scheme's n node IDs; full and leap 1).
 */
function predictedShare(scheme: SchemeParams): number {
  return linkProbability(scheme);
}

/**
 * host/analytics's fraction of other links exposed by x random captures. q-composite: the exact
 * form (Zhao et al. 2017), since the measurement asks whether every shared key was captured.
 */
function predictedCapture(scheme: SchemeParams, x: number): number {
  return compromisedFraction(scheme, x, "exact");
}

/** Sorted-array intersection size, stopping at `limit`. */
function sharedCount(a: Uint32Array, b: Uint32Array, limit: number): number {
  let i = 0;
  let j = 0;
  let count = 0;
  while (i < a.length && j < b.length && count < limit) {
    if (a[i] === b[j]) {
      count++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return count;
}

function sharedIds(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return out;
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
    throw new RangeError(`${scheme.scheme}: the scheme is sized for ${scheme.nodes} nodes, ` +
      `the deployment has ${nodes}`);
  }

  // Provision: one real image per node, decoded as the node would read it.
  const authority = createAuthority({ ...scheme, insecureSeed: `${config.seed}/authority` });
  const rings: Uint32Array[] = [];
  const images: Uint8Array[] = [];
  const engine = config.engine ?? "model";
  try {
    for (let i = 0; i < nodes; i++) {
      const bytes = buildImage(authority, i + 1);
      if (engine === "firmware") images.push(bytes);
      const image = decodeImage(bytes);
      rings.push(Uint32Array.from(image.records.map((record) => record.id)));
      for (const record of image.records) record.key?.fill(0);
      image.nodeKey.fill(0);
      image.initialKey?.fill(0);
    }
  } finally {
    authority.destroy();
  }

  // Neighbours and direct keys.
  const neighbours = unitDiskNeighbours(positions, range);
  const need = scheme.scheme === "qcomposite" ? scheme.q : 1;
  const secure: number[][] = positions.map(() => []);
  const links: [number, number][] = [];
  const keyless: [number, number][] = [];
  let neighbourPairs = 0;
  for (let i = 0; i < nodes; i++) {
    for (const j of neighbours[i]!) {
      if (j <= i) continue;
      neighbourPairs++;
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
      if (direct) {
        links.push([i, j]);
        secure[i]!.push(j);
        secure[j]!.push(i);
      } else {
        keyless.push([i, j]);
      }
    }
  }
  const sizes = componentSizes(secure);

  // Path keys: shortest secure path of each key-less neighbour pair.
  const hops: Record<string, number> = {};
  let beyondReach = 0;
  const dist = new Int32Array(nodes).fill(-1);
  const queue = new Int32Array(nodes);
  const bySource = new Map<number, number[]>();
  for (const [i, j] of keyless) {
    const list = bySource.get(i);
    if (list === undefined) bySource.set(i, [j]);
    else list.push(j);
  }
  const withPaths: number[][] = secure.map((list) => [...list]);
  for (const [i, targets] of bySource) {
    const reached = boundedBfs(secure, i, PATH_KEY_MAX_HOPS, dist, queue);
    for (const j of targets) {
      const d = dist[j]!;
      if (d === -1) beyondReach++;
      else {
        hops[String(d)] = (hops[String(d)] ?? 0) + 1;
        withPaths[i]!.push(j);
        withPaths[j]!.push(i);
      }
    }
    for (let q = 0; q < reached; q++) dist[queue[q]!] = -1;
  }
  const sizesWithPaths = componentSizes(withPaths);

  // Air model: broadcast HELLO, a unicast HELLO answer to each lower-ID neighbour, handshakes.
  const helloIds = scheme.scheme === "eg" || scheme.scheme === "qcomposite" ||
      scheme.scheme === "polypool" ? ringSize(scheme) : 0;
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
    const selector = scheme.scheme === "qcomposite" ? sharedIds(rings[i]!, rings[j]!).length :
      scheme.scheme === "eg" || scheme.scheme === "polypool" ? 1 : 0;
    frames[i]! += 2;
    bytes[i]! += LINK_INIT_FIXED + 4 * selector + LINK_CONFIRM_LEN;
    frames[j]! += 1;
    bytes[j]! += LINK_RESP_LEN;
  }

  const capture = config.capture.map((x) =>
    captureAnalysis(scheme, rings, links, secure, x, config.captureMode, config.seed));

  let firmware: FirmwareFigures | null = null;
  if (engine === "firmware") {
    const run = runFirmware({ positions, range, images, seed: config.seed,
      lossRate: config.lossRate, settleMs: config.settleMs });
    for (const image of images) image.fill(0);
    const graph: number[][] = positions.map(() => []);
    for (const { i, j } of run.links) {
      graph[i]!.push(j);
      graph[j]!.push(i);
    }
    const direct = run.links.filter((l) => !l.path).length;
    const frames = Float64Array.from(run.framesSent);
    const sent = Float64Array.from(run.bytesSent);
    firmware = {
      links: run.links.length,
      directLinks: direct,
      directFraction: round(neighbourPairs === 0 ? 0 : direct / neighbourPairs),
      pathLinks: run.links.length - direct,
      largestFraction: round((componentSizes(graph)[0] ?? 0) / nodes),
      settled: run.settled,
      settleMs: round(run.settleMs),
      virtualMs: round(run.virtualMs),
      framesMean: round(mean(frames)),
      framesMax: Math.max(...frames),
      bytesMean: round(mean(sent)),
      bytesMax: Math.max(...sent),
      framesToSettleMean: round(mean(Float64Array.from(run.framesToSettle))),
      framesAfterSettlePerSecond: round((mean(frames) -
        mean(Float64Array.from(run.framesToSettle))) /
        Math.max((run.virtualMs - run.settleMs) / 1_000, 1e-9)),
      aesBlocksMean: round(mean(Float64Array.from(run.aesBlocks))),
      bootFailures: run.bootFailures,
      crashes: run.crashes.length,
    };
  }

  const result: SimulationResult = {
    engine,
    seed: config.seed,
    scheme,
    nodes,
    side: config.side,
    range: round(range),
    wantedNeighbours: config.range === undefined ? config.neighbours ?? null : null,
    meanNeighbours: round((2 * neighbourPairs) / nodes),
    neighbourPairs,
    directPairs: links.length,
    directFraction: round(neighbourPairs === 0 ? 0 : links.length / neighbourPairs),
    predictedShareProbability: round(predictedShare(scheme)),
    meanSecureDegree: round((2 * links.length) / nodes),
    components: {
      count: sizes.length,
      largest: sizes[0] ?? 0,
      largestFraction: round((sizes[0] ?? 0) / nodes),
      sizes: sizes.slice(0, 10),
    },
    pathKeys: {
      keylessPairs: keyless.length,
      hops,
      beyondReach,
      resolvedFraction: round(keyless.length === 0 ? 1 : 1 - beyondReach / keyless.length),
      largestFractionWithPathKeys: round((sizesWithPaths[0] ?? 0) / nodes),
    },
    air: {
      model: "docs/protocol.md message sizes: HELLO, unicast HELLO answers, 3-message handshake",
      framesMean: round(mean(frames)),
      framesMax: Math.max(...frames),
      bytesMean: round(mean(bytes)),
      bytesMax: Math.max(...bytes),
    },
    settleMs: firmware === null ? null : firmware.settleMs,
    capture,
    firmware,
  };
  return { result, positions, links, keyless };
}

/**
 * Captures x nodes (random: a seeded shuffle, so x = 10 is a subset of x = 20; best: highest
 * secure degree first, ties by ID) and counts the direct links between uncaptured nodes whose key
 * material the adversary then holds. eg: the link key comes from the lowest shared key ID (the
 * initiator's selector); qcomposite: every shared key; polypool: the lowest shared polynomial,
 * broken when more than t captured nodes hold it; pairwise, full, leap: unique pair keys, never.
 */
function captureAnalysis(scheme: SchemeParams, rings: Uint32Array[], links: [number, number][],
  secure: number[][], x: number, mode: CaptureMode, seed: string): CapturePoint {
  const nodes = rings.length;
  if (!Number.isInteger(x) || x < 0 || x > nodes) {
    throw new RangeError(`capture: expected 0..${nodes} nodes, got ${x}`);
  }
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
  const captured = new Uint8Array(nodes);
  const held = new Map<number, number>();
  for (const i of order.slice(0, x)) {
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
    predicted: mode === "random" ? round(predictedCapture(scheme, x)) : null,
  };
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? 0 : sum / values.length;
}

/** Six significant decimals: JSON output stays short and byte-identical across runs. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
