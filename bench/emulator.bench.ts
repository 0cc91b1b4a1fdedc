// Emulator figures: node instantiations per second (EmulatedNode + boot on the real node.wasm,
// against a bare WebAssembly.Instance of the same module as the reference), scheduler events per
// second (against sorting the same events and running them in order), and frames per second
// through the unit-disk medium into real nodes.

import { performance } from "node:perf_hooks";
import type { Report } from "./harness.js";
import {
  Emulator,
  EmulatedNode,
  HAL_IMPORTS,
  Prng,
  Scheduler,
  UnitDiskMedium,
  loadFirmware,
  type RadioEndpoint,
} from "../host/emulator/index.js";

const INSTANCES = 2_000;
const EVENTS = 1_000_000;
const FRAMES = 2_000;

function seconds(start: number): number {
  return (performance.now() - start) / 1_000;
}

export default async function bench(report: Report): Promise<void> {
  const firmware = loadFirmware();

  // Reference: a bare instance with do-nothing imports.
  const stubs = Object.fromEntries(HAL_IMPORTS.map((entry) => [entry.name, () => 0]));
  let start = performance.now();
  for (let i = 0; i < INSTANCES; i++) new WebAssembly.Instance(firmware.module, { hal: stubs });
  const bare = INSTANCES / seconds(start);
  start = performance.now();
  const scheduler = new Scheduler();
  for (let i = 0; i < INSTANCES; i++) {
    new EmulatedNode({ id: i, firmware, scheduler, seed: "bench" }).boot();
  }
  const wrapped = INSTANCES / seconds(start);
  report({
    bench: "emulator.instantiate",
    nodes: INSTANCES,
    firmwareBytes: firmware.bytes,
    nodesPerSecond: Math.round(wrapped),
    bareInstancesPerSecond: Math.round(bare),
    ratioToBare: Number((wrapped / bare).toFixed(3)),
  });

  // Scheduler: EVENTS events at seeded random times, then run them all.
  const prng = new Prng("bench-events");
  const times = Array.from({ length: EVENTS }, () => prng.int(1_000_000));
  let sink = 0;
  start = performance.now();
  const events = new Scheduler();
  for (const time of times) events.at(time, () => sink++);
  events.runUntilIdle();
  const heapRate = EVENTS / seconds(start);
  start = performance.now();
  const sorted = times.map((time, seq) => ({ time, seq, action: () => sink++ }));
  sorted.sort((a, b) => a.time - b.time || a.seq - b.seq);
  for (const event of sorted) event.action();
  const sortRate = EVENTS / seconds(start);
  report({
    bench: "emulator.scheduler",
    events: EVENTS,
    eventsPerSecond: Math.round(heapRate),
    sortReferencePerSecond: Math.round(sortRate),
    ratioToSort: Number((heapRate / sortRate).toFixed(3)),
    checksum: sink,
  });

  // Medium into real nodes: one injector, 50 nodes all in range.
  const emu = new Emulator({ firmware, seed: "bench", radio: { range: 1_000 } });
  for (let id = 1; id <= 50; id++) emu.addNode({ id, position: { x: id, y: 0 } });
  const injector: RadioEndpoint = { id: 0, receiveFrame: () => {} };
  const medium = emu.medium as UnitDiskMedium;
  medium.attach(injector);
  medium.place(0, { x: 0, y: 0 });
  emu.bootAll();
  emu.run(1);
  const frame = new Uint8Array(100).fill(0x5a);
  start = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    medium.transmit(injector, frame);
    emu.run(5);
  }
  const deliveries = FRAMES * 50;
  report({
    bench: "emulator.medium",
    nodes: 50,
    frames: FRAMES,
    deliveriesPerSecond: Math.round(deliveries / seconds(start)),
  });
}
