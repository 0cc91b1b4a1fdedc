// The key authority (docs/schemes.md): holds one 256-bit master secret, derives from it the key
// pool, the ring assignment, pair keys, node keys and the μTESLA chain of every scheme, and builds
// each node's provisioning image (docs/image-format.md). Nothing is stored per node: every value
// is recomputed from the master and the node ID.
//
// API for other areas:
//   createAuthority({ master | insecureSeed, scheme, ...params, anchor? }) -> Authority
//   buildImage(authority, nodeId) -> Uint8Array          the node's image
//   authority.poolKey(id), ringOf(nodeId), keyIdsOf(nodeId), pairKey(u, v), nodeKey(nodeId),
//   chainKey(i), initialKey(), destroy()                  (pairKey: what both sides must derive)
// Node-side derivations from one decoded image live in host/authority/node.ts.
//
// Not protected against: a compromised authority host (the master is in its memory while it
// runs); the insecure seed option makes every key predictable and is for tests and demos only.

import { randomBytes } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { Aes128, KEY_LEN, checkBytes, kdf, oneWay, wipe } from "../crypto/index.js";
import {
  type Anchor,
  FIELD_PRIME,
  type ImageContent,
  type RingRecord,
  type SchemeName,
  SCHEME_NAMES,
  encodeImage,
  isValidNodeId,
} from "../image/index.js";
import {
  LABEL,
  MASTER_LEN,
  P31,
  derivePoolKeys,
  drawRing,
  fastKdfSha256,
  le32,
  mulMod,
  reduceU64,
} from "./derive.js";

export { LABEL, MASTER_LEN } from "./derive.js";

/** Largest pool the authority caches in memory (64 MiB of keys); larger pools derive on demand. */
export const POOL_CACHE_MAX = 1 << 22;
/** Largest pool size: key IDs are u32. */
export const POOL_MAX = 2 ** 32;
/** Default μTESLA chain: 10,000 intervals of 1 s. */
export const DEFAULT_CHAIN_LENGTH = 10_000;
export const DEFAULT_INTERVAL_MS = 1_000;
/** Chain keys kept every this many steps, so chainKey(i) costs at most this many oneWay calls. */
const CHAIN_CHECKPOINT = 64;
/** Default field lanes of polypool: 5 x 31 bits = 155 bits of evaluation. */
export const DEFAULT_LANES = 5;
export const LANES_MAX = 16;
/** Polynomial coefficient matrices cached (each lanes * (t + 1)^2 numbers). */
const POLY_CACHE_MAX = 64;
/** Prefix of the insecure seed's hash, so it never collides with other uses of SHA-256. */
const INSECURE_SEED_DOMAIN = "predist insecure demo seed v1:";

export type SchemeParams =
  | { scheme: "full"; nodes: number }
  | { scheme: "eg"; pool: number; ring: number; seeded?: boolean }
  | { scheme: "qcomposite"; pool: number; ring: number; q: number; seeded?: boolean }
  | { scheme: "pairwise"; nodes: number; partners: number }
  | {
      scheme: "polypool";
      polynomials: number;
      perNode: number;
      degree: number;
      lanes?: number;
      seeded?: boolean;
    }
  | { scheme: "leap" };

export type AuthorityOptions = SchemeParams & {
  /** 32 bytes from a CSPRNG; omitted (and no insecureSeed) means a fresh random master. */
  master?: Uint8Array;
  /** INSECURE: derives the master from this text, for tests and demos only. */
  insecureSeed?: string;
  anchor?: Partial<Omit<Anchor, "commitment">>;
};

export interface Authority {
  readonly params: SchemeParams;
  readonly scheme: SchemeName;
  readonly anchor: Anchor;
  /** The public ring seed (seeded rings) or undefined. */
  readonly ringSeed: Uint8Array | undefined;
  /** Pool key `id` (eg, qcomposite). */
  poolKey(id: number): Uint8Array;
  /** Pool keys of `ids`, one after another (16 bytes each), in one new buffer. */
  poolKeys(ids: ArrayLike<number>): Uint8Array;
  /** Ring or partner IDs of a node, ascending, with the generator's draws (0 if none). */
  ringOf(nodeId: number): { ids: Uint32Array; draws: number };
  /** Key IDs (eg, qcomposite), polynomial IDs (polypool), partner IDs (full, pairwise). */
  keyIdsOf(nodeId: number): number[];
  /** The pair key both nodes derive, or undefined when they have none (docs/schemes.md). */
  pairKey(u: number, v: number): Uint8Array | undefined;
  /** LEAP: K_uv = F(K_responder, initiator). */
  leapPairKey(initiator: number, responder: number): Uint8Array;
  nodeKey(nodeId: number): Uint8Array;
  /** μTESLA K_i for 0 <= i <= chain length. */
  chainKey(i: number): Uint8Array;
  /** Polypool: share of node u for polynomial `poly` (lanes x (t + 1), lane-major). */
  polynomialShare(poly: number, u: number): Uint32Array;
  /** LEAP: K_IN, the initial key every node holds until discovery ends. */
  initialKey(): Uint8Array;
  /** Wipes the master and every cached key; the authority is unusable afterwards. */
  destroy(): void;
}

function intIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${name}: expected an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** Checks scheme parameters; throws TypeError / RangeError naming the parameter and value. */
export function checkSchemeParams(params: SchemeParams): SchemeParams {
  if (!SCHEME_NAMES.includes(params.scheme)) {
    throw new TypeError(`scheme: expected one of ${SCHEME_NAMES.join(", ")}, got ${params.scheme}`);
  }
  switch (params.scheme) {
    case "full":
      intIn("nodes", params.nodes, 2, 0xfffffffe);
      break;
    case "eg":
    case "qcomposite": {
      intIn("pool", params.pool, 1, POOL_MAX);
      intIn("ring", params.ring, 1, params.pool);
      if (params.scheme === "qcomposite") intIn("q", params.q, 1, params.ring);
      break;
    }
    case "pairwise":
      intIn("nodes", params.nodes, 2, 0xfffffffe);
      intIn("partners", params.partners, 1, params.nodes - 1);
      break;
    case "polypool":
      intIn("polynomials", params.polynomials, 1, 0xffffffff);
      intIn("perNode", params.perNode, 1, params.polynomials);
      intIn("degree", params.degree, 1, 0xffff);
      intIn("lanes", params.lanes ?? DEFAULT_LANES, 1, LANES_MAX);
      break;
    case "leap":
      break;
  }
  return params;
}

/** Master from the options: given bytes, an insecure seed, or fresh CSPRNG bytes. */
function masterOf(options: AuthorityOptions): Uint8Array {
  if (options.master !== undefined && options.insecureSeed !== undefined) {
    throw new TypeError("give either master or insecureSeed, not both");
  }
  if (options.master !== undefined) return checkBytes("master", options.master, MASTER_LEN).slice();
  if (options.insecureSeed !== undefined) {
    if (typeof options.insecureSeed !== "string")
      throw new TypeError("insecureSeed: expected a string");
    return sha256(new TextEncoder().encode(INSECURE_SEED_DOMAIN + options.insecureSeed));
  }
  return new Uint8Array(randomBytes(MASTER_LEN));
}

function anchorParams(options: AuthorityOptions): Omit<Anchor, "commitment"> {
  const given = options.anchor ?? {};
  return {
    chainLength: intIn("anchor.chainLength", given.chainLength ?? DEFAULT_CHAIN_LENGTH, 1, 1 << 24),
    intervalMs: intIn("anchor.intervalMs", given.intervalMs ?? DEFAULT_INTERVAL_MS, 1, 0xffffffff),
    startMs: intIn("anchor.startMs", given.startMs ?? 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** Only the scheme's own fields of `options`: never the master or the seed. */
function schemeFieldsOf(options: AuthorityOptions): SchemeParams {
  const { master: _master, insecureSeed: _seed, anchor: _anchor, ...fields } = options;
  return { ...fields } as SchemeParams;
}

/** Creates an authority; throws TypeError / RangeError on bad parameters. */
export function createAuthority(options: AuthorityOptions): Authority {
  const params = checkSchemeParams(schemeFieldsOf(options));
  const chainParams = anchorParams(options);
  let master: Uint8Array | undefined = masterOf(options);
  const alive = (): Uint8Array => {
    if (master === undefined) throw new Error("authority destroyed");
    return master;
  };
  const scheme = params.scheme;
  const seeded = "seeded" in params && params.seeded === true;
  if (seeded && scheme !== "eg" && scheme !== "qcomposite" && scheme !== "polypool") {
    throw new TypeError(`seeded rings: only eg, qcomposite and polypool, not ${scheme}`);
  }

  // Ring generator key: the public seed (seeded) or a secret key derived from the master.
  const ringSeed = seeded ? fastKdfSha256(alive(), LABEL.ringSeed, new Uint8Array(0)) : undefined;
  const ringKey = ringSeed?.slice() ?? fastKdfSha256(alive(), LABEL.ringSecret, new Uint8Array(0));
  const ringCipher = new Aes128(ringKey);
  wipe(ringKey);

  // Pool key cache, filled lazily in one pass (eg, qcomposite).
  const poolSize = scheme === "eg" || scheme === "qcomposite" ? params.pool : 0;
  let poolCache: Uint8Array | undefined;
  const poolKey = (id: number): Uint8Array => {
    intIn("key ID", id, 0, poolSize - 1);
    if (poolSize <= POOL_CACHE_MAX) {
      poolCache ??= derivePoolKeys(alive(), 0, poolSize);
      return poolCache.slice(id * KEY_LEN, (id + 1) * KEY_LEN);
    }
    return fastKdfSha256(alive(), LABEL.pool, le32(id));
  };

  const poolKeys = (ids: ArrayLike<number>): Uint8Array => {
    const out = new Uint8Array(ids.length * KEY_LEN);
    if (poolSize > POOL_CACHE_MAX) {
      for (let i = 0; i < ids.length; i++) out.set(poolKey(ids[i]), i * KEY_LEN);
      return out;
    }
    poolCache ??= derivePoolKeys(alive(), 0, poolSize);
    // Word copies through u32 views: cheaper than a subarray object per key at 200 keys a ring.
    const cache = new Uint32Array(poolCache.buffer, poolCache.byteOffset, poolCache.length / 4);
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < poolSize && Number.isInteger(id))) intIn("key ID", id, 0, poolSize - 1);
      const from = id * 4;
      const to = i * 4;
      words[to] = cache[from];
      words[to + 1] = cache[from + 1];
      words[to + 2] = cache[from + 2];
      words[to + 3] = cache[from + 3];
    }
    return out;
  };

  const checkNode = (nodeId: number, name = "nodeId"): number => {
    if (!isValidNodeId(nodeId)) {
      throw new RangeError(`${name}: expected an integer from 1 to 4294967294, got ${nodeId}`);
    }
    if ((scheme === "full" || scheme === "pairwise") && nodeId > params.nodes) {
      throw new RangeError(`${name}: ${nodeId} is outside the network 1..${params.nodes}`);
    }
    if (scheme === "polypool" && nodeId >= P31) {
      throw new RangeError(`${name}: polypool node IDs must be below 2^31 - 1, got ${nodeId}`);
    }
    return nodeId;
  };

  // Pairwise: pair {u, v} exists when the first word of AES_pairing(min || max || 0^8) is below
  // m / (n - 1) * 2^32, so each node has Binomial(n - 1, m / (n - 1)) partners, mean m.
  let pairingCipher: Aes128 | undefined;
  const pairingBound =
    scheme === "pairwise" ? Math.floor((params.partners / (params.nodes - 1)) * 2 ** 32) : 0;
  const pairedWith = (u: number): Uint32Array => {
    if (scheme !== "pairwise") throw new TypeError("pairing: only the pairwise scheme");
    if (pairingCipher === undefined) {
      const key = fastKdfSha256(alive(), LABEL.pairing, new Uint8Array(0));
      pairingCipher = new Aes128(key);
      wipe(key);
    }
    const n = params.nodes;
    const blocks = new Uint8Array((n - 1) * 16);
    const view = new DataView(blocks.buffer);
    let b = 0;
    for (let v = 1; v <= n; v++) {
      if (v === u) continue;
      view.setUint32(16 * b, Math.min(u, v), true);
      view.setUint32(16 * b + 4, Math.max(u, v), true);
      b++;
    }
    const out = pairingCipher.encrypt(blocks);
    const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const partners: number[] = [];
    b = 0;
    for (let v = 1; v <= n; v++) {
      if (v === u) continue;
      if (params.partners === n - 1 || outView.getUint32(16 * b, true) < pairingBound)
        partners.push(v);
      b++;
    }
    return Uint32Array.from(partners);
  };

  const ringOf = (nodeId: number): { ids: Uint32Array; draws: number } => {
    checkNode(nodeId);
    switch (scheme) {
      case "eg":
      case "qcomposite":
        return drawRing(ringCipher, nodeId, params.pool, params.ring);
      case "polypool":
        return drawRing(ringCipher, nodeId, params.polynomials, params.perNode);
      case "full": {
        const ids = new Uint32Array(params.nodes - 1);
        for (let v = 1, i = 0; v <= params.nodes; v++) if (v !== nodeId) ids[i++] = v;
        return { ids, draws: 0 };
      }
      case "pairwise":
        return { ids: pairedWith(nodeId), draws: 0 };
      case "leap":
        return { ids: Uint32Array.of(nodeId), draws: 0 };
    }
  };

  // Polynomial pool: coefficient a_{l,i,j} (i <= j) of polynomial π is the first 8 bytes (u64 LE,
  // reduced mod p) of AES_{S_π}(l || i || j || 0^4), S_π = kdfSha256(master, "polypool", π).
  const polyCache = new Map<number, Float64Array>();
  const lanes = scheme === "polypool" ? (params.lanes ?? DEFAULT_LANES) : 0;
  const degree = scheme === "polypool" ? params.degree : 0;
  const coefficientsOf = (poly: number): Float64Array => {
    const cached = polyCache.get(poly);
    if (cached !== undefined) return cached;
    const size = degree + 1;
    const seed = fastKdfSha256(alive(), LABEL.polypool, le32(poly));
    const cipher = new Aes128(seed);
    wipe(seed);
    const blocks = new Uint8Array(lanes * size * size * 16);
    const view = new DataView(blocks.buffer);
    for (let l = 0, b = 0; l < lanes; l++) {
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++, b++) {
          view.setUint32(16 * b, l, true);
          view.setUint32(16 * b + 4, Math.min(i, j), true);
          view.setUint32(16 * b + 8, Math.max(i, j), true);
        }
      }
    }
    const stream = cipher.encrypt(blocks);
    const sv = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    const matrix = new Float64Array(lanes * size * size);
    for (let b = 0; b < matrix.length; b++) {
      matrix[b] = reduceU64(sv.getUint32(16 * b, true), sv.getUint32(16 * b + 4, true));
    }
    wipe(stream);
    if (polyCache.size >= POLY_CACHE_MAX) {
      const oldest = polyCache.keys().next().value as number;
      polyCache.get(oldest)?.fill(0);
      polyCache.delete(oldest);
    }
    polyCache.set(poly, matrix);
    return matrix;
  };
  const polynomialShare = (poly: number, u: number): Uint32Array => {
    if (scheme !== "polypool") throw new TypeError("polynomialShare: only the polypool scheme");
    intIn("polynomial ID", poly, 0, params.polynomials - 1);
    checkNode(u);
    const size = degree + 1;
    const matrix = coefficientsOf(poly);
    const share = new Uint32Array(lanes * size);
    // b_{l,j} = sum_i a_{l,i,j} u^i mod p.
    for (let l = 0; l < lanes; l++) {
      for (let j = 0; j < size; j++) {
        let acc = 0;
        for (let i = size - 1; i >= 0; i--) {
          acc = (mulMod(acc, u) + matrix[l * size * size + i * size + j]) % P31;
        }
        share[l * size + j] = acc;
      }
    }
    return share;
  };

  const nodeKey = (nodeId: number) => fastKdfSha256(alive(), LABEL.node, le32(checkNode(nodeId)));
  let initialKeyCache: Uint8Array | undefined;
  const initialKey = (): Uint8Array => {
    initialKeyCache ??= fastKdfSha256(alive(), LABEL.leapInitial, new Uint8Array(0));
    return initialKeyCache.slice();
  };
  const leapNodeKey = (u: number) => kdf(initialKey(), LABEL.leapNode, le32(u));

  // μTESLA: K_n from the master, K_i = oneWay(K_{i+1}); checkpoints every CHAIN_CHECKPOINT.
  const checkpoints: Uint8Array[] = [];
  const n = chainParams.chainLength;
  {
    let key = fastKdfSha256(alive(), LABEL.chain, new Uint8Array(0));
    for (let i = n; i >= 0; i--) {
      if (i % CHAIN_CHECKPOINT === 0) checkpoints[i / CHAIN_CHECKPOINT] = key.slice();
      if (i > 0) {
        const next = oneWay(key);
        wipe(key);
        key = next;
      }
    }
    wipe(key);
  }
  const chainTop = fastKdfSha256(alive(), LABEL.chain, new Uint8Array(0));
  const chainKey = (i: number): Uint8Array => {
    intIn("chain index", i, 0, n);
    // Walk down from the next checkpoint above i (or from K_n).
    const above = Math.ceil(i / CHAIN_CHECKPOINT) * CHAIN_CHECKPOINT;
    let key: Uint8Array =
      above <= n ? checkpoints[above / CHAIN_CHECKPOINT].slice() : chainTop.slice();
    for (let j = above <= n ? above : n; j > i; j--) {
      const next = oneWay(key);
      wipe(key);
      key = next;
    }
    return key;
  };
  const anchor: Anchor = { ...chainParams, commitment: checkpoints[0].slice() };

  const pairKey = (u: number, v: number): Uint8Array | undefined => {
    checkNode(u, "u");
    checkNode(v, "v");
    if (u === v) throw new RangeError(`pairKey: u and v are the same node ${u}`);
    const lo = Math.min(u, v);
    const hi = Math.max(u, v);
    switch (scheme) {
      case "full":
        return fastKdfSha256(alive(), LABEL.full, le32(lo, hi));
      case "pairwise": {
        if (!pairedWith(u).includes(v)) return undefined;
        return fastKdfSha256(alive(), LABEL.pairwise, le32(lo, hi));
      }
      case "eg":
      case "qcomposite": {
        const shared = intersect(ringOf(u).ids, ringOf(v).ids);
        const q = scheme === "eg" ? 1 : params.q;
        if (shared.length < q) return undefined;
        if (scheme === "eg") return poolKey(shared[0]);
        return qcompositeKey(shared, shared.map(poolKey));
      }
      case "polypool": {
        const shared = intersect(ringOf(u).ids, ringOf(v).ids);
        if (shared.length === 0) return undefined;
        const poly = shared[0];
        const share = polynomialShare(poly, u);
        const key = polypoolKey(poly, u, v, evaluateLanes(share, lanes, degree, v));
        share.fill(0);
        return key;
      }
      case "leap":
        return leapPairKey(lo, hi);
    }
  };
  const leapPairKey = (initiator: number, responder: number): Uint8Array => {
    if (scheme !== "leap") throw new TypeError("leapPairKey: only the leap scheme");
    checkNode(initiator, "initiator");
    checkNode(responder, "responder");
    const kv = leapNodeKey(responder);
    const key = kdf(kv, LABEL.leapPair, le32(initiator));
    wipe(kv);
    return key;
  };

  return {
    params,
    scheme,
    anchor,
    ringSeed,
    poolKey,
    poolKeys,
    ringOf,
    keyIdsOf: (nodeId) => Array.from(ringOf(nodeId).ids),
    pairKey,
    leapPairKey,
    nodeKey,
    chainKey,
    polynomialShare,
    initialKey,
    destroy() {
      wipe(master, poolCache, initialKeyCache, chainTop, ...checkpoints);
      for (const matrix of polyCache.values()) matrix.fill(0);
      polyCache.clear();
      master = undefined;
      poolCache = undefined;
    },
  };
}

/** Sorted intersection of two ascending ID lists. */
export function intersect(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(a[i]);
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return out;
}

/**
 * q-composite pair key from the shared key IDs (ascending) and their keys:
 * KDF(K_{i1}, "qcomposite", c || i_1 || ... || i_c || K_{i2} || ... || K_{ic}), c = count, u32 LE.
 */
export function qcompositeKey(ids: number[], keys: Uint8Array[]): Uint8Array {
  const context = new Uint8Array(4 + 4 * ids.length + KEY_LEN * (keys.length - 1));
  context.set(le32(ids.length, ...ids), 0);
  for (let i = 1; i < keys.length; i++)
    context.set(keys[i], 4 + 4 * ids.length + KEY_LEN * (i - 1));
  const key = kdf(keys[0], LABEL.qcomposite, context);
  wipe(context);
  return key;
}

/** Evaluations f_l(u, v) of every lane of a share at v. */
export function evaluateLanes(
  share: Uint32Array,
  lanes: number,
  degree: number,
  v: number,
): number[] {
  const out: number[] = [];
  for (let l = 0; l < lanes; l++) {
    let acc = 0;
    for (let j = degree; j >= 0; j--) acc = (mulMod(acc, v) + share[l * (degree + 1) + j]) % P31;
    out.push(acc);
  }
  return out;
}

/**
 * Polypool pair key from the lane evaluations e_0..e_{L-1} of polynomial π:
 * KDF(e_0 || e_1 || e_2 || e_3 (u32 LE, missing lanes zero), "polypool-key",
 *     π || min(u,v) || max(u,v) || e_0 || ... || e_{L-1}).
 */
export function polypoolKey(poly: number, u: number, v: number, evaluations: number[]): Uint8Array {
  const keyWords = [0, 1, 2, 3].map((l) => evaluations[l] ?? 0);
  const key = le32(...keyWords);
  const context = le32(poly, Math.min(u, v), Math.max(u, v), ...evaluations);
  const out = kdf(key, LABEL.polypoolKey, context);
  wipe(key, context);
  return out;
}

/** Builds the provisioning image of one node (docs/image-format.md). */
export function buildImage(authority: Authority, nodeId: number): Uint8Array {
  const { params, scheme } = authority;
  const ring = authority.ringOf(nodeId);
  const records: RingRecord[] = [];
  let initialKey: Uint8Array | undefined;
  let keyBlock: Uint8Array | undefined;
  const content: ImageContent = {
    scheme,
    nodeId,
    poolSize: 0,
    ringSize: 0,
    threshold: 0,
    lanes: 0,
    draws: ring.draws,
    seeded: authority.ringSeed !== undefined,
    ringSeed: authority.ringSeed ?? new Uint8Array(16),
    records,
    nodeKey: authority.nodeKey(nodeId),
    anchor: authority.anchor,
  };
  switch (params.scheme) {
    case "eg":
    case "qcomposite":
      content.poolSize = params.pool;
      content.ringSize = params.ring;
      content.threshold = params.scheme === "eg" ? 1 : params.q;
      keyBlock = authority.poolKeys(ring.ids);
      content.packed = { ids: ring.ids, keys: keyBlock };
      break;
    case "full":
    case "pairwise":
      content.poolSize = params.nodes;
      content.ringSize = params.scheme === "full" ? params.nodes - 1 : params.partners;
      for (const id of ring.ids) records.push({ id, key: authority.pairKey(nodeId, id) });
      break;
    case "polypool":
      content.poolSize = params.polynomials;
      content.ringSize = params.perNode;
      content.threshold = params.degree;
      content.lanes = params.lanes ?? DEFAULT_LANES;
      for (const id of ring.ids) records.push({ id, share: authority.polynomialShare(id, nodeId) });
      break;
    case "leap": {
      initialKey = authority.initialKey();
      records.push({ id: nodeId, key: kdf(initialKey, LABEL.leapNode, le32(nodeId)) });
      content.initialKey = initialKey;
      break;
    }
  }
  try {
    return encodeImage(content);
  } finally {
    wipe(content.nodeKey, initialKey, keyBlock);
    for (const record of records) wipe(record.key);
  }
}

export { FIELD_PRIME };
