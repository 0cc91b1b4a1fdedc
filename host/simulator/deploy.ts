// Deployment geometry: where the nodes are and who hears whom. Nodes are placed uniformly at
// random in a square (seeded Prng) or read from a CSV of positions; the radio range is given, or
// derived from a wanted mean neighbour count n'.
//
// Range from n' (ignoring edges): a node's expected neighbours are (N - 1) * pi r^2 / side^2, so
//   r = side * sqrt(n' / (pi * (N - 1))).
// Nodes near an edge have fewer neighbours, so the measured mean falls below n'. For two uniform
// points in a unit square, P[distance <= r] = pi r^2 - 8 r^3 / 3 + r^4 / 2 (r <= 1, r in units of
// the side), so the expected mean is n' (1 - 8 r / (3 pi) + r^2 / (2 pi)): the border effect.

import { Prng } from "../emulator/random.js";
import type { Position } from "../emulator/unit-disk.js";

/** Largest network and CSV the simulator accepts: keeps a typo from exhausting memory. */
export const NODES_MAX = 100_000;
const CSV_BYTES_MAX = 8 * 1024 * 1024;
const CSV_LINE_MAX = 200;

export interface Deployment {
  readonly side: number;
  /** positions[i] is node ID i + 1. */
  readonly positions: readonly Position[];
  readonly range: number;
}

/** Radio range for a wanted mean neighbour count, edges ignored (module header). */
export function rangeForNeighbours(side: number, nodes: number, neighbours: number): number {
  if (!(side > 0) || !Number.isFinite(side)) {
    throw new RangeError(`side: expected a positive number, got ${side}`);
  }
  if (!Number.isInteger(nodes) || nodes < 2) {
    throw new RangeError(`nodes: expected an integer >= 2, got ${nodes}`);
  }
  if (!(neighbours > 0) || neighbours > nodes - 1) {
    throw new RangeError(`neighbours: expected 0 < n' <= ${nodes - 1}, got ${neighbours}`);
  }
  return side * Math.sqrt(neighbours / (Math.PI * (nodes - 1)));
}

/** N positions uniform in [0, side)^2 from `prng`. */
export function placeUniform(nodes: number, side: number, prng: Prng): Position[] {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > NODES_MAX) {
    throw new RangeError(`nodes: expected 1..${NODES_MAX}, got ${nodes}`);
  }
  const out: Position[] = [];
  for (let i = 0; i < nodes; i++) out.push({ x: prng.next() * side, y: prng.next() * side });
  return out;
}

/**
 * Parses "x,y" lines (optionally a header line "x,y"; blank lines and "#" comments skipped).
 * Node IDs follow line order from 1. Throws RangeError naming the line for anything else.
 */
export function parsePositionsCsv(text: string): Position[] {
  if (text.length > CSV_BYTES_MAX) {
    throw new RangeError(
      `positions CSV: expected at most ${CSV_BYTES_MAX} bytes, got ${text.length}`,
    );
  }
  const out: Position[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.length > CSV_LINE_MAX) {
      throw new RangeError(`positions CSV line ${i + 1}: longer than ${CSV_LINE_MAX} characters`);
    }
    if (out.length === 0 && /^x\s*,\s*y$/i.test(line)) continue;
    const fields = line.split(",").map((field) => field.trim());
    const x = Number(fields[0]);
    const y = Number(fields[1]);
    if (
      fields.length !== 2 ||
      fields[0] === "" ||
      fields[1] === "" ||
      !Number.isFinite(x) ||
      !Number.isFinite(y)
    ) {
      throw new RangeError(`positions CSV line ${i + 1}: expected "x,y" numbers, got "${line}"`);
    }
    if (out.length >= NODES_MAX) {
      throw new RangeError(`positions CSV: more than ${NODES_MAX} nodes`);
    }
    out.push({ x, y });
  }
  if (out.length < 2) {
    throw new RangeError(`positions CSV: expected at least 2 nodes, got ${out.length}`);
  }
  return out;
}

/** Side of the smallest square at the origin holding every position (at least 1). */
export function sideOf(positions: readonly Position[]): number {
  let side = 1;
  for (const p of positions) side = Math.max(side, p.x, p.y);
  return side;
}

/**
 * Neighbour lists of the unit-disk graph: lists[i] holds the indexes j != i with distance
 * <= range, ascending. Grid of cell = range, so the cost is about N * n'.
 */
export function unitDiskNeighbours(positions: readonly Position[], range: number): number[][] {
  const lists: number[][] = positions.map(() => []);
  if (!(range > 0)) return lists;
  const grid = new Map<string, number[]>();
  const cellOf = (p: Position) => [Math.floor(p.x / range), Math.floor(p.y / range)] as const;
  positions.forEach((p, i) => {
    const [cx, cy] = cellOf(p);
    const key = `${cx},${cy}`;
    const bucket = grid.get(key);
    if (bucket === undefined) grid.set(key, [i]);
    else bucket.push(i);
  });
  const range2 = range * range;
  positions.forEach((p, i) => {
    const [cx, cy] = cellOf(p);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const j of grid.get(`${cx + dx},${cy + dy}`) ?? []) {
          if (j === i) continue;
          const q = positions[j]!;
          const ex = p.x - q.x;
          const ey = p.y - q.y;
          if (ex * ex + ey * ey <= range2) lists[i]!.push(j);
        }
      }
    }
    lists[i]!.sort((a, b) => a - b);
  });
  return lists;
}
