// Graph statistics over adjacency lists of node indexes: connected components and bounded
// breadth-first distances (path-key hop counts).

/** Component sizes, largest first. */
export function componentSizes(adjacency: readonly (readonly number[])[]): number[] {
  const n = adjacency.length;
  const seen = new Uint8Array(n);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    if (seen[start]) continue;
    seen[start] = 1;
    stack.push(start);
    let size = 0;
    while (stack.length > 0) {
      const v = stack.pop()!;
      size++;
      for (const w of adjacency[v]!) {
        if (!seen[w]) {
          seen[w] = 1;
          stack.push(w);
        }
      }
    }
    sizes.push(size);
  }
  return sizes.sort((a, b) => b - a);
}

/**
 * Hop distances from `source` up to `maxHops` into `dist` (which must be all -1; nodes beyond
 * stay -1). `dist` and `queue` are caller-owned scratch of length N, so repeated calls allocate
 * nothing. Returns how many nodes were reached: they are queue[0 .. count), and the caller sets
 * their `dist` back to -1 before the next call.
 */
export function boundedBfs(
  adjacency: readonly (readonly number[])[],
  source: number,
  maxHops: number,
  dist: Int32Array,
  queue: Int32Array,
): number {
  let head = 0;
  let tail = 0;
  dist[source] = 0;
  queue[tail++] = source;
  while (head < tail) {
    const v = queue[head++]!;
    const d = dist[v]!;
    if (d === maxHops) continue;
    for (const w of adjacency[v]!) {
      if (dist[w] === -1) {
        dist[w] = d + 1;
        queue[tail++] = w;
      }
    }
  }
  return tail;
}
