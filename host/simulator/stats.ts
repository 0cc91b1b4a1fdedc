// Small helpers the simulator's modules share: ring intersections and rounded statistics.

/** The shared IDs of two ascending rings, ascending. */
export function sharedIds(a: Uint32Array, b: Uint32Array): number[] {
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

/** How many IDs two ascending rings share, counting no further than `limit`. */
export function sharedCount(a: Uint32Array, b: Uint32Array, limit: number): number {
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

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length === 0 ? 0 : sum / values.length;
}

export function max(values: ArrayLike<number>): number {
  let out = 0;
  for (let i = 0; i < values.length; i++) out = Math.max(out, values[i]!);
  return out;
}

/** Six decimals: JSON output stays short and byte-identical across runs. */
export function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
