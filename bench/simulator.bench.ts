// Simulator figures: wall time of `predist simulate` for the reference deployment (N = 1,000,
// n' = 40, EG P = 10,000, k = 75; target <= 10 s) with the model engine, against provisioning
// alone (building and decoding every image) measured in the same run; and the firmware engine
// (node.wasm per node until links settle) on a smaller network, as wall time per virtual second.

import { performance } from "node:perf_hooks";
import type { Report } from "./harness.js";
import { buildImage, createAuthority } from "../host/authority/index.js";
import { decodeImage } from "../host/image/index.js";
import { simulate } from "../host/simulator/simulate.js";

const TARGET_SECONDS = 10;

export default async function bench(report: Report): Promise<void> {
  const scheme = { scheme: "eg" as const, pool: 10_000, ring: 75 };

  let start = performance.now();
  const authority = createAuthority({ ...scheme, insecureSeed: "bench/authority" });
  for (let id = 1; id <= 1_000; id++) decodeImage(buildImage(authority, id));
  authority.destroy();
  const provisionSeconds = (performance.now() - start) / 1_000;

  start = performance.now();
  const model = simulate({ nodes: 1_000, side: 1_000, neighbours: 40, scheme, seed: "bench",
    capture: [0, 10, 50, 100], captureMode: "random" });
  const modelSeconds = (performance.now() - start) / 1_000;
  report({
    bench: "simulator.model",
    nodes: 1_000,
    neighbours: 40,
    scheme: "eg P=10000 k=75",
    wallSeconds: Number(modelSeconds.toFixed(3)),
    targetSeconds: TARGET_SECONDS,
    provisionOnlySeconds: Number(provisionSeconds.toFixed(3)),
    ratioToProvisioning: Number((modelSeconds / provisionSeconds).toFixed(3)),
    directFraction: model.result.directFraction,
  });

  for (const [nodes, neighbours] of [[200, 12], [500, 20]] as const) {
    start = performance.now();
    const run = simulate({ nodes, side: 1_000, neighbours, scheme, seed: "bench",
      capture: [], captureMode: "random", engine: "firmware" });
    const seconds = (performance.now() - start) / 1_000;
    const fw = run.result.firmware!;
    report({
      bench: "simulator.firmware",
      nodes,
      neighbours,
      scheme: "eg P=10000 k=75",
      wallSeconds: Number(seconds.toFixed(3)),
      virtualMs: fw.virtualMs,
      settleMs: fw.settleMs,
      wallPerVirtualSecond: Number((seconds / (fw.virtualMs / 1_000)).toFixed(3)),
      framesPerNode: run.result.air.framesMean,
      links: fw.links,
    });
  }
}
