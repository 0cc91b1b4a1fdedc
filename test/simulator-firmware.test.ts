// The simulator's firmware engine: the real node.wasm per node on the emulator, provisioned with
// its real image in flash slot 0, run until links settle. Checks that the run settles without a
// crash or boot failure, that the firmware never links a pair on a scheme key the pair does not
// share (every such link is one the key model allows), that traffic and AES work are measured, and
// that the same seed gives the same run; and that it is the default engine, whose figures are the
// ones `simulate` reports first.

import { describe, expect, it } from "vitest";
import { buildImage, createAuthority } from "../host/authority/index.js";
import { runFirmware } from "../host/simulator/firmware-engine.js";
import { simulate, type SimulationConfig } from "../host/simulator/simulate.js";

const config: SimulationConfig = {
  nodes: 60,
  side: 500,
  neighbours: 8,
  scheme: { scheme: "eg", pool: 2_000, ring: 60 },
  seed: "firmware-engine",
  capture: [],
  captureMode: "random",
};

function imagesFor(seed: string, nodes: number): Uint8Array[] {
  // The same authority seed simulate() uses, so images match the model's rings.
  const authority = createAuthority({ ...config.scheme, insecureSeed: `${seed}/authority` });
  try {
    return Array.from({ length: nodes }, (_, i) => buildImage(authority, i + 1));
  } finally {
    authority.destroy();
  }
}

describe("firmware engine", () => {
  it("settles with no crash, and links on scheme keys only pairs that share one", () => {
    const model = simulate(config);
    const run = runFirmware({
      positions: model.positions,
      range: model.result.range,
      images: imagesFor(config.seed, config.nodes),
      seed: config.seed,
    });
    expect(run.crashes).toEqual([]);
    expect(run.bootFailures).toBe(0);
    expect(run.settled).toBe(true);
    const allowed = new Set(model.links.map(([i, j]) => `${i},${j}`));
    const neighbourPairs = new Set([...model.links, ...model.keyless].map(([i, j]) => `${i},${j}`));
    const direct = run.links.filter((l) => !l.path);
    expect(direct.length).toBeGreaterThan(0);
    for (const link of direct) expect(allowed.has(`${link.i},${link.j}`)).toBe(true);
    // No loss and n' far below the 32-entry neighbour table: the handshake finds every pair the
    // rings allow, so the firmware's direct links are exactly the model's.
    expect(direct.length).toBe(model.links.length);
    // Path-key links join neighbours too (the handshake is over the radio, one hop).
    for (const link of run.links) expect(neighbourPairs.has(`${link.i},${link.j}`)).toBe(true);
    run.framesSent.forEach((frames, i) => {
      expect(frames).toBeGreaterThan(0);
      // Every frame carries at least the 9-byte header and at most 127 bytes.
      expect(run.bytesSent[i]!).toBeGreaterThanOrEqual(9 * frames);
      expect(run.bytesSent[i]!).toBeLessThanOrEqual(127 * frames);
    });
    run.framesToSettle.forEach((frames, i) => {
      expect(frames).toBeLessThanOrEqual(run.framesSent[i]!);
    });
    const linkedNodes = new Set(run.links.flatMap((l) => [l.i, l.j]));
    for (const i of linkedNodes) expect(run.aesBlocks[i]!).toBeGreaterThan(0);
  });

  it("is the default engine, and the figures read first are the firmware's", () => {
    const detail = simulate({ ...config, capture: [0, 5] });
    const a = detail.result;
    expect(a.engine).toBe("firmware");
    // The same inputs straight to the engine: the headline figures are this run's.
    const run = runFirmware({
      positions: detail.positions,
      range: a.range,
      images: imagesFor(config.seed, config.nodes),
      seed: config.seed,
    });
    const direct = run.links.filter((l) => !l.path);
    expect(a.directPairs).toBe(direct.length);
    expect(a.directFraction).toBe(Math.round((direct.length / a.neighbourPairs) * 1e6) / 1e6);
    expect(a.pathKeys.links).toBe(run.links.length - direct.length);
    expect(a.air.source).toBe("firmware");
    const meanOf = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(a.air.framesMean).toBe(Math.round(meanOf(run.framesSent) * 1e6) / 1e6);
    expect(a.air.bytesMax).toBe(Math.max(...run.bytesSent));
    expect(a.aesBlocksMean).toBe(Math.round(meanOf(run.aesBlocks) * 1e6) / 1e6);
    expect(a.settleMs).toBe(run.settleMs);
    expect(a.capture[1]!.links).toBeLessThanOrEqual(direct.length);
    // Beside them: the key model and the analytic prediction.
    expect(a.model).not.toBeNull();
    expect(a.model!.air.source).toBe("model");
    expect(a.directPairs).toBeLessThanOrEqual(a.model!.directPairs);
    expect(a.predictedShareProbability).toBeGreaterThan(0);
    // Deterministic for the seed.
    expect(JSON.stringify(simulate({ ...config, capture: [0, 5] }).result)).toBe(JSON.stringify(a));
    expect(a.firmware!.virtualMs).toBeGreaterThanOrEqual(a.firmware!.settleMs + 5_000);
  });
});

describe("protocol address filter", () => {
  it("passes broadcast and own-address frames, and short frames, and nothing else", async () => {
    const { protocolAddressFilter } = await import("../host/simulator/firmware-engine.js");
    // docs/protocol.md header: type, src u32 BE, dst u32 BE.
    const frame = (dst: number) =>
      Uint8Array.from([
        1,
        0,
        0,
        0,
        9,
        dst >>> 24,
        (dst >>> 16) & 255,
        (dst >>> 8) & 255,
        dst & 255,
        0,
      ]);
    expect(protocolAddressFilter(frame(0xffffffff), 7)).toBe(true);
    expect(protocolAddressFilter(frame(7), 7)).toBe(true);
    expect(protocolAddressFilter(frame(0x01000007), 7)).toBe(false);
    expect(protocolAddressFilter(frame(8), 7)).toBe(false);
    expect(protocolAddressFilter(Uint8Array.from([1, 2, 3]), 7)).toBe(true);
    const { protocolDestination } = await import("../host/simulator/firmware-engine.js");
    expect(protocolDestination(frame(7))).toBe(7);
    expect(protocolDestination(frame(0xffffffff))).toBeUndefined();
  });
});
