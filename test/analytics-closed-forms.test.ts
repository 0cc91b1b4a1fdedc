// Analytics (docs/analytics.md) against reference values computed with exact rational arithmetic
// (test/vectors/authority-analytics.json, made by Python fractions from the papers' formulas; see
// test/vectors/authority-README.md) and against a BigInt reference here on a parameter grid.
// Storage figures are checked against the real image encoder.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  compromisedFraction,
  egCompromised,
  egShareProbability,
  erdosRenyiDegree,
  largestPool,
  plan,
  qcompositeCompromisedCps,
  qcompositeCompromisedExact,
  qcompositeDistribution,
  qcompositeLinkProbability,
  requiredShareProbability,
  smallestRing,
  storageBytes,
  thresholdCompromised,
} from "../host/analytics/index.js";
import { buildImage, createAuthority } from "../host/authority/index.js";

const vectors = JSON.parse(
  readFileSync(new URL("./vectors/authority-analytics.json", import.meta.url), "utf8"),
);
const close = (got: number, want: number, rel = 1e-9) =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.max(Math.abs(want), 1e-300));

// Exact reference: C(n, r) as BigInt and a rational to double.
function choose(n: number, r: number): bigint {
  if (r < 0 || r > n) return 0n;
  let out = 1n;
  for (let j = 0; j < r; j++) out = (out * BigInt(n - j)) / BigInt(j + 1);
  return out;
}
const ratio = (num: bigint, den: bigint) => Number((num * 10n ** 30n) / den) / 1e30;

describe("Eschenauer-Gligor (CCS 2002)", () => {
  for (const v of vectors.eg) {
    it(`p'(P = ${v.pool}, k = ${v.ring}) = ${v.p} (${v.source})`, () => {
      close(egShareProbability(v.pool, v.ring), v.p);
    });
  }

  it("erratum: P = 10,000, k = 75 gives about 0.433, not the 0.5 of the text", () => {
    expect(egShareProbability(10_000, 75)).toBeLessThan(0.44);
    expect(egShareProbability(10_000, 75)).toBeGreaterThan(0.43);
  });

  it("BigInt reference on a grid", () => {
    for (const P of [50, 101, 1000, 5000]) {
      for (const k of [1, 3, 10, 24, 25]) {
        if (k > P) continue;
        const want = 2 * k > P ? 1 : 1 - ratio(choose(P - k, k), choose(P, k));
        close(egShareProbability(P, k), want, 1e-12);
      }
    }
  });

  it("Erdős–Rényi sizing: d and p' = d / (n' - 1) (EG section 3.2)", () => {
    const er = vectors.erdosRenyi;
    close(erdosRenyiDegree(er.nodes, er.connectivity), er.degree, 1e-12);
    close(
      requiredShareProbability(er.nodes, er.neighbours, er.connectivity),
      er.degree / 39,
      1e-12,
    );
  });

  it("smallest ring and largest pool are the boundaries of the target", () => {
    const k = smallestRing(10_000, 0.5) as number;
    expect(egShareProbability(10_000, k)).toBeGreaterThanOrEqual(0.5);
    expect(egShareProbability(10_000, k - 1)).toBeLessThan(0.5);
    const P = largestPool(200, 0.33) as number;
    expect(egShareProbability(P, 200)).toBeGreaterThanOrEqual(0.33);
    expect(egShareProbability(P + 1, 200)).toBeLessThan(0.33);
    expect(largestPool(10, 1.5)).toBeUndefined();
  });

  it("no overflow up to P = 10^8 and beyond", () => {
    expect(Number.isFinite(egShareProbability(100_000_000, 5_000))).toBe(true);
    expect(egShareProbability(2 ** 32, 1)).toBeCloseTo(2 ** -32, 20);
  });

  it("resilience 1 - (1 - k/P)^x (EG section 4)", () => {
    close(egCompromised(10_000, 75, 50), 1 - (1 - 75 / 10_000) ** 50, 1e-12);
  });
});

describe("q-composite (Chan-Perrig-Song S&P 2003; Zhao et al. IEEE T-IT 2017)", () => {
  for (const v of vectors.qcomposite) {
    it(`p(i) and link probability for S = ${v.pool}, m = ${v.ring}`, () => {
      const dist = qcompositeDistribution(v.pool, v.ring);
      v.p_i_first8.forEach((p: number, i: number) => close(dist[i], p, 1e-9));
      for (const [q, p] of Object.entries(v.link)) {
        close(qcompositeLinkProbability(v.pool, v.ring, Number(q)), p as number, 1e-9);
      }
    });
  }

  it("p(i) sums to 1 and matches the BigInt hypergeometric form on a grid", () => {
    for (const [S, m] of [
      [30, 10],
      [100, 7],
      [1000, 40],
    ]) {
      const dist = qcompositeDistribution(S, m);
      close(
        dist.reduce((a, b) => a + b, 0),
        1,
        1e-12,
      );
      for (let i = 0; i <= m; i++) {
        const want = ratio(choose(m, i) * choose(S - m, m - i), choose(S, m));
        expect(Math.abs(dist[i] - want)).toBeLessThan(1e-12);
      }
    }
  });

  for (const v of vectors.resilience) {
    it(`resilience S = ${v.pool}, m = ${v.ring}, q = ${v.q}, x = ${v.captured}: both forms`, () => {
      close(qcompositeCompromisedCps(v.pool, v.ring, v.q, v.captured), v.cps, 1e-9);
      close(qcompositeCompromisedExact(v.pool, v.ring, v.q, v.captured), v.exact, 1e-9);
    });
  }

  it("q = 1 is not the EG curve (all shared keys are hashed, not one)", () => {
    const q1 = qcompositeCompromisedCps(1000, 50, 1, 20);
    const eg = egCompromised(1000, 50, 20);
    expect(q1).toBeLessThan(eg - 0.01);
  });
});

describe("threshold schemes (Liu-Ning CCS 2003, Du et al. CCS 2003)", () => {
  for (const v of vectors.threshold) {
    it(`s = ${v.polynomials}, s' = ${v.perNode}, t = ${v.degree}, x = ${v.captured}`, () => {
      close(thresholdCompromised(v.polynomials, v.perNode, v.degree, v.captured), v.fraction, 1e-9);
    });
  }
});

describe("storage matches the image encoder", () => {
  const seed = "analytics-storage";
  it("full, eg, qcomposite, polypool, leap: exact image length", () => {
    const cases = [
      { scheme: "full", nodes: 40 },
      { scheme: "eg", pool: 1000, ring: 83 },
      { scheme: "qcomposite", pool: 1000, ring: 60, q: 2 },
      { scheme: "polypool", polynomials: 20, perNode: 3, degree: 17 },
      { scheme: "polypool", polynomials: 20, perNode: 3, degree: 17, lanes: 2 },
      { scheme: "leap" },
    ] as const;
    for (const params of cases) {
      const image = buildImage(createAuthority({ ...params, insecureSeed: seed }), 7);
      expect(storageBytes(params)).toBe(image.length);
    }
  });

  it("pairwise: mean over nodes close to the figure at m partners", () => {
    const params = { scheme: "pairwise", nodes: 300, partners: 40 } as const;
    const a = createAuthority({ ...params, insecureSeed: seed });
    let total = 0;
    for (let u = 1; u <= 300; u++) total += buildImage(a, u).length;
    // Each partner record is 20 bytes; the mean degree is m with standard error
    // sqrt(m (1 - m/(n-1)) / n) ~ 0.34 partners (pairs counted twice: correlation ignored).
    expect(Math.abs(total / 300 - storageBytes(params))).toBeLessThan(20 * 4 * 0.4);
  });
});

describe("plan", () => {
  it("every row fits the memory and reaches the required probability; ranked by x = 100", () => {
    const result = plan({ nodes: 10_000, neighbours: 40, connectivity: 0.99999, memory: 4096 });
    expect(result.rows.length).toBeGreaterThan(3);
    for (const row of result.rows) {
      expect(row.storageBytes).toBeLessThanOrEqual(4096);
      expect(row.linkProbability).toBeGreaterThanOrEqual(result.required);
    }
    const risks = result.rows.map((r) => r.compromised.find((c) => c.captured === 100)!.fraction);
    expect([...risks].sort((a, b) => a - b)).toEqual(risks);
    expect(result.rows.some((r) => r.scheme === "full")).toBe(false); // 9,999 keys do not fit
  });

  it("LEAP without erasure exposes every link", () => {
    expect(compromisedFraction({ scheme: "leap", erased: false }, 1)).toBe(1);
    expect(compromisedFraction({ scheme: "leap" }, 500)).toBe(0);
  });
});
