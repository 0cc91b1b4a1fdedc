// Generated rings against the closed forms (docs/analytics.md): the share probability of EG rings
// and the distribution of shared-key counts of q-composite rings, each within 4 standard errors.
// Pairs are disjoint (node 2i-1 with node 2i), so the pair outcomes are independent and the
// binomial standard error applies exactly.

import { describe, expect, it } from "vitest";
import { createAuthority, intersect } from "../host/authority/index.js";
import { egShareProbability, qcompositeDistribution } from "../host/analytics/index.js";

const PAIRS = 4000;
const SIGMAS = 4;

function sharedCounts(options: Parameters<typeof createAuthority>[0]): number[] {
  const a = createAuthority(options);
  const counts: number[] = [];
  for (let i = 1; i <= PAIRS; i++)
    counts.push(intersect(a.ringOf(2 * i - 1).ids, a.ringOf(2 * i).ids).length);
  return counts;
}

function within(observedCount: number, p: number, n: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(observedCount / n - p)).toBeLessThanOrEqual(SIGMAS * se + 1e-12);
}

describe("EG share probability of generated rings (EG 2002 section 3.1)", () => {
  for (const seeded of [false, true]) {
    it(`P = 1000, k = 20, ${seeded ? "seeded" : "secret"} rings`, () => {
      const counts = sharedCounts({
        scheme: "eg",
        pool: 1000,
        ring: 20,
        seeded,
        insecureSeed: "rings",
      });
      within(counts.filter((c) => c >= 1).length, egShareProbability(1000, 20), PAIRS);
    });
  }
});

describe("q-composite shared-key counts (Chan-Perrig-Song 2003 section 4.1, p(i))", () => {
  it("P = 500, k = 30: each count i = 0..5 and the tail", () => {
    const counts = sharedCounts({
      scheme: "qcomposite",
      pool: 500,
      ring: 30,
      q: 2,
      insecureSeed: "rings-q",
    });
    const p = qcompositeDistribution(500, 30);
    for (let i = 0; i <= 5; i++) within(counts.filter((c) => c === i).length, p[i], PAIRS);
    const tail = Array.from(p)
      .slice(6)
      .reduce((x, y) => x + y, 0);
    within(counts.filter((c) => c >= 6).length, tail, PAIRS);
  });
});
