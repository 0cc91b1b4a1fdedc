// Deployment analytics (docs/analytics.md): share and link probabilities, Erdős–Rényi sizing,
// capture resilience and storage for every scheme, and the `plan` search over schemes.
// Sources: Eschenauer & Gligor, CCS 2002 (share probability, sizing); Chan, Perrig & Song, S&P
// 2003 (q-composite p(i), resilience, random pairwise); Zhao et al., IEEE T-IT 2017 (exact
// q-composite resilience by inclusion-exclusion); Liu & Ning, CCS 2003 and Du et al., CCS 2003
// (threshold resilience); Zhu, Setia & Jajodia, CCS 2003 (LEAP+).
//
// Numerics: binomial ratios of large arguments are sums of logarithms of the factors (exact to a
// few ulps per factor) rather than differences of log-gamma values of size P ln P, which lose ~1e-6
// at P = 10^8; log-gamma (Lanczos) serves the remaining factorials. Nothing overflows up to 2^32.
// Not modelled: radio range geometry (the key graph is treated as independent of the radio graph),
// adversaries who pick which nodes to capture (all formulas assume random captures).

import { imageLenOf, type SchemeName, IMAGE_MAX_LEN } from "../image/index.js";

/** Default lanes of polypool, as the authority's. */
export const POLY_LANES = 5;
/** Largest pool the sizing searches consider (key IDs are u32). */
export const POOL_SEARCH_MAX = 2 ** 32;
/** Capture counts `plan` reports. */
export const PLAN_CAPTURES = [10, 50, 100, 500] as const;
/** Capture count `plan` ranks by. */
export const PLAN_RANK_CAPTURE = 100;
/** Terms of p(i) below this share of the link probability are dropped from resilience sums. */
const TAIL_EPSILON = 1e-16;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Factors beyond which a log-sum gives way to log-gamma. */
const LOG_SUM_MAX = 100_000;

/** ln C(n, r); -Infinity when r < 0 or r > n. */
export function logChoose(n: number, r: number): number {
  if (r < 0 || r > n) return -Infinity;
  const small = Math.min(r, n - r);
  if (small <= LOG_SUM_MAX) {
    let sum = 0;
    for (let j = 0; j < small; j++) sum += Math.log(n - j);
    return sum - logGamma(small + 1);
  }
  return logGamma(n + 1) - logGamma(r + 1) - logGamma(n - r + 1);
}

/** ln [C(S - m, u) / C(S, u)] = sum_{j<u} ln(1 - m / (S - j)): two rings of m miss u keys. */
function logMissRatio(S: number, m: number, u: number): number {
  if (u + m > S) return -Infinity;
  if (u <= LOG_SUM_MAX) {
    let sum = 0;
    for (let j = 0; j < u; j++) sum += Math.log1p(-m / (S - j));
    return sum;
  }
  return logChoose(S - m, u) - logChoose(S, u);
}

function checkInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${value}`);
  }
}

function checkRing(P: number, k: number): void {
  checkInt("pool", P, 1, POOL_SEARCH_MAX);
  checkInt("ring", k, 1, P);
}

/**
 * Eschenauer-Gligor share probability p' = 1 - C(P - k, k) / C(P, k) (EG 2002, section 3.1):
 * the chance two rings of k keys from a pool of P share at least one key.
 */
export function egShareProbability(P: number, k: number): number {
  checkRing(P, k);
  if (2 * k > P) return 1;
  // C(P - k, k) / C(P, k) = C(P - k, k)... = prod_{j<k} (P - k - j) / (P - j).
  return -Math.expm1(logMissRatio(P, k, k));
}

/**
 * Expected degree for a key graph connected with probability Pc (EG 2002 section 3.2,
 * Erdős–Rényi):
 * d = ((n - 1) / n) (ln n - ln(-ln Pc)).
 */
export function erdosRenyiDegree(n: number, Pc: number): number {
  checkInt("nodes", n, 2);
  if (!(Pc > 0 && Pc < 1)) throw new RangeError(`connectivity: expected 0 < Pc < 1, got ${Pc}`);
  return ((n - 1) / n) * (Math.log(n) - Math.log(-Math.log(Pc)));
}

/** Share probability needed with n' neighbours: p' = d / (n' - 1) (EG 2002 section 3.2). */
export function requiredShareProbability(n: number, neighbours: number, Pc: number): number {
  checkInt("neighbours", neighbours, 2);
  return erdosRenyiDegree(n, Pc) / (neighbours - 1);
}

/** Smallest ring size k with p'(P, k) >= target, or undefined when even k = P falls short. */
export function smallestRing(P: number, target: number): number | undefined {
  checkInt("pool", P, 1, POOL_SEARCH_MAX);
  if (target <= 0) return 1;
  if (target > 1) return undefined;
  let lo = 1;
  let hi = Math.ceil(P / 2);
  if (egShareProbability(P, hi) < target) return undefined;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (egShareProbability(P, mid) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Largest pool P (<= 2^32) with p'(P, k) >= target; undefined when none (target > 1). */
export function largestPool(k: number, target: number, q = 1): number | undefined {
  checkInt("ring", k, 1, POOL_SEARCH_MAX);
  checkInt("q", q, 1, k);
  const fits = (P: number) =>
    (q === 1 ? egShareProbability(P, k) : qcompositeLinkProbability(P, k, q)) >= target;
  if (!fits(k)) return undefined;
  if (fits(POOL_SEARCH_MAX)) return POOL_SEARCH_MAX;
  let lo = k;
  let hi = POOL_SEARCH_MAX;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * q-composite p(i) for i = 0..m (Chan-Perrig-Song 2003 section 4.1): the probability two rings of
 * m keys from a pool of S share exactly i keys, C(S,i) C(S-i,2(m-i)) C(2(m-i),m-i) / C(S,m)^2,
 * which equals the hypergeometric C(m,i) C(S-m,m-i) / C(S,m). Computed from p(0) by the ratio
 * p(i+1) / p(i) = (m-i)^2 / ((i+1)(S-2m+i+1)).
 */
export function qcompositeDistribution(S: number, m: number): Float64Array {
  checkRing(S, m);
  const p = new Float64Array(m + 1);
  const iMin = Math.max(0, 2 * m - S);
  let logP = iMin === 0 ? logMissRatio(S, m, m) : logChoose(m, iMin) - logChoose(S, m);
  for (let i = iMin; i <= m; i++) {
    p[i] = Math.exp(logP);
    if (i < m) logP += 2 * Math.log(m - i) - Math.log(i + 1) - Math.log(S - 2 * m + i + 1);
  }
  return p;
}

/** Link probability of q-composite: 1 - sum_{i<q} p(i) (Chan-Perrig-Song 2003 section 4.1). */
export function qcompositeLinkProbability(S: number, m: number, q: number): number {
  checkRing(S, m);
  checkInt("q", q, 1, m);
  if (q === 1) return egShareProbability(S, m);
  const p = qcompositeDistribution(S, m);
  let below = 0;
  for (let i = 0; i < q; i++) below += p[i];
  let above = 0;
  for (let i = q; i <= m; i++) above += p[i];
  // Sum whichever side is smaller, to keep the precision of small link probabilities.
  return above < below ? above : 1 - below;
}

/** EG resilience: fraction of other links exposed after x captures, 1 - (1 - k/P)^x (EG 2002). */
export function egCompromised(P: number, k: number, x: number): number {
  checkRing(P, k);
  checkInt("captured", x, 0);
  return -Math.expm1(x * Math.log1p(-k / P));
}

/**
 * q-composite resilience in Chan-Perrig-Song's form (S&P 2003 section 4.2):
 * sum_{i>=q} (1 - (1 - m/S)^x)^i p(i) / p, treating the i shared keys as independent.
 */
export function qcompositeCompromisedCps(S: number, m: number, q: number, x: number): number {
  checkInt("captured", x, 0);
  const p = qcompositeDistribution(S, m);
  const link = qcompositeLinkProbability(S, m, q);
  const one = -Math.expm1(x * Math.log1p(-m / S));
  let sum = 0;
  for (let i = q; i <= m; i++) {
    if (p[i] < TAIL_EPSILON * link && i > q + (2 * m * m) / S) break;
    sum += Math.pow(one, i) * p[i];
  }
  return Math.min(1, sum / link);
}

/**
 * Probability that x random rings of m keys together cover a fixed set of i keys from S: the exact
 * value of Zhao et al.'s inclusion-exclusion sum_j (-1)^j C(i,j) (C(S-j,m)/C(S,m))^x, computed by
 * a Markov chain on the count of still-uncovered keys (each capture covers a hypergeometric number
 * of them), which needs no alternating sum and so loses no precision.
 */
export function coverProbability(S: number, m: number, i: number, x: number): number {
  if (i === 0) return 1;
  // Transition matrix: from u uncovered to u - h, h ~ Hypergeometric(S, u, m).
  const rows: Float64Array[] = [];
  for (let u = 0; u <= i; u++) {
    const row = new Float64Array(u + 1);
    // P(h = 0) = C(S-u, m)/C(S, m) = C(S-m, u)/C(S, u).
    let logP = logMissRatio(S, m, u);
    const hMax = Math.min(u, m);
    for (let h = 0; h <= hMax; h++) {
      row[h] = Number.isFinite(logP) ? Math.exp(logP) : 0;
      if (h < hMax) {
        logP += Math.log(u - h) + Math.log(m - h) - Math.log(h + 1) - Math.log(S - u - m + h + 1);
      }
    }
    if (!Number.isFinite(logMissRatio(S, m, u))) {
      // m + u > S: recompute from the first h with a non-zero probability, by log-choose.
      for (let h = 0; h <= hMax; h++) {
        row[h] = Math.exp(logChoose(u, h) + logChoose(S - u, m - h) - logChoose(S, m));
      }
    }
    rows.push(row);
  }
  let state = new Float64Array(i + 1);
  state[i] = 1;
  for (let step = 0; step < x; step++) {
    const next = new Float64Array(i + 1);
    for (let u = 0; u <= i; u++) {
      if (state[u] === 0) continue;
      const row = rows[u];
      for (let h = 0; h < row.length; h++) next[u - h] += state[u] * row[h];
    }
    state = next;
  }
  return state[0];
}

/**
 * q-composite resilience, exact (Zhao, Yağan & Gligor, IEEE T-IT 2017): sum_{i>=q} P[all i shared
 * keys among the captured rings] p(i) / p.
 */
export function qcompositeCompromisedExact(S: number, m: number, q: number, x: number): number {
  checkInt("captured", x, 0);
  const p = qcompositeDistribution(S, m);
  const link = qcompositeLinkProbability(S, m, q);
  let sum = 0;
  for (let i = q; i <= m; i++) {
    if (p[i] < TAIL_EPSILON * link && i > q + (2 * m * m) / S) break;
    sum += coverProbability(S, m, i, x) * p[i];
  }
  return Math.min(1, sum / link);
}

/**
 * Threshold schemes (Blom spaces, polynomials): a link is exposed when more than t of the x
 * captured nodes hold its polynomial, sum_{j>t} C(x,j) f^j (1-f)^(x-j) with f = s'/s
 * (Liu-Ning 2003 section 4.1.2; Du et al. 2003 section 5).
 */
export function thresholdCompromised(s: number, sPrime: number, t: number, x: number): number {
  checkRing(s, sPrime);
  checkInt("degree", t, 0);
  checkInt("captured", x, 0);
  if (x <= t) return 0;
  const f = sPrime / s;
  if (f === 1) return 1;
  const logF = Math.log(f);
  const log1F = Math.log1p(-f);
  let sum = 0;
  for (let j = t + 1; j <= x; j++) {
    sum += Math.exp(logChoose(x, j) + j * logF + (x - j) * log1F);
  }
  return Math.min(1, sum);
}

/** Share probability of polypool: two random s'-subsets of s polynomials intersect. */
export function polypoolShareProbability(s: number, sPrime: number): number {
  return egShareProbability(s, sPrime);
}

/** Parameters of one scheme, as the CLI and `plan` use them. */
export type AnalysisParams =
  | { scheme: "full"; nodes: number }
  | { scheme: "eg"; pool: number; ring: number }
  | { scheme: "qcomposite"; pool: number; ring: number; q: number }
  | { scheme: "pairwise"; nodes: number; partners: number }
  | { scheme: "polypool"; polynomials: number; perNode: number; degree: number; lanes?: number }
  | { scheme: "leap"; erased?: boolean };

/** Image bytes per node (pairwise: at the mean partner count), from host/image's layout. */
export function storageBytes(params: AnalysisParams): number {
  switch (params.scheme) {
    case "full":
      return imageLenOf("full", params.nodes - 1);
    case "eg":
    case "qcomposite":
      return imageLenOf(params.scheme, params.ring);
    case "pairwise":
      return imageLenOf("pairwise", params.partners);
    case "polypool":
      return imageLenOf("polypool", params.perNode, params.degree, params.lanes ?? POLY_LANES);
    case "leap":
      return imageLenOf("leap", 1);
  }
}

/** Probability that two neighbours can set up a direct link key. */
export function linkProbability(params: AnalysisParams): number {
  switch (params.scheme) {
    case "full":
    case "leap":
      return 1;
    case "eg":
      return egShareProbability(params.pool, params.ring);
    case "qcomposite":
      return qcompositeLinkProbability(params.pool, params.ring, params.q);
    case "pairwise":
      checkInt("partners", params.partners, 1, params.nodes - 1);
      return params.partners / (params.nodes - 1);
    case "polypool":
      return polypoolShareProbability(params.polynomials, params.perNode);
  }
}

/**
 * Fraction of links between uncaptured nodes exposed after x random captures. Full, pairwise and
 * LEAP with K_IN erased expose only the captured nodes' own links (0 here); LEAP with K_IN not
 * erased exposes every pair key (1).
 */
export function compromisedFraction(
  params: AnalysisParams,
  x: number,
  form: "exact" | "cps" = "exact",
): number {
  checkInt("captured", x, 0);
  switch (params.scheme) {
    case "full":
    case "pairwise":
      return 0;
    case "leap":
      return params.erased === false && x > 0 ? 1 : 0;
    case "eg":
      return egCompromised(params.pool, params.ring, x);
    case "qcomposite":
      return form === "cps"
        ? qcompositeCompromisedCps(params.pool, params.ring, params.q, x)
        : qcompositeCompromisedExact(params.pool, params.ring, params.q, x);
    case "polypool":
      return thresholdCompromised(params.polynomials, params.perNode, params.degree, x);
  }
}

export interface Analysis {
  params: AnalysisParams;
  linkProbability: number;
  expectedSecureDegree: number | null;
  storageBytes: number;
  compromised: { captured: number; fraction: number }[];
}

/** Everything `predist analyze` prints, for one scheme. */
export function analyze(
  params: AnalysisParams,
  neighbours: number | undefined,
  captured: number[],
) {
  const p = linkProbability(params);
  const analysis: Analysis = {
    params,
    linkProbability: p,
    expectedSecureDegree: neighbours === undefined ? null : p * (neighbours - 1),
    storageBytes: storageBytes(params),
    compromised: captured.map((x) => ({ captured: x, fraction: compromisedFraction(params, x) })),
  };
  return analysis;
}

export interface PlanInput {
  nodes: number;
  neighbours: number;
  connectivity: number;
  memory: number;
  /** q values tried for q-composite. */
  qValues?: number[];
}

export interface PlanRow extends Analysis {
  scheme: SchemeName;
  note: string;
}

/** Memory a node can give the image: the budget, and never more than one flash slot. */
function budgetOf(memory: number): number {
  return Math.min(memory, IMAGE_MAX_LEN);
}

/**
 * For every scheme, the parameters that fit `memory` bytes and reach the share probability the
 * Erdős–Rényi sizing asks for; ranked by compromised fraction at x = 100, then by storage.
 */
export function plan(input: PlanInput): { required: number; degree: number; rows: PlanRow[] } {
  checkInt("nodes", input.nodes, 2, 0xfffffffe);
  checkInt("neighbours", input.neighbours, 2);
  checkInt("memory", input.memory, 1);
  const degree = erdosRenyiDegree(input.nodes, input.connectivity);
  const required = degree / (input.neighbours - 1);
  const budget = budgetOf(input.memory);
  const rows: PlanRow[] = [];
  const push = (params: AnalysisParams, note: string) => {
    const analysis = analyze(params, input.neighbours, [...PLAN_CAPTURES]);
    rows.push({ ...analysis, scheme: params.scheme, note });
  };
  const keysFitting = Math.floor((budget - imageLenOf("eg", 0)) / 20);

  // Full pairwise: n - 1 keys.
  if (storageBytes({ scheme: "full", nodes: input.nodes }) <= budget) {
    push({ scheme: "full", nodes: input.nodes }, "a key per pair; n - 1 keys");
  }
  // LEAP+: constant storage; resilience assumes K_IN erased before any capture.
  if (storageBytes({ scheme: "leap" }) <= budget) {
    push({ scheme: "leap" }, "assumes K_IN erased before any capture (else all links exposed)");
  }
  // Random pairwise: m = ceil(p * (n - 1)).
  if (required <= 1) {
    const partners = Math.max(1, Math.ceil(required * (input.nodes - 1)));
    if (
      partners <= input.nodes - 1 &&
      storageBytes({ scheme: "pairwise", nodes: input.nodes, partners }) <= budget
    ) {
      push(
        { scheme: "pairwise", nodes: input.nodes, partners },
        "storage at the mean partner count",
      );
    }
  }
  // EG and q-composite: the largest ring that fits, then the largest pool that still connects.
  if (keysFitting >= 1 && required <= 1) {
    const ring = keysFitting;
    const pool = largestPool(ring, required);
    if (pool !== undefined) push({ scheme: "eg", pool, ring }, "largest ring that fits");
    for (const q of input.qValues ?? [2, 3]) {
      if (q > ring) continue;
      const qPool = largestPool(ring, required, q);
      if (qPool !== undefined) push({ scheme: "qcomposite", pool: qPool, ring, q }, `q = ${q}`);
    }
  }
  // Polypool: for s' = 1 (Blundo) .. 8, the largest degree that fits, the largest s that connects.
  if (required <= 1) {
    let best: AnalysisParams | undefined;
    let bestRisk = Infinity;
    for (let perNode = 1; perNode <= 8; perNode++) {
      const perPoly = Math.floor((budget - imageLenOf("polypool", 0)) / perNode);
      const degree = Math.floor((perPoly - 4) / (4 * POLY_LANES)) - 1;
      if (degree < 1) continue;
      let polynomials = perNode;
      if (perNode > 1) {
        let lo = perNode;
        let hi = 1 << 20;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (polypoolShareProbability(mid, perNode) >= required) lo = mid;
          else hi = mid;
        }
        polynomials = lo;
      }
      const params: AnalysisParams = { scheme: "polypool", polynomials, perNode, degree };
      if (linkProbability(params) < required) continue;
      const risk = compromisedFraction(params, PLAN_RANK_CAPTURE);
      if (risk < bestRisk) {
        best = params;
        bestRisk = risk;
      }
    }
    if (best !== undefined) {
      const note =
        best.scheme === "polypool" && best.perNode === 1
          ? "Blundo (s = s' = 1)"
          : "s' chosen by x = 100 risk";
      push(best, note);
    }
  }

  const riskAt = (row: PlanRow) =>
    row.compromised.find((c) => c.captured === PLAN_RANK_CAPTURE)?.fraction ?? 1;
  rows.sort((a, b) => riskAt(a) - riskAt(b) || a.storageBytes - b.storageBytes);
  return { required, degree, rows };
}
