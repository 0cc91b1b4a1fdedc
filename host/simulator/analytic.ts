// Analytic predictions the simulator sets its measurements beside (docs/simulator.md): share
// probability and capture resilience per scheme, in the exact forms of /work/shared/FIELD.md with
// binomials computed through log-gamma.
//   EG (Eschenauer & Gligor, CCS 2002): p' = 1 - C(P-k, k) / C(P, k); after x random captures a
//     link between uncaptured nodes is exposed with probability 1 - (1 - k/P)^x.
//   q-composite (Chan, Perrig & Song, S&P 2003): p(i) = C(S,i) C(S-i, 2(m-i)) C(2(m-i), m-i) /
//     C(S,m)^2; link probability 1 - sum_{i<q} p(i); exposed fraction
//     sum_{i>=q} (1 - (1 - m/S)^x)^i p(i) / p (their form: shared keys treated as independent).
//   Polynomial pool (Liu & Ning, CCS 2003): share probability as EG with (s, s'); a polynomial of
//     degree t falls when more than t of x captured nodes hold it:
//     sum_{j>t} C(x,j) f^j (1-f)^(x-j), f = s'/s.
//   Random pairwise: p = m / (N - 1) as the authority pairs nodes; full and LEAP+: p = 1; none of
//     the three exposes links between uncaptured nodes.
// host/analytics implements the same forms independently for `predist analyze` and `plan`;
// test/simulator-model.test.ts checks the two agree to 1e-9, a differential test of both.
// TODO: import from host/analytics and delete this file if the differential test is dropped.

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-13 here). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln C(n, k); -Infinity when k < 0 or k > n. */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** EG: probability that two rings of k keys from a pool of P share at least one key. */
export function egShareProbability(pool: number, ring: number): number {
  if (2 * ring > pool) return 1;
  return 1 - Math.exp(logChoose(pool - ring, ring) - logChoose(pool, ring));
}

/** q-composite: probability that two rings share exactly i keys. */
export function qcompositeExact(pool: number, ring: number, i: number): number {
  const m = ring;
  return Math.exp(
    logChoose(pool, i) + logChoose(pool - i, 2 * (m - i)) + logChoose(2 * (m - i), m - i) -
      2 * logChoose(pool, m),
  );
}

/** q-composite: probability that two rings share at least q keys. */
export function qcompositeShareProbability(pool: number, ring: number, q: number): number {
  let below = 0;
  for (let i = 0; i < q; i++) below += qcompositeExact(pool, ring, i);
  return Math.max(0, 1 - below);
}

/** EG: fraction of links between uncaptured nodes exposed by x random captures. */
export function egCapturedFraction(pool: number, ring: number, captured: number): number {
  return 1 - Math.pow(1 - ring / pool, captured);
}

/** q-composite, Chan-Perrig-Song form. */
export function qcompositeCapturedFraction(pool: number, ring: number, q: number,
  captured: number): number {
  const p = qcompositeShareProbability(pool, ring, q);
  if (p === 0) return 0;
  const keyExposed = 1 - Math.pow(1 - ring / pool, captured);
  let sum = 0;
  for (let i = q; i <= ring; i++) sum += Math.pow(keyExposed, i) * qcompositeExact(pool, ring, i);
  return sum / p;
}

/** Polynomial pool: probability that one polynomial of degree t is broken by x captures. */
export function polypoolCapturedFraction(polynomials: number, perNode: number, degree: number,
  captured: number): number {
  const f = perNode / polynomials;
  let sum = 0;
  for (let j = degree + 1; j <= captured; j++) {
    sum += Math.exp(logChoose(captured, j) + j * Math.log(f) + (captured - j) * Math.log1p(-f));
  }
  return Math.min(1, sum);
}
