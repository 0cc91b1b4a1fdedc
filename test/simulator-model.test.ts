// The network simulator at fixed seeds: host/analytics's EG form against a plain product,
// deployment geometry against the border-corrected neighbour count, measured direct-key and
// capture fractions against the predictions within binomial bounds, graph statistics on known
// graphs, input checks, and byte-identical output for a seed.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Prng } from "../host/emulator/random.js";
import {
  egShareProbability,
  qcompositeLinkProbability as qcompositeShareProbability,
} from "../host/analytics/index.js";
import {
  parsePositionsCsv,
  placeUniform,
  rangeForNeighbours,
  unitDiskNeighbours,
} from "../host/simulator/deploy.js";
import { boundedBfs, componentSizes } from "../host/simulator/graph.js";
import { simulate } from "../host/simulator/simulate.js";
import { DEFAULTS, runSimulate } from "../provisioning/commands/simulate.js";
import { buildProgram, main } from "../provisioning/cli.js";
import { SCHEME_DEFAULTS } from "../provisioning/scheme-flags.js";
import { EXIT } from "../provisioning/errors.js";

/** C(P-k, k) / C(P, k) as a plain product: prod_{i<k} (P - k - i) / (P - i). */
function noShareProduct(pool: number, ring: number): number {
  let p = 1;
  for (let i = 0; i < ring; i++) p *= (pool - ring - i) / (pool - i);
  return p;
}

describe("the predictions beside the measurements", () => {
  // An independent check of host/analytics's EG form, which every figure here is set beside.
  it("EG share probability is the plain product, below EG's rounded 0.5 (FIELD errata)", () => {
    const p = egShareProbability(10_000, 75);
    expect(p).toBeCloseTo(1 - noShareProduct(10_000, 75), 12);
    expect(p).toBeLessThan(0.5);
  });
});

describe("deployment and graphs", () => {
  it("range from n' gives the border-corrected mean neighbour count", () => {
    const nodes = 3_000;
    const side = 1_000;
    const wanted = 30;
    const range = rangeForNeighbours(side, nodes, wanted);
    const positions = placeUniform(nodes, side, new Prng("geometry"));
    const lists = unitDiskNeighbours(positions, range);
    const measured = lists.reduce((s, l) => s + l.length, 0) / nodes;
    // P[d <= r] in a unit square = pi r^2 - 8 r^3 / 3 + r^4 / 2 (r as a fraction of the side).
    const r = range / side;
    const expected = (nodes - 1) * (Math.PI * r * r - (8 * r ** 3) / 3 + r ** 4 / 2);
    expect(Math.abs(measured - expected) / expected).toBeLessThan(0.03);
    expect(measured).toBeLessThan(wanted);
  });

  it("unit-disk neighbours match a brute-force check", () => {
    const positions = placeUniform(200, 100, new Prng("brute"));
    const lists = unitDiskNeighbours(positions, 17);
    positions.forEach((p, i) => {
      const brute = positions
        .map((q, j) => (j !== i && Math.hypot(p.x - q.x, p.y - q.y) <= 17 ? j : -1))
        .filter((j) => j >= 0);
      expect(lists[i]).toEqual(brute);
    });
  });

  it("counts components and bounded hop distances on a known graph", () => {
    // 0-1-2-3-4 path, 5-6 pair, 7 alone.
    const adjacency = [[1], [0, 2], [1, 3], [2, 4], [3], [6], [5], []];
    expect(componentSizes(adjacency)).toEqual([5, 2, 1]);
    const dist = new Int32Array(8).fill(-1);
    const queue = new Int32Array(8);
    const reached = boundedBfs(adjacency, 0, 3, dist, queue);
    expect(reached).toBe(4);
    expect([...dist]).toEqual([0, 1, 2, 3, -1, -1, -1, -1]);
  });

  it("parses position CSVs and names the bad line", () => {
    expect(parsePositionsCsv("x,y\n1,2\n# note\n\n3.5, 4\n")).toEqual([
      { x: 1, y: 2 },
      { x: 3.5, y: 4 },
    ]);
    expect(() => parsePositionsCsv("1,2\n3\n")).toThrow(/line 2/);
    expect(() => parsePositionsCsv("1,2\n3,abc\n")).toThrow(/line 2/);
    expect(() => parsePositionsCsv("1,2\n")).toThrow(/at least 2/);
  });
});

describe("simulate at fixed seeds", () => {
  const base = {
    nodes: 600,
    side: 1_000,
    neighbours: 30,
    seed: "fixed",
    captureMode: "random" as const,
    engine: "model" as const,
  };

  it("measures EG direct-key and capture fractions near the analytic values", () => {
    const { result } = simulate({
      ...base,
      scheme: { scheme: "eg", pool: 10_000, ring: 75 },
      capture: [0, 30, 100],
    });
    const p = egShareProbability(10_000, 75);
    const sigma = Math.sqrt((p * (1 - p)) / result.neighbourPairs);
    expect(Math.abs(result.directFraction - p)).toBeLessThan(4 * sigma);
    expect(result.capture[0]).toMatchObject({ captured: 0, compromised: 0 });
    for (const point of result.capture.slice(1)) {
      const predicted = 1 - (1 - 75 / 10_000) ** point.captured;
      const s = Math.sqrt((predicted * (1 - predicted)) / point.links);
      // Links share captured keys, so the spread is wider than binomial: allow 6 sigma.
      expect(Math.abs(point.fraction - predicted)).toBeLessThan(6 * s);
    }
    expect(result.components.largestFraction).toBeGreaterThan(0.95);
    expect(result.engine).toBe("model");
  });

  it("q-composite with q = 2 links less often than EG at the same ring", () => {
    const scheme = { scheme: "qcomposite" as const, pool: 10_000, ring: 75, q: 2 };
    const { result } = simulate({ ...base, scheme, capture: [] });
    const p = qcompositeShareProbability(10_000, 75, 2);
    const sigma = Math.sqrt((p * (1 - p)) / result.neighbourPairs);
    expect(Math.abs(result.directFraction - p)).toBeLessThan(4 * sigma);
    expect(result.directFraction).toBeLessThan(egShareProbability(10_000, 75));
  });

  it("full pairwise keys link every neighbour pair and expose none after capture", () => {
    const { result } = simulate({
      ...base,
      nodes: 150,
      scheme: { scheme: "full", nodes: 150 },
      capture: [20],
    });
    expect(result.directFraction).toBe(1);
    expect(result.capture[0]!.compromised).toBe(0);
    expect(result.pathKeys.keylessPairs).toBe(0);
  });

  it("random pairwise links a neighbour pair with probability m / (N - 1)", () => {
    const { result } = simulate({
      ...base,
      nodes: 400,
      scheme: { scheme: "pairwise", nodes: 400, partners: 100 },
      capture: [],
    });
    const p = 100 / 399;
    const sigma = Math.sqrt((p * (1 - p)) / result.neighbourPairs);
    expect(Math.abs(result.directFraction - p)).toBeLessThan(4 * sigma);
  });

  it("best-connected capture exposes at least as much as random at the same x", () => {
    const scheme = { scheme: "eg" as const, pool: 10_000, ring: 75 };
    const random = simulate({ ...base, scheme, capture: [60] }).result.capture[0]!;
    const best = simulate({ ...base, scheme, capture: [60], captureMode: "best" }).result
      .capture[0]!;
    expect(best.mode).toBe("best");
    expect(best.predicted).toBeNull();
    expect(best.links).toBeLessThan(random.links);
  });

  it("gives the same bytes for the same seed, and other bytes for another", () => {
    const options = { ...DEFAULTS, nodes: "200", neighbours: "15", json: true };
    const a = runSimulate(options).output;
    const b = runSimulate(options).output;
    const c = runSimulate({ ...options, seed: "other" }).output;
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    const page = (seed: string) => runSimulate({ ...options, seed, report: "r.html" }).report;
    expect(page("same")).toBe(page("same"));
    expect(JSON.parse(a).runs).toHaveLength(1);
  });

  it("sweeps every combination of comma lists", () => {
    const options = {
      ...DEFAULTS,
      engine: "model",
      nodes: "100,150",
      neighbours: "10",
      ring: "20,40",
      json: true,
    };
    const runs = JSON.parse(runSimulate(options).output).runs as {
      nodes: number;
      scheme: { ring: number };
    }[];
    expect(runs.map((r) => [r.nodes, r.scheme.ring])).toEqual([
      [100, 20],
      [100, 40],
      [150, 20],
      [150, 40],
    ]);
  });
});

describe("predist simulate with a positions file", () => {
  it("places nodes from the CSV in line order and uses the given range", () => {
    const dir = mkdtempSync(join(tmpdir(), "predist-sim-"));
    try {
      const file = join(dir, "p.csv");
      // A line of 5 nodes 10 apart: with range 10 each hears only its direct neighbours.
      writeFileSync(file, "x,y\n0,0\n10,0\n20,0\n30,0\n40,0\n");
      const out = runSimulate({
        ...DEFAULTS,
        positions: file,
        range: "10",
        captured: "0",
        scheme: "full",
        json: true,
      }).output;
      const run = JSON.parse(out).runs[0];
      expect(run.nodes).toBe(5);
      expect(run.neighbourPairs).toBe(4);
      expect(run.directPairs).toBe(4);
      expect(run.components.count).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("predist simulate input errors", () => {
  const quiet = async (argv: string[]) => {
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      return await main(argv);
    } finally {
      process.stderr.write = write;
    }
  };

  it("exits with a usage code for malformed values", async () => {
    expect(await quiet(["simulate", "--ring", "abc"])).toBe(EXIT.USAGE);
    expect(await quiet(["simulate", "--scheme", "rsa"])).toBe(EXIT.USAGE);
    expect(await quiet(["simulate", "--nodes", "50", "--captured", "60"])).toBe(EXIT.USAGE);
    expect(await quiet(["simulate", "--capture-mode", "worst"])).toBe(EXIT.USAGE);
  });

  it("names flags as `predist analyze` does: --captured, not --capture", async () => {
    expect(await quiet(["simulate", "--capture", "10"])).toBe(EXIT.USAGE);
    // --revoke needs the firmware engine and fits the firmware's 32 revoked node IDs.
    expect(await quiet(["simulate", "--engine", "model", "--revoke", "3"])).toBe(EXIT.USAGE);
    expect(await quiet(["simulate", "--revoke", "33"])).toBe(EXIT.USAGE);
  });

  it("defaults the scheme flags to SCHEME_DEFAULTS and states every flag's default", () => {
    const expected = {
      pool: SCHEME_DEFAULTS.pool,
      ring: SCHEME_DEFAULTS.ring,
      q: SCHEME_DEFAULTS.q,
      partners: SCHEME_DEFAULTS.partners,
      polynomials: SCHEME_DEFAULTS.polynomials,
      perNode: SCHEME_DEFAULTS.perNode,
      degree: SCHEME_DEFAULTS.degree,
      lanes: SCHEME_DEFAULTS.lanes,
      nodes: SCHEME_DEFAULTS.nodes,
    };
    for (const [key, value] of Object.entries(expected)) {
      expect(DEFAULTS[key as keyof typeof DEFAULTS], key).toBe(String(value));
    }
    const command = buildProgram().commands.find((c) => c.name() === "simulate")!;
    for (const option of command.options) {
      const documented = option.defaultValue !== undefined || /default/i.test(option.description);
      expect(documented, `${option.long} states its default`).toBe(true);
    }
    expect(command.options.find((o) => o.long === "--range")!.description).toMatch(
      /default: derived from --neighbours/,
    );
  });

  it("exits with invalid input for impossible scheme parameters or a missing CSV", async () => {
    const impossible = ["--nodes", "50", "--captured", "0", "--pool", "10", "--ring", "20"];
    expect(await quiet(["simulate", ...impossible])).toBe(EXIT.INVALID_INPUT);
    expect(await quiet(["simulate", "--positions", "/nonexistent/p.csv"])).toBe(EXIT.INVALID_INPUT);
  });
});
