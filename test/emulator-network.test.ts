// The multi-node emulator: the scheduler's heap order against a sort, the unit-disk medium's
// neighbours against brute force, delivery in range only with airtime from the 802.15.4 PHY rate,
// loss rate within a binomial bound, oversized frames refused, and many real node.wasm instances
// receiving injected traffic through the medium's delivery path, reproducibly for a seed.
// Traffic between nodes comes from the HAL probe (host/emulator/probe.ts) while the firmware's
// protocols are stubs; the receivers are the real firmware wherever it is named so.

import { beforeAll, describe, expect, it } from "vitest";
import {
  Emulator,
  HAL_ERR_LENGTH,
  HAL_OK,
  Prng,
  STATUS_CRASHED,
  Scheduler,
  UnitDiskMedium,
  type Firmware,
  type RadioEndpoint,
} from "../host/emulator/index.js";
import { loadProbeFirmware } from "../host/emulator/probe.js";

let probe: Firmware;
beforeAll(async () => {
  probe = await loadProbeFirmware();
});

const cmd = (...bytes: number[]) => Uint8Array.from(bytes);

describe("scheduler", () => {
  it("runs events in (time, scheduling order), matching a stable sort", () => {
    const scheduler = new Scheduler();
    const prng = new Prng("heap");
    const planned: { time: number; tag: number }[] = [];
    const ran: number[] = [];
    for (let tag = 0; tag < 5_000; tag++) {
      // Few distinct times so that ties are common; every seventh event is cancelled.
      const time = prng.int(50);
      const event = scheduler.at(time, () => ran.push(tag));
      if (tag % 7 === 3) scheduler.cancel(event);
      else planned.push({ time, tag });
    }
    expect(scheduler.runUntilIdle()).toBe(planned.length);
    const expected = [...planned].sort((a, b) => a.time - b.time || a.tag - b.tag);
    expect(ran).toEqual(expected.map((e) => e.tag));
  });

  it("skips cancelled events and refuses time travel", () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    const a = scheduler.after(5, () => ran.push("a"));
    scheduler.after(5, () => ran.push("b"));
    scheduler.cancel(a);
    scheduler.cancel(a);
    expect(scheduler.pending).toBe(1);
    scheduler.runUntil(10);
    expect(ran).toEqual(["b"]);
    expect(scheduler.now).toBe(10);
    expect(() => scheduler.at(9, () => {})).toThrow(RangeError);
    expect(() => scheduler.after(-1, () => {})).toThrow(RangeError);
  });

  it("stops a runaway loop at maxEvents", () => {
    const scheduler = new Scheduler();
    const again = (): void => void scheduler.after(0, again);
    again();
    expect(() => scheduler.runUntil(1, 1_000)).toThrow(/more than 1000 events/);
  });
});

describe("unit-disk medium", () => {
  it("finds the same neighbours as a brute-force distance check", () => {
    const scheduler = new Scheduler();
    const medium = new UnitDiskMedium(scheduler, { range: 12 });
    const prng = new Prng("placement");
    const points = new Map<number, { x: number; y: number }>();
    for (let id = 1; id <= 300; id++) {
      const p = { x: prng.next() * 100, y: prng.next() * 100 };
      points.set(id, p);
      medium.attach({ id, receiveFrame: () => {} });
      medium.place(id, p);
    }
    for (const [id, p] of points) {
      const brute = [...points]
        .filter(([other, q]) => other !== id && Math.hypot(p.x - q.x, p.y - q.y) <= 12)
        .map(([other]) => other);
      expect(medium.neighbours(id)).toEqual(brute);
    }
  });

  it("delivers to nodes in range only, after the frame's airtime, and refuses 128 bytes", () => {
    const emu = new Emulator({ firmware: probe, seed: "range", radio: { range: 10 } });
    const a = emu.addNode({ id: 1, position: { x: 0, y: 0 } });
    const b = emu.addNode({ id: 2, position: { x: 10, y: 0 } });
    const c = emu.addNode({ id: 3, position: { x: 20.5, y: 0 } });
    emu.bootAll();
    emu.run(0);
    expect(a.deliverUart(cmd(2, 0xaa, 0xbb, 0xcc))).toBe(HAL_OK);
    // 250 kbit/s, 3-byte PSDU + 6 bytes of SHR and PHR: 9 * 8 / 250 ms = 0.288 ms.
    emu.run(0.287);
    expect(b.takeUart().length).toBe(0);
    emu.run(0.001);
    expect([...b.takeUart()]).toEqual([0xaa, 0xbb, 0xcc]);
    expect(c.takeUart().length).toBe(0);
    expect(a.takeUart().length).toBe(0);
    expect(a.deliverUart(Uint8Array.from([2, ...new Array(128).fill(1)]))).toBe(HAL_ERR_LENGTH);
    emu.run(10);
    expect(emu.air(1)).toMatchObject({ framesSent: 1, bytesSent: 3 });
    expect(emu.air(2)).toMatchObject({ framesReceived: 1, bytesReceived: 3 });
    expect(emu.air(3)).toMatchObject({ framesReceived: 0 });
  });

  it("loses frames at the configured rate (within 4 standard deviations)", () => {
    const scheduler = new Scheduler();
    const lossRate = 0.3;
    const medium = new UnitDiskMedium(scheduler, { range: 5, lossRate, seed: "loss" });
    let received = 0;
    const sender: RadioEndpoint = { id: 1, receiveFrame: () => {} };
    medium.attach(sender);
    medium.attach({ id: 2, receiveFrame: () => received++ });
    medium.place(1, { x: 0, y: 0 });
    medium.place(2, { x: 1, y: 0 });
    const frames = 4_000;
    for (let i = 0; i < frames; i++) medium.transmit(sender, cmd(i & 0xff));
    scheduler.runUntilIdle();
    const sigma = Math.sqrt(frames * lossRate * (1 - lossRate));
    expect(Math.abs(frames - received - frames * lossRate)).toBeLessThan(4 * sigma);
    expect(medium.airStats(2)!.framesLost).toBe(frames - received);
  });

  it("hands filtered copies to no one and counts them, like hardware address recognition", () => {
    const scheduler = new Scheduler();
    const got: number[] = [];
    const medium = new UnitDiskMedium(scheduler, {
      range: 10,
      addressFilter: (frame, receiver) => frame[0] === receiver,
    });
    const sender: RadioEndpoint = { id: 1, receiveFrame: () => {} };
    medium.attach(sender);
    for (const id of [2, 3]) {
      medium.attach({ id, receiveFrame: () => got.push(id) });
      medium.place(id, { x: id, y: 0 });
    }
    medium.place(1, { x: 0, y: 0 });
    medium.transmit(sender, cmd(3, 0));
    medium.transmit(sender, cmd(2, 0));
    scheduler.runUntilIdle();
    expect(got).toEqual([3, 2]);
    expect(medium.airStats(2)).toMatchObject({ framesReceived: 1, framesFiltered: 1 });
    expect(medium.airStats(3)).toMatchObject({ framesReceived: 1, framesFiltered: 1 });
  });

  it("offers a unicast frame to its destination only, and only when in range", () => {
    const scheduler = new Scheduler();
    const got: number[] = [];
    const medium = new UnitDiskMedium(scheduler, {
      range: 10,
      destinationOf: (frame) => (frame[0] === 0 ? undefined : frame[0]),
    });
    const sender: RadioEndpoint = { id: 1, receiveFrame: () => {} };
    medium.attach(sender);
    medium.place(1, { x: 0, y: 0 });
    for (const [id, x] of [
      [2, 5],
      [3, 8],
      [4, 50],
    ] as const) {
      medium.attach({ id, receiveFrame: () => got.push(id) });
      medium.place(id, { x, y: 0 });
    }
    medium.transmit(sender, cmd(3));
    medium.transmit(sender, cmd(4)); // out of range: nobody
    medium.transmit(sender, cmd(0)); // broadcast: 2 and 3
    scheduler.runUntilIdle();
    expect(got).toEqual([3, 2, 3]);
  });

  it("a station reaches every node within its own range and hears no one", () => {
    const scheduler = new Scheduler();
    const got: [number, number][] = [];
    const medium = new UnitDiskMedium(scheduler, { range: 10 });
    for (const [id, x] of [
      [1, 0],
      [2, 5],
      [3, 40],
      [4, 120],
    ] as const) {
      medium.attach({ id, receiveFrame: (_, from) => got.push([id, from]) });
      medium.place(id, { x, y: 0 });
    }
    // A base station at x = 20 with range 50 reaches nodes 1, 2, 3 (not 4 at distance 100).
    medium.addStation(0, { x: 20, y: 0 }, 50);
    expect(() => medium.addStation(2, { x: 0, y: 0 }, 5)).toThrow(/taken/);
    expect(medium.transmit({ id: 0, receiveFrame: () => {} }, cmd(9))).toBe(HAL_OK);
    // Node 2's own broadcast still reaches node 1 only (range 10): the station is no receiver.
    medium.transmit({ id: 2, receiveFrame: () => {} }, cmd(8));
    scheduler.runUntilIdle();
    expect(got).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [1, 2],
    ]);
    expect(medium.airStats(0)).toMatchObject({ framesSent: 1, bytesSent: 1, framesReceived: 0 });
  });

  it("rejects bad parameters", () => {
    const scheduler = new Scheduler();
    expect(() => new UnitDiskMedium(scheduler, { range: -1 })).toThrow(RangeError);
    expect(() => new UnitDiskMedium(scheduler, { range: 1, lossRate: 1.5 })).toThrow(RangeError);
    const medium = new UnitDiskMedium(scheduler, { range: 1 });
    expect(() => medium.place(1, { x: NaN, y: 0 })).toThrow(RangeError);
  });
});

describe("emulator with the real node.wasm", () => {
  /** 40 real nodes on a grid plus an injector; returns what a run observed. */
  function runNetwork(seed: string) {
    const emu = new Emulator({ seed, radio: { range: 15, lossRate: 0.2, jitterMs: 2 } });
    for (let id = 1; id <= 40; id++) {
      emu.addNode({ id, position: { x: ((id - 1) % 8) * 10, y: Math.floor((id - 1) / 8) * 10 } });
    }
    // The injector is a radio endpoint of the test's own: its frames take the same path as a
    // node's radio_send (medium.transmit, scheduled delivery, receiveFrame, inbox, on_radio).
    const injector: RadioEndpoint = { id: 1_000, receiveFrame: () => {} };
    const medium = emu.medium as UnitDiskMedium;
    medium.attach(injector);
    medium.place(injector.id, { x: 35, y: 20 });
    emu.bootAll({ spreadMs: 50 });
    emu.run(100);
    const prng = new Prng(`${seed}/traffic`);
    for (let i = 0; i < 200; i++) {
      const frame = new Uint8Array(1 + prng.int(127));
      for (let j = 0; j < frame.length; j++) frame[j] = prng.int(256);
      expect(medium.transmit(injector, frame)).toBe(HAL_OK);
      emu.run(5);
    }
    emu.runUntilIdle();
    return {
      emu,
      received: emu.allNodes().map((n) => n.stats.framesReceived),
      bytes: emu.allNodes().map((n) => n.stats.bytesReceived),
      calls: emu.allNodes().map((n) => n.stats.exportCalls),
      now: emu.now,
    };
  }

  it("boots every node and delivers injected frames to the injector's neighbours only", () => {
    const { emu, received } = runNetwork("net-1");
    const medium = emu.medium as UnitDiskMedium;
    const inRange = new Set(medium.neighbours(1_000));
    expect(inRange.size).toBeGreaterThan(3);
    emu.allNodes().forEach((node, i) => {
      expect(node.state).toBe("running");
      if (inRange.has(node.id)) {
        // 200 frames, 20 % loss: far above 100 unless delivery is broken.
        expect(received[i]).toBeGreaterThan(100);
        expect(received[i]).toBeLessThan(200);
      } else {
        expect(received[i]).toBe(0);
      }
    });
    expect(emu.crashes).toEqual([]);
  });

  it("is reproducible for a seed and differs for another", () => {
    const first = runNetwork("same");
    const second = runNetwork("same");
    const other = runNetwork("other");
    expect(second.received).toEqual(first.received);
    expect(second.bytes).toEqual(first.bytes);
    expect(second.now).toBe(first.now);
    expect(other.bytes).not.toEqual(first.bytes);
  });

  it("links two provisioned nodes over the medium, and counts their AES work", async () => {
    const { buildImage, createAuthority } = await import("../host/authority/index.js");
    const { linkedPeers, provision } = await import("../host/protocol/testing.js");
    // Rings of 10 from a pool of 20: 1 - C(10,10)/C(20,10) = 0.99999: they share a key.
    const authority = createAuthority({ scheme: "eg", pool: 20, ring: 10, insecureSeed: "pair" });
    const emu = new Emulator({ seed: "pair", radio: { range: 10 } });
    const a = emu.addNode({ id: 5, position: { x: 0, y: 0 } });
    const b = emu.addNode({ id: 9, position: { x: 5, y: 0 } });
    provision(a, buildImage(authority, 5));
    provision(b, buildImage(authority, 9));
    authority.destroy();
    emu.bootAll();
    const before = [a.aesBlocks(), b.aesBlocks()];
    emu.run(5_000);
    expect(linkedPeers(a)).toEqual([9]);
    expect(linkedPeers(b)).toEqual([5]);
    expect(a.aesBlocks()!).toBeGreaterThan(before[0] ?? 0);
    expect(b.aesBlocks()!).toBeGreaterThan(before[1] ?? 0);
    expect(emu.air(5).framesSent).toBeGreaterThan(0);
    expect(emu.crashes).toEqual([]);
  });

  it("keeps the network running when one node crashes, and reports the crash", () => {
    const reported: number[] = [];
    const emu = new Emulator({
      firmware: probe,
      seed: "crash",
      radio: { range: 100 },
      onCrash: (c) => reported.push(c.nodeId),
    });
    const a = emu.addNode({ id: 1, position: { x: 0, y: 0 } });
    const b = emu.addNode({ id: 2, position: { x: 1, y: 0 } });
    emu.bootAll();
    emu.run(1);
    expect(b.deliverUart(cmd(7))).toBe(STATUS_CRASHED);
    a.deliverUart(cmd(2, 9));
    emu.run(10);
    expect(emu.air(2).framesReceived).toBe(1);
    expect(b.stats.framesDroppedOff).toBe(1);
    expect(reported).toEqual([2]);
    expect(emu.crashes[0]).toMatchObject({ nodeId: 2, kind: "trap" });
    expect(emu.capture(2).memory.length).toBe(65_536);
  });
});
