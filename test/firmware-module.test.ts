// The node firmware as a module (build/node.wasm, and build/node.debug.wasm where it applies):
// what it imports and exports, its one pinned page of memory, MVP validity with every post-MVP
// feature disabled (WAMR's baseline), and that bad arguments through its exports return a status
// code instead of trapping. Needs `npm run build:firmware` (npm test builds first).

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { STATUS_TEXT } from "../host/status.js";

const require = createRequire(import.meta.url);
const wabtInit = require("wabt") as typeof import("wabt");

const ERR_BAD_POINTER = 1;
const ERR_BAD_LENGTH = 2;
const ERR_BAD_ARGUMENT = 3;
/** RADIO_FRAME_MAX (IEEE 802.15.4 aPhyMaxPacketSize) and the entry's inbox capacity. */
const RADIO_FRAME_MAX = 127;
const INBOX_LEN = 256;
const TIMER_LAST = 23;
const PAGE_LEN = 65536;
const FLASH_PAGE_LEN = 4096;
const FLASH_PAGES = 16;
const FUZZ_INPUTS = 300;

/** Every post-MVP feature wabt knows, switched off. */
const MVP_ONLY = {
  exceptions: false,
  mutable_globals: false,
  sat_float_to_int: false,
  sign_extension: false,
  simd: false,
  threads: false,
  function_references: false,
  multi_value: false,
  tail_call: false,
  bulk_memory: false,
  reference_types: false,
  annotations: false,
  code_metadata: false,
  gc: false,
  memory64: false,
  extended_const: false,
  relaxed_simd: false,
};

const BUILDS = ["node.wasm", "node.debug.wasm"] as const;

function readBuild(name: string): Uint8Array<ArrayBuffer> {
  const url = new URL(`../build/${name}`, import.meta.url);
  if (!existsSync(url)) throw new Error(`build/${name} is missing: run \`npm run build:firmware\``);
  return new Uint8Array(readFileSync(url));
}

class PanicError extends Error {}

interface HalRecord {
  calls: string[];
  panics: number[];
}

/** A hal import object whose functions behave like a small device and record every call. */
function fakeHal(record: HalRecord, memoryOf: () => WebAssembly.Memory): Record<string, Function> {
  const flash = new Uint8Array(FLASH_PAGE_LEN * FLASH_PAGES).fill(0xff);
  const mem = (): Uint8Array => new Uint8Array(memoryOf().buffer);
  const inFlash = (addr: number, len: number): boolean =>
    addr >= 0 && len >= 0 && addr + len <= flash.length;
  const inMemory = (ptr: number, len: number): boolean =>
    ptr >= 0 && len >= 0 && ptr + len <= PAGE_LEN;
  let clock = 0;
  let random = 1;
  const hal: Record<string, Function> = {
    radio_send: (ptr: number, len: number) => (inMemory(ptr, len) ? 0 : -1),
    uart_write: (ptr: number, len: number) => (inMemory(ptr, len) ? len : -1),
    flash_read: (addr: number, ptr: number, len: number) => {
      if (!inFlash(addr >>> 0, len) || !inMemory(ptr, len)) return -1;
      mem().set(flash.subarray(addr >>> 0, (addr >>> 0) + len), ptr);
      return 0;
    },
    flash_write: (addr: number, ptr: number, len: number) => {
      if (!inFlash(addr >>> 0, len) || !inMemory(ptr, len)) return -1;
      for (let i = 0; i < len; i++) flash[(addr >>> 0) + i] &= mem()[ptr + i];
      return 0;
    },
    flash_erase: (page: number) => {
      if (page >>> 0 >= FLASH_PAGES) return -1;
      flash.fill(0xff, (page >>> 0) * FLASH_PAGE_LEN, ((page >>> 0) + 1) * FLASH_PAGE_LEN);
      return 0;
    },
    flash_page_size: () => FLASH_PAGE_LEN,
    flash_page_count: () => FLASH_PAGES,
    clock_ms: () => (clock += 7),
    timer_start: () => undefined,
    timer_stop: () => undefined,
    random_fill: (ptr: number, len: number) => {
      if (!inMemory(ptr, len)) return -1;
      for (let i = 0; i < len; i++) {
        random = (Math.imul(random, 1103515245) + 12345) >>> 0;
        mem()[ptr + i] = random >>> 24;
      }
      return 0;
    },
    panic: (code: number) => {
      record.panics.push(code);
      throw new PanicError(`firmware called hal.panic(${code})`);
    },
    log: () => undefined,
  };
  const recorded: Record<string, Function> = {};
  for (const [name, f] of Object.entries(hal)) {
    recorded[name] = (...args: number[]) => {
      record.calls.push(name);
      return f(...args);
    };
  }
  return recorded;
}

type Exports = Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };

function instantiate(bytes: Uint8Array<ArrayBuffer>): { exports: Exports; record: HalRecord } {
  const record: HalRecord = { calls: [], panics: [] };
  let memory: WebAssembly.Memory | undefined;
  const hal = fakeHal(record, () => memory!);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { hal });
  const exports = instance.exports as unknown as Exports;
  memory = exports.memory;
  return { exports, record };
}

let wabt: Awaited<ReturnType<typeof wabtInit>>;
beforeAll(async () => {
  wabt = await wabtInit();
});

describe.each(BUILDS)("build/%s as a module", (name) => {
  it("imports only hal.* functions, nothing from env", () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(readBuild(name)));
    for (const entry of imports) {
      expect(`${entry.module}.${entry.kind}`).toBe("hal.function");
    }
  });

  it("validates with every post-MVP feature disabled", () => {
    const module = wabt.readWasm(readBuild(name), { readDebugNames: false, ...MVP_ONLY });
    try {
      expect(() => module.validate()).not.toThrow();
    } finally {
      module.destroy();
    }
  });

  it("pins memory to one page (initial = maximum = 1) and exports no mutable global", () => {
    const module = wabt.readWasm(readBuild(name), { readDebugNames: false, ...MVP_ONLY });
    let text: string;
    try {
      text = module.toText({ foldExprs: false, inlineExport: false });
    } finally {
      module.destroy();
    }
    const memories = [...text.matchAll(/^\s*\(memory \(;(\d+);\) (\d+)(?: (\d+))?\)/gm)];
    expect(memories.map((m) => [m[2], m[3]])).toEqual([["1", "1"]]);
    const mutable = new Set(
      [...text.matchAll(/^\s*\(global \(;(\d+);\) \(mut /gm)].map((m) => m[1]),
    );
    const exportedGlobals = [...text.matchAll(/\(export "([^"]+)" \(global (\d+)\)\)/g)];
    for (const [, exportName, index] of exportedGlobals) {
      expect(mutable.has(index), `export ${exportName} is a mutable global`).toBe(false);
    }
  });

  it("returns a status code for bad arguments and never traps", () => {
    const { exports, record } = instantiate(readBuild(name));
    const bootStatus = exports.boot();
    expect(STATUS_TEXT.has(bootStatus)).toBe(true);
    const inbox = exports.inbox();
    const cases: [string, () => number, number][] = [
      ["radio len 0", () => exports.on_radio(inbox, 0), ERR_BAD_LENGTH],
      ["radio len -1", () => exports.on_radio(inbox, -1), ERR_BAD_LENGTH],
      ["radio len 128", () => exports.on_radio(inbox, RADIO_FRAME_MAX + 1), ERR_BAD_LENGTH],
      ["radio len huge", () => exports.on_radio(inbox, 0x7fffffff), ERR_BAD_LENGTH],
      ["radio past memory", () => exports.on_radio(PAGE_LEN - 10, 20), ERR_BAD_POINTER],
      ["radio pointer -1", () => exports.on_radio(-1, 10), ERR_BAD_POINTER],
      ["uart len 0", () => exports.on_uart(inbox, 0), ERR_BAD_LENGTH],
      ["uart len -5", () => exports.on_uart(inbox, -5), ERR_BAD_LENGTH],
      ["uart len 257", () => exports.on_uart(inbox, INBOX_LEN + 1), ERR_BAD_LENGTH],
      ["uart past memory", () => exports.on_uart(PAGE_LEN - 1, 2), ERR_BAD_POINTER],
      ["uart pointer 2^31", () => exports.on_uart(0x80000000 | 0, 4), ERR_BAD_POINTER],
      ["timer -1", () => exports.on_timer(-1), ERR_BAD_ARGUMENT],
      ["timer 24", () => exports.on_timer(TIMER_LAST + 1), ERR_BAD_ARGUMENT],
      ["timer 2^31-1", () => exports.on_timer(0x7fffffff), ERR_BAD_ARGUMENT],
    ];
    for (const [label, call, code] of cases) expect([label, call()]).toEqual([label, code]);
    expect(record.panics).toEqual([]);
  });

  it("survives seeded random frames, UART bytes and every timer ID without a trap", () => {
    const { exports, record } = instantiate(readBuild(name));
    exports.boot();
    const inbox = exports.inbox();
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const mem = (): Uint8Array => new Uint8Array(exports.memory.buffer);
    const statuses = new Set<number>();
    for (let i = 0; i < FUZZ_INPUTS; i++) {
      const radioLen = 1 + (next() % RADIO_FRAME_MAX);
      for (let j = 0; j < radioLen; j++) mem()[inbox + j] = next() & 0xff;
      statuses.add(exports.on_radio(inbox, radioLen));
      const uartLen = 1 + (next() % INBOX_LEN);
      for (let j = 0; j < uartLen; j++) mem()[inbox + j] = next() & 0xff;
      statuses.add(exports.on_uart(inbox, uartLen));
    }
    for (let id = 0; id <= TIMER_LAST; id++) statuses.add(exports.on_timer(id));
    // Every answer is a status the host can translate (host/status.ts keeps the table).
    for (const status of statuses) expect(STATUS_TEXT.has(status), `status ${status}`).toBe(true);
    expect(record.panics).toEqual([]);
  });
});
