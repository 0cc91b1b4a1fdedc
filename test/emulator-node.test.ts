// EmulatedNode and its HAL: the real build/node.wasm for boot and the firmware's answers to bad
// input; the HAL probe (host/emulator/probe.ts, a hand-written module) to drive each import the
// stub firmware does not call yet. Flash NOR rules, persistence across reboot and restart, power
// cuts, timers in virtual-time order, crash capture, and seeded determinism.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EmulatedNode,
  Flash,
  HAL_ERR_LENGTH,
  HAL_ERR_NOR,
  HAL_ERR_RANGE,
  HAL_OK,
  PowerCut,
  RecordingMedium,
  STATUS_CRASHED,
  STATUS_OFF,
  Scheduler,
  compileFirmware,
  loadFirmware,
  type Firmware,
} from "../host/emulator/index.js";
import { loadProbeFirmware, u32le } from "../host/emulator/probe.js";

/** Firmware status codes by name, read from the firmware's own table (assembly/status.ts). */
function firmwareStatus(name: string): number {
  const source = readFileSync(new URL("../assembly/status.ts", import.meta.url), "utf8");
  const match = new RegExp(`export const ${name}: i32 = (\\d+);`).exec(source);
  if (match === null) throw new Error(`assembly/status.ts has no ${name}`);
  return Number(match[1]);
}

const cmd = (...bytes: number[]) => Uint8Array.from(bytes);

let probe: Firmware;
let dir: string;
beforeAll(async () => {
  probe = await loadProbeFirmware();
  dir = mkdtempSync(join(tmpdir(), "predist-emulator-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("real node.wasm", () => {
  it("compiles once and is shared by every node", () => {
    const a = new EmulatedNode({ id: 1 });
    const b = new EmulatedNode({ id: 2 });
    expect(a.firmware).toBe(b.firmware);
    expect(a.firmware.module).toBeInstanceOf(WebAssembly.Module);
  });

  it("boots and keeps its memory to one 64 KiB page", () => {
    const node = new EmulatedNode();
    const status = node.boot();
    expect(status).toBeGreaterThanOrEqual(0);
    expect(node.state).toBe("running");
    expect(node.captureMemory().length).toBe(65_536);
  });

  it("answers bad input with statuses, never a trap", () => {
    const node = new EmulatedNode();
    node.boot();
    const badLength = firmwareStatus("ERR_BAD_LENGTH");
    const badPointer = firmwareStatus("ERR_BAD_POINTER");
    const badArgument = firmwareStatus("ERR_BAD_ARGUMENT");
    expect(node.deliverRadio(new Uint8Array(0))).toBe(badLength);
    // 128 bytes: one over the IEEE 802.15.4 PSDU, still fits the 256-byte inbox.
    expect(node.deliverRadio(new Uint8Array(128))).toBe(badLength);
    expect(node.deliverUart(new Uint8Array(0))).toBe(badLength);
    expect(node.callExport("on_radio", 65_530, 20)).toBe(badPointer);
    expect(node.callExport("on_uart", 0xffff_fff0, 32)).toBe(badPointer);
    expect(node.callExport("on_uart", 0, -1)).toBe(badLength);
    expect(node.fireTimer(24)).toBe(badArgument);
    expect(node.fireTimer(-1)).toBe(badArgument);
    expect(node.state).toBe("running");
    expect(node.crash).toBeUndefined();
  });

  it("refuses more than the inbox holds on the host side", () => {
    const node = new EmulatedNode();
    node.boot();
    expect(() => node.deliverUart(new Uint8Array(257))).toThrow(RangeError);
  });

  it("refuses calls before boot", () => {
    expect(() => new EmulatedNode().deliverRadio(cmd(1))).toThrow(/before boot/);
  });

  it("rejects a module that is not firmware", () => {
    expect(() => loadFirmware(join(dir, "missing.wasm"))).toThrow(/build:firmware/);
  });
});

describe("flash", () => {
  it("erases to 0xFF and ANDs writes like NOR cells", () => {
    const flash = new Flash({ pageSize: 16, pageCount: 2 });
    expect([...flash.read(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(flash.write(0, cmd(0b1010_1010))).toBe(HAL_OK);
    expect(flash.write(0, cmd(0b0110_0110))).toBe(HAL_OK);
    expect(flash.read(0, 1)[0]).toBe(0b0010_0010);
    expect(flash.stats.bitSetAttempts).toBe(1);
    expect(flash.erase(0)).toBe(HAL_OK);
    expect(flash.read(0, 1)[0]).toBe(0xff);
  });

  it("refuses a 0-to-1 write in strict mode and changes nothing", () => {
    const flash = new Flash({ pageSize: 16, pageCount: 2, nor: "strict" });
    flash.write(3, cmd(0x0f));
    expect(flash.write(3, cmd(0xf0))).toBe(HAL_ERR_NOR);
    expect(flash.read(3, 1)[0]).toBe(0x0f);
    expect(flash.write(3, cmd(0x01))).toBe(HAL_OK);
  });

  it("checks ranges", () => {
    const flash = new Flash({ pageSize: 16, pageCount: 2 });
    expect(flash.write(31, cmd(1, 2))).toBe(HAL_ERR_RANGE);
    expect(flash.write(0, new Uint8Array(0))).toBe(HAL_ERR_LENGTH);
    expect(flash.erase(2)).toBe(HAL_ERR_RANGE);
    expect(() => new Flash({ pageSize: 0 })).toThrow(RangeError);
  });

  it("is written through the HAL by the probe and survives a reboot", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    expect(node.deliverUart(cmd(3, ...u32le(1030), 0x12, 0x34))).toBe(HAL_OK);
    expect(node.deliverUart(cmd(3, ...u32le(72 * 1024 - 1), 1, 2))).toBe(HAL_ERR_RANGE);
    node.reboot();
    expect(node.deliverUart(cmd(9, ...u32le(1029), 4))).toBe(HAL_OK);
    expect([...node.takeUart()]).toEqual([0xff, 0x12, 0x34, 0xff]);
    expect(node.deliverUart(cmd(4, ...u32le(1)))).toBe(HAL_OK);
    expect(node.deliverUart(cmd(4, ...u32le(72)))).toBe(HAL_ERR_RANGE);
    expect([...node.captureFlash().subarray(1030, 1032)]).toEqual([0xff, 0xff]);
  });

  it("persists to a backing file across a process restart", () => {
    const file = join(dir, "flash.bin");
    const first = new Flash({ file, pageSize: 64, pageCount: 4 });
    first.write(100, cmd(0xa5, 0x5a));
    first.close();
    const second = new Flash({ file, pageSize: 64, pageCount: 4 });
    expect([...second.read(99, 4)]).toEqual([0xff, 0xa5, 0x5a, 0xff]);
    second.close();
    expect(() => new Flash({ file, pageSize: 64, pageCount: 5 })).toThrow(/expected 320 bytes/);
  });

  it("cuts power at the Nth operation, before, after or torn", () => {
    const results: Record<string, number[]> = {};
    for (const mode of ["before", "after", "torn"] as const) {
      const flash = new Flash({ pageSize: 16, pageCount: 1 });
      flash.write(0, cmd(0xf0));
      flash.armPowerCut(2, mode);
      flash.write(1, cmd(0xf1));
      expect(() => flash.write(2, cmd(0, 0, 0, 0))).toThrow(PowerCut);
      results[mode] = [...flash.read(0, 6)];
      expect(flash.write(6, cmd(0))).toBe(HAL_OK);
    }
    expect(results.before).toEqual([0xf0, 0xf1, 0xff, 0xff, 0xff, 0xff]);
    expect(results.after).toEqual([0xf0, 0xf1, 0, 0, 0, 0]);
    expect(results.torn).toEqual([0xf0, 0xf1, 0, 0, 0xff, 0xff]);
  });

  it("turns a power cut inside the firmware into an off node, and boot powers it up", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    node.flash.armPowerCut(1, "before");
    expect(node.deliverUart(cmd(4, ...u32le(0)))).toBe(STATUS_OFF);
    expect(node.state).toBe("off");
    expect(node.deliverUart(cmd(10))).toBe(STATUS_OFF);
    expect(node.boot()).toBe(HAL_OK);
    expect(node.state).toBe("running");
  });
});

describe("timers and clock", () => {
  it("fire in virtual-time order, never inside timer_start, re-arming replaces", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    node.deliverUart(cmd(1, 5, ...u32le(300)));
    node.deliverUart(cmd(1, 7, ...u32le(100)));
    node.deliverUart(cmd(1, 9, ...u32le(200)));
    node.deliverUart(cmd(1, 5, ...u32le(50))); // re-arm: 5 now due at 50
    node.deliverUart(cmd(1, 3, ...u32le(0)));
    node.deliverUart(cmd(1, 4, ...u32le(0)));
    node.deliverUart(cmd(12, 9)); // stopped
    expect(node.takeUart().length).toBe(0);
    expect(node.armedTimers().map((t) => t.id)).toEqual([3, 4, 5, 7]);
    node.advance(99);
    expect([...node.takeUart()]).toEqual([3, 4, 5]);
    node.advance(1);
    expect([...node.takeUart()]).toEqual([7]);
    node.advance(1_000);
    expect(node.takeUart().length).toBe(0);
    expect(node.stats.timersFired).toBe(4);
  });

  it("ignores timer IDs outside 0..23 and counts them", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    node.deliverUart(cmd(1, 24, ...u32le(1)));
    expect(node.armedTimers()).toEqual([]);
    expect(node.stats.badTimerIds).toBe(1);
  });

  it("reads a clock that wraps at 2^32", () => {
    const scheduler = new Scheduler();
    const node = new EmulatedNode({ firmware: probe, scheduler, clockOffsetMs: 2 ** 32 - 10 });
    node.boot();
    node.advance(25.7);
    node.deliverUart(cmd(10));
    expect(Buffer.from(node.takeUart()).readUInt32LE(0)).toBe(15);
  });

  it("drops timers on reboot", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    node.deliverUart(cmd(1, 2, ...u32le(10)));
    node.reboot();
    node.advance(100);
    expect(node.takeUart().length).toBe(0);
  });
});

describe("radio, log, random, crashes", () => {
  it("sends frames to the medium and refuses empty or oversized ones", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    expect(node.deliverUart(cmd(2, 1, 2, 3))).toBe(HAL_OK);
    expect(node.deliverUart(Uint8Array.from([2, ...new Array(128).fill(7)]))).toBe(HAL_ERR_LENGTH);
    expect(node.deliverUart(cmd(2))).toBe(HAL_ERR_LENGTH);
    const medium = node.medium as RecordingMedium;
    expect(medium.frames.map((f) => [...f.frame])).toEqual([[1, 2, 3]]);
    expect(node.stats.framesSent).toBe(1);
    expect(node.stats.bytesSent).toBe(3);
    expect(node.stats.framesRefused).toBe(2);
  });

  it("writes UART output to a stream", () => {
    const chunks: Buffer[] = [];
    const stream = new PassThrough();
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    const node = new EmulatedNode({ firmware: probe, uart: stream });
    node.boot();
    node.deliverUart(cmd(10));
    node.deliverUart(cmd(5, 3));
    expect(Buffer.concat(chunks).length).toBe(7);
    expect(node.stats.uartBytesOut).toBe(7);
  });

  it("captures log text by level", () => {
    const lines: string[] = [];
    const node = new EmulatedNode({ firmware: probe, onLog: (e) => lines.push(e.text) });
    node.boot();
    node.deliverUart(Uint8Array.from([8, 1, ...Buffer.from("link up")]));
    expect(node.logs).toMatchObject([{ level: 1, text: "link up", nodeId: 0 }]);
    expect(lines).toEqual(["link up"]);
  });

  it("gives the same random bytes for the same seed and node, different otherwise", () => {
    const draw = (seed: string | undefined, id: number) => {
      const node = new EmulatedNode({ firmware: probe, seed, id });
      node.boot();
      node.deliverUart(cmd(5, 32));
      return Buffer.from(node.takeUart()).toString("hex");
    };
    expect(draw("s1", 1)).toBe(draw("s1", 1));
    expect(draw("s1", 1)).not.toBe(draw("s1", 2));
    expect(draw("s1", 1)).not.toBe(draw("s2", 1));
    expect(draw(undefined, 1)).not.toBe(draw(undefined, 1));
    expect(draw("s1", 1)).toHaveLength(64);
  });

  it("marks a trap as a crash with the reason and reports it", () => {
    const crashes: string[] = [];
    const node = new EmulatedNode({ firmware: probe, onCrash: (c) => crashes.push(c.kind) });
    node.boot();
    expect(node.deliverUart(cmd(7))).toBe(STATUS_CRASHED);
    expect(node.crash).toMatchObject({ kind: "trap", during: "on_uart" });
    expect(node.crash?.reason).toMatch(/unreachable/);
    expect(node.deliverUart(cmd(10))).toBe(STATUS_CRASHED);
    expect(crashes).toEqual(["trap"]);
  });

  it("marks hal.panic as a crash with its code, decoding aborts", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    expect(node.deliverUart(cmd(6, ...u32le(1 | (42 << 8))))).toBe(STATUS_CRASHED);
    expect(node.crash).toMatchObject({ kind: "panic", code: 1 | (42 << 8) });
    expect(node.crash?.reason).toMatch(/line 42/);
    expect(node.boot()).toBe(HAL_OK);
    expect(node.crash).toBeUndefined();
  });

  it("halts a node whose (pointer, length) pair leaves memory, as WAMR's *~ check would", () => {
    const node = new EmulatedNode({ firmware: probe });
    node.boot();
    expect(node.deliverUart(cmd(11))).toBe(STATUS_CRASHED);
    expect(node.crash).toMatchObject({ kind: "hal" });
    expect(node.crash?.reason).toMatch(/radio_send/);
  });

  it("records a trap in the module's start function as a crash at instantiation", async () => {
    const wabt = await (await import("wabt")).default();
    const parsed = wabt.parseWat(
      "start-trap.wat",
      `(module
      (memory (export "memory") 1 1)
      (func $start unreachable) (start $start)
      (func (export "inbox") (result i32) (i32.const 0))
      (func (export "boot") (result i32) (i32.const 0))
      (func (export "on_radio") (param i32 i32) (result i32) (i32.const 0))
      (func (export "on_uart") (param i32 i32) (result i32) (i32.const 0))
      (func (export "on_timer") (param i32) (result i32) (i32.const 0)))`,
    );
    const firmware = compileFirmware(parsed.toBinary({}).buffer, "start-trap");
    parsed.destroy();
    const node = new EmulatedNode({ firmware });
    expect(node.boot()).toBe(STATUS_CRASHED);
    expect(node.crash).toMatchObject({ kind: "trap", during: "instantiate" });
  });

  it("refuses a re-entrant boot from inside an import", () => {
    let inner: unknown;
    const node: EmulatedNode = new EmulatedNode({
      firmware: probe,
      uart: () => {
        try {
          node.boot();
        } catch (error) {
          inner = error;
        }
      },
    });
    node.boot();
    node.deliverUart(cmd(10));
    expect(String(inner)).toMatch(/re-entrant/);
    expect(node.state).toBe("running");
  });

  it("refuses a re-entrant export call from inside an import", () => {
    let inner: unknown;
    const node: EmulatedNode = new EmulatedNode({
      firmware: probe,
      uart: () => {
        try {
          node.deliverUart(cmd(10));
        } catch (error) {
          inner = error;
        }
      },
    });
    node.boot();
    node.deliverUart(cmd(10));
    expect(String(inner)).toMatch(/re-entrant/);
  });
});

describe("real node.wasm with a provisioning image in flash", () => {
  it("reads its image from emulated flash and keeps it across reboot", async () => {
    const { buildImage, createAuthority } = await import("../host/authority/index.js");
    const { NET_STATUS, netStatus, provision } = await import("../host/protocol/testing.js");
    const authority = createAuthority({ scheme: "eg", pool: 500, ring: 20, insecureSeed: "emu" });
    const image = buildImage(authority, 42);
    const keyBytes = authority.poolKey(authority.keyIdsOf(42)[0]!);
    authority.destroy();

    const node = new EmulatedNode({ id: 42, seed: "emu" });
    provision(node, image);
    expect(node.boot()).toBe(0);
    expect(netStatus(node, NET_STATUS.nodeId)).toBe(42);
    expect(netStatus(node, NET_STATUS.ringKeys)).toBe(20);
    node.advance(1_000);
    expect(node.medium instanceof RecordingMedium && node.medium.frames.length).toBeGreaterThan(0);
    expect(node.firmware.hasAesCounter).toBe(true);
    expect(node.aesBlocks()).toBeTypeOf("number");
    node.reboot();
    expect(netStatus(node, NET_STATUS.ringKeys)).toBe(20);

    // An adversary reading out the chip finds the ring keys in flash.
    const flash = Buffer.from(node.captureFlash());
    expect(flash.indexOf(Buffer.from(keyBytes))).toBeGreaterThanOrEqual(0);

    // A blank chip: the same firmware boots unprovisioned, without trapping.
    const blank = new EmulatedNode({ id: 43 });
    blank.boot();
    expect(blank.state).toBe("running");
    expect(netStatus(blank, NET_STATUS.ringKeys)).toBeLessThanOrEqual(0);
  });
});
