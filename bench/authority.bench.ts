// Authority and analytics throughput: pool precomputation (checked equal to host/crypto
// kdfSha256 on a sample), EG rings assigned and encoded per second at P = 100,000, k = 200
// (target: 100,000 rings in <= 15 s and <= 1 GiB peak RSS), and `plan` calls per second.
// BENCH_AUTHORITY_RINGS sets the ring count (default 100,000); a smaller count is extrapolated
// linearly and reported as such.

import { performance } from "node:perf_hooks";
import type { Report } from "./harness.js";
import { buildImage, createAuthority } from "../host/authority/index.js";
import { kdfSha256 } from "../host/crypto/index.js";
import { plan } from "../host/analytics/index.js";

const POOL = 100_000;
const RING = 200;
const TARGET_RINGS = 100_000;
const TARGET_SECONDS = 15;
const TARGET_RSS_BYTES = 2 ** 30;
const PLAN_CALLS = 20;

export default async (report: Report): Promise<void> => {
  const rings = Number(process.env.BENCH_AUTHORITY_RINGS ?? TARGET_RINGS);
  const authority = createAuthority({
    scheme: "eg",
    pool: POOL,
    ring: RING,
    insecureSeed: "bench",
  });

  // Pool precomputation (first poolKey call fills the cache), then a spot check against kdf().
  let t0 = performance.now();
  authority.poolKey(0);
  const poolMs = performance.now() - t0;
  const master = new Uint8Array(
    (await import("@noble/hashes/sha2.js")).sha256(
      new TextEncoder().encode("predist insecure demo seed v1:bench"),
    ),
  );
  for (const id of [0, 1, 4242, POOL - 1]) {
    const context = new Uint8Array(4);
    new DataView(context.buffer).setUint32(0, id, true);
    const want = kdfSha256(master, "pool", context);
    if (Buffer.compare(Buffer.from(want), Buffer.from(authority.poolKey(id))) !== 0) {
      throw new Error(`pool fast path differs from kdfSha256 at key ID ${id}`);
    }
  }
  report({
    bench: "authority.pool-precompute",
    pool: POOL,
    ms: Math.round(poolMs),
    keysPerSecond: Math.round(POOL / (poolMs / 1000)),
    verifiedAgainstKdf: 4,
  });

  // Rings assigned and encoded.
  let peakRss = process.memoryUsage().rss;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  for (let u = 1; u <= rings; u++) {
    bytes += buildImage(authority, u).length;
    if (u % 5000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // CPU seconds as well as wall seconds: the machine is shared, so wall time includes waiting.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const perSecond = rings / seconds;
  const projected = TARGET_RINGS / perSecond;
  report({
    bench: "authority.eg-rings",
    pool: POOL,
    ring: RING,
    rings,
    seconds: +seconds.toFixed(2),
    ringsPerSecond: Math.round(perSecond),
    cpuSeconds: +cpuSeconds.toFixed(2),
    cpuSecondsFor100k: +((cpuSeconds * TARGET_RINGS) / rings).toFixed(2),
    bytes,
    secondsFor100k: +projected.toFixed(2),
    extrapolated: rings !== TARGET_RINGS,
    ratioToTarget: +(projected / TARGET_SECONDS).toFixed(3),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    rssRatioToTarget: +(peakRss / TARGET_RSS_BYTES).toFixed(3),
  });
  authority.destroy();

  // Analytics: plan over all schemes.
  t0 = performance.now();
  for (let i = 0; i < PLAN_CALLS; i++) {
    plan({ nodes: 10_000 + i, neighbours: 40, connectivity: 0.99999, memory: 4096 });
  }
  const planSeconds = (performance.now() - t0) / 1000;
  report({
    bench: "analytics.plan",
    calls: PLAN_CALLS,
    callsPerSecond: +(PLAN_CALLS / planSeconds).toFixed(2),
    msPerCall: +((planSeconds * 1000) / PLAN_CALLS).toFixed(1),
  });
};
