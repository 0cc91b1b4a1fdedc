// EmulatedNode: one sensor node running the real firmware (build/node.wasm) on Node's WebAssembly
// engine, with the HAL (docs/hal.md) bound to TypeScript: flash as bytes under NOR rules
// (flash.ts), radio to a pluggable medium (medium.ts), UART to a callback, a virtual clock and
// timers driven by a discrete-event scheduler (scheduler.ts), random_fill from node:crypto or a
// seeded stream (random.ts), log capture by level, and trap / panic capture.
//
// API
//   const node = new EmulatedNode({ id, firmware?, flash?, scheduler?, medium?, seed?, uart? })
//   node.boot()                -> status   new instance, same flash; calls export boot()
//   node.reboot()              -> status   same as boot(): memory and timers reset, flash kept
//   node.deliverRadio(frame)   -> status   copies into inbox(), calls on_radio
//   node.deliverUart(bytes)    -> status   copies into inbox(), calls on_uart
//   node.fireTimer(id)         -> status   calls on_timer now (timers normally fire by themselves)
//   node.callExport(name, ...args) -> status   raw call of any exported function (net_status)
//   node.inboxAddress, node.writeMemory(addr, bytes), node.readMemory(addr, len)
//   node.advance(ms)           runs the scheduler `ms` of virtual time forward
//   node.captureFlash(), node.captureMemory()   what an adversary reading out the chip gets
//   node.aesBlocks()           the firmware's AES block counter, if it exports `aes_blocks`
//   node.state, node.crash, node.logs, node.stats, node.armedTimers()
// A status is the export's return value (>= 0, assembly/status.ts), or STATUS_CRASHED /
// STATUS_OFF when the node trapped, panicked or lost power (then node.crash says why). A crash is
// never silent: it is recorded, passed to onCrash, and every later call returns STATUS_CRASHED.
//
// Exports are never re-entered: a call made while another export of the same node runs throws.
// Timers and frames are delivered by scheduler events, after the export that caused them returns.

import { statusText } from "../status.js";
import { Flash, PowerCut, type FlashOptions } from "./flash.js";
import { loadFirmware, type Firmware } from "./firmware.js";
import {
  AES_COUNTER_EXPORT,
  HAL_ERR_LENGTH,
  HAL_MODULE,
  HAL_OK,
  INBOX_LEN,
  LOG_TEXT_MAX,
  RADIO_FRAME_MAX,
  TIMER_COUNT,
} from "./hal.js";
import { RecordingMedium, type Medium, type RadioEndpoint } from "./medium.js";
import { byteSource, type ByteSource } from "./random.js";
import { Scheduler, type ScheduledEvent } from "./scheduler.js";

/** Host-side status: the node has crashed (trap, panic or HAL contract breach); see node.crash. */
export const STATUS_CRASHED = -1000;
/** Host-side status: the node is without power (a flash power cut); boot() powers it up. */
export const STATUS_OFF = -1001;

/** Panic code layout of assembly/hal/index.ts onAbort: low byte 1, source line in bits 8-23. */
const PANIC_ABORT = 1;
const PANIC_CODE_MASK = 0xff;
/** Captured log lines kept per node; older ones are dropped and counted. */
const DEFAULT_LOG_LIMIT = 1_000;

export type NodeState = "new" | "running" | "crashed" | "off";
export type ExportName = "boot" | "on_radio" | "on_uart" | "on_timer";

export interface Crash {
  readonly nodeId: number;
  readonly timeMs: number;
  /** The export that was running. */
  readonly during: string;
  /** trap: the WebAssembly engine trapped; panic: hal.panic; hal: a HAL contract breach. */
  readonly kind: "trap" | "panic" | "hal";
  readonly code?: number;
  readonly reason: string;
}

export interface LogEntry {
  readonly timeMs: number;
  readonly nodeId: number;
  readonly level: number;
  readonly text: string;
}

export interface NodeStats {
  framesSent: number;
  bytesSent: number;
  framesRefused: number;
  framesReceived: number;
  bytesReceived: number;
  framesDroppedOff: number;
  uartBytesIn: number;
  uartBytesOut: number;
  exportCalls: number;
  /** Export calls that returned a non-zero firmware status. */
  refusals: number;
  timersFired: number;
  /** timer_start / timer_stop with an ID outside 0..23 (ignored). */
  badTimerIds: number;
  logsDropped: number;
  boots: number;
}

export interface NodeOptions {
  /** Node identifier used by media and reports; default 0. */
  id?: number;
  firmware?: Firmware;
  /** A Flash to use (shared across reboots by construction), or options to make one. */
  flash?: Flash | FlashOptions;
  /** Share one scheduler among nodes; default a fresh one. */
  scheduler?: Scheduler;
  /** Where radio_send goes; default a RecordingMedium. */
  medium?: Medium;
  /** Seed for random_fill (the stream is seeded with `${seed}/node/${id}`); default node:crypto. */
  seed?: string;
  /** A byte source for random_fill, overriding `seed`. */
  random?: ByteSource;
  /** Receives every uart_write (a callback or a writable stream); default: kept for takeUart(). */
  uart?: ((bytes: Uint8Array) => void) | { write(chunk: Uint8Array): unknown };
  /** Added to virtual time for clock_ms (test the 2^32 wrap). */
  clockOffsetMs?: number;
  logLimit?: number;
  onLog?: (entry: LogEntry) => void;
  onCrash?: (crash: Crash) => void;
}

interface FirmwareExports {
  memory: WebAssembly.Memory;
  inbox(): number;
  boot(): number;
  on_radio(ptr: number, len: number): number;
  on_uart(ptr: number, len: number): number;
  on_timer(id: number): number;
  [AES_COUNTER_EXPORT]?: () => number;
}

/** Thrown from inside a HAL import to stop the firmware: a panic or a contract breach. */
class Halt extends Error {
  constructor(
    readonly kind: "panic" | "hal",
    readonly code: number | undefined,
    reason: string,
  ) {
    super(reason);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

export class EmulatedNode implements RadioEndpoint {
  readonly id: number;
  readonly firmware: Firmware;
  readonly flash: Flash;
  readonly scheduler: Scheduler;
  readonly medium: Medium;
  readonly stats: NodeStats = {
    framesSent: 0,
    bytesSent: 0,
    framesRefused: 0,
    framesReceived: 0,
    bytesReceived: 0,
    framesDroppedOff: 0,
    uartBytesIn: 0,
    uartBytesOut: 0,
    exportCalls: 0,
    refusals: 0,
    timersFired: 0,
    badTimerIds: 0,
    logsDropped: 0,
    boots: 0,
  };
  readonly logs: LogEntry[] = [];
  state: NodeState = "new";
  crash: Crash | undefined;
  /** Status returned by the last boot(). */
  bootStatus: number | undefined;

  private readonly random: ByteSource;
  private readonly uartSink: ((bytes: Uint8Array) => void) | undefined;
  private readonly uartKept: Uint8Array[] = [];
  private readonly clockOffsetMs: number;
  private readonly logLimit: number;
  private readonly onLog: ((entry: LogEntry) => void) | undefined;
  private readonly onCrash: ((crash: Crash) => void) | undefined;
  private readonly timers: (ScheduledEvent | undefined)[] = new Array(TIMER_COUNT);
  private exports: FirmwareExports | undefined;
  private memory: WebAssembly.Memory | undefined;
  /** A view of the whole memory, renewed if a module ever grows its memory (detaching it). */
  private view: Uint8Array | undefined;
  private inboxAddr = 0;
  private running: string | undefined;

  constructor(options: NodeOptions = {}) {
    this.id = options.id ?? 0;
    if (!Number.isInteger(this.id) || this.id < 0) {
      throw new RangeError(`node id: expected an integer >= 0, got ${this.id}`);
    }
    this.firmware = options.firmware ?? loadFirmware();
    this.flash = options.flash instanceof Flash ? options.flash : new Flash(options.flash);
    this.scheduler = options.scheduler ?? new Scheduler();
    this.medium = options.medium ?? new RecordingMedium(() => this.scheduler.now);
    this.random =
      options.random ??
      byteSource(options.seed === undefined ? undefined : `${options.seed}/node/${this.id}`);
    const uart = options.uart;
    this.uartSink =
      uart === undefined || typeof uart === "function" ? uart : (bytes) => void uart.write(bytes);
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.logLimit = options.logLimit ?? DEFAULT_LOG_LIMIT;
    this.onLog = options.onLog;
    this.onCrash = options.onCrash;
    this.medium.attach(this);
  }

  /** Powers the node up: a new instance of the firmware with the same flash, then boot(). */
  boot(): number {
    if (this.running !== undefined) {
      throw new Error(`node ${this.id}: boot called while ${this.running} runs (re-entrant)`);
    }
    this.stopAllTimers();
    this.crash = undefined;
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(this.firmware.module, { [HAL_MODULE]: this.hal() });
    } catch (error) {
      // A start function that traps; a LinkError (import signature mismatch) is the host's.
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      this.state = "running";
      this.markCrashed("instantiate", "trap", undefined, error.message);
      return STATUS_CRASHED;
    }
    this.exports = instance.exports as unknown as FirmwareExports;
    this.memory = this.exports.memory;
    this.view = new Uint8Array(this.memory.buffer);
    this.state = "running";
    this.stats.boots++;
    this.inboxAddr = this.exports.inbox() >>> 0;
    if (this.inboxAddr + INBOX_LEN > this.memory.buffer.byteLength) {
      this.markCrashed("inbox", "hal", undefined, `inbox() = ${this.inboxAddr} leaves memory`);
      return STATUS_CRASHED;
    }
    const exports = this.exports;
    this.bootStatus = this.invoke("boot", () => exports.boot());
    return this.bootStatus;
  }

  /** Reset: memory and timers start over, flash is kept. */
  reboot(): number {
    return this.boot();
  }

  /** Delivers one received radio frame (copied into the inbox) and calls on_radio. */
  deliverRadio(frame: Uint8Array): number {
    const status = this.deliver("on_radio", frame);
    if (status !== STATUS_OFF && status !== STATUS_CRASHED) {
      this.stats.framesReceived++;
      this.stats.bytesReceived += frame.length;
    }
    return status;
  }

  /** Delivers UART bytes (at most INBOX_LEN per call) and calls on_uart. */
  deliverUart(bytes: Uint8Array): number {
    const status = this.deliver("on_uart", bytes);
    if (status !== STATUS_OFF && status !== STATUS_CRASHED) this.stats.uartBytesIn += bytes.length;
    return status;
  }

  /** Calls on_timer(id) now, outside the scheduler (tests); armed timers fire by themselves. */
  fireTimer(id: number): number {
    const exports = this.exports;
    return this.invoke("on_timer", () => exports!.on_timer(id | 0));
  }

  /**
   * Calls an exported function by name with raw integer arguments (no copying): the event
   * exports, or extra ones such as net_status. Same crash and re-entrancy rules as events.
   */
  callExport(name: ExportName | (string & {}), ...args: number[]): number {
    const exports = this.exports as unknown as Record<string, unknown> | undefined;
    const fn = exports?.[name];
    if (exports !== undefined && typeof fn !== "function") {
      throw new TypeError(`node ${this.id}: the firmware exports no function ${name}`);
    }
    return this.invoke(name, () => (fn as (...a: number[]) => number)(...args));
  }

  /** Address of the firmware's inbox (valid after boot). */
  get inboxAddress(): number {
    return this.inboxAddr;
  }

  /** Copies bytes into the firmware's memory at `addr` (for extra exports' arguments). */
  writeMemory(addr: number, bytes: Uint8Array): void {
    this.memoryRange(addr, bytes.length).set(bytes);
  }

  /** A copy of `len` bytes of the firmware's memory at `addr`. */
  readMemory(addr: number, len: number): Uint8Array {
    return this.memoryRange(addr, len).slice();
  }

  /** Medium side: a frame arrives over the air. Dropped (and counted) when the node is down. */
  receiveFrame(frame: Uint8Array, from: number): void {
    void from;
    if (this.state !== "running") {
      this.stats.framesDroppedOff++;
      return;
    }
    this.deliverRadio(frame);
  }

  /** Runs the scheduler `ms` of virtual time forward (all nodes sharing it run). */
  advance(ms: number): number {
    return this.scheduler.runUntil(this.scheduler.now + ms);
  }

  /** Armed timers with their due times, by ID. */
  armedTimers(): { id: number; dueMs: number }[] {
    const out: { id: number; dueMs: number }[] = [];
    this.timers.forEach((event, id) => {
      if (event !== undefined && !event.cancelled) out.push({ id, dueMs: event.time });
    });
    return out;
  }

  /** UART output kept since the last call (only when no uart callback was given). */
  takeUart(): Uint8Array {
    const total = this.uartKept.reduce((sum, chunk) => sum + chunk.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.uartKept) {
      out.set(chunk, at);
      at += chunk.length;
    }
    this.uartKept.length = 0;
    return out;
  }

  /** Every flash byte, as an adversary who captured the node reads it out. */
  captureFlash(): Uint8Array {
    return this.flash.snapshot();
  }

  /** The firmware's whole linear memory (RAM), as an adversary with a debug probe reads it. */
  captureMemory(): Uint8Array {
    if (this.memory === undefined) throw new Error(`node ${this.id}: not booted, no memory yet`);
    return new Uint8Array(this.memory.buffer).slice();
  }

  /** The firmware's AES block counter, or undefined when it does not export `aes_blocks`. */
  aesBlocks(): number | undefined {
    const counter = this.exports?.[AES_COUNTER_EXPORT];
    return counter === undefined ? undefined : counter() >>> 0;
  }

  /** Virtual clock as the firmware sees it: ms, wrapping at 2^32. */
  clockMs(): number {
    return (Math.floor(this.scheduler.now) + this.clockOffsetMs) >>> 0;
  }

  private currentView(): Uint8Array {
    if (this.view === undefined || this.view.byteLength === 0) {
      this.view = new Uint8Array(this.memory!.buffer);
    }
    return this.view;
  }

  private memoryRange(addr: number, len: number): Uint8Array {
    if (this.memory === undefined) throw new Error(`node ${this.id}: not booted, no memory yet`);
    const size = this.memory.buffer.byteLength;
    if (
      !Number.isInteger(addr) ||
      !Number.isInteger(len) ||
      addr < 0 ||
      len < 0 ||
      addr + len > size
    ) {
      throw new RangeError(`node ${this.id}: memory [${addr}, +${len}) outside 0..${size}`);
    }
    return new Uint8Array(this.memory.buffer, addr, len);
  }

  private deliver(name: "on_radio" | "on_uart", bytes: Uint8Array): number {
    if (bytes.length > INBOX_LEN) {
      throw new RangeError(
        `node ${this.id} ${name}: at most ${INBOX_LEN} bytes per event, ` + `got ${bytes.length}`,
      );
    }
    const exports = this.exports;
    return this.invoke(name, () => {
      this.currentView().set(bytes, this.inboxAddr);
      return exports![name](this.inboxAddr, bytes.length);
    });
  }

  /** Runs one export call with the crash, power-cut and re-entrancy rules. */
  private invoke(name: string, call: () => number): number {
    if (this.state === "new") throw new Error(`node ${this.id}: ${name} before boot()`);
    if (this.state === "crashed") return STATUS_CRASHED;
    if (this.state === "off") return STATUS_OFF;
    if (this.running !== undefined) {
      throw new Error(`node ${this.id}: ${name} called while ${this.running} runs (re-entrant)`);
    }
    this.running = name;
    this.stats.exportCalls++;
    try {
      const status = call() | 0;
      if (status !== 0) this.stats.refusals++;
      return status;
    } catch (error) {
      if (error instanceof PowerCut) {
        this.state = "off";
        this.stopAllTimers();
        return STATUS_OFF;
      }
      if (error instanceof Halt) {
        this.markCrashed(name, error.kind, error.code, error.message);
        return STATUS_CRASHED;
      }
      if (error instanceof WebAssembly.RuntimeError || isStackOverflow(error)) {
        this.markCrashed(name, "trap", undefined, (error as Error).message);
        return STATUS_CRASHED;
      }
      // A host-side failure (a throwing UART callback, a medium bug): the instance was unwound
      // mid-call, so it cannot go on; record it, then let the host see its own error.
      this.markCrashed(name, "hal", undefined, `host error: ${(error as Error)?.message}`);
      throw error;
    } finally {
      this.running = undefined;
    }
  }

  private markCrashed(
    during: string,
    kind: Crash["kind"],
    code: number | undefined,
    reason: string,
  ): void {
    this.state = "crashed";
    this.stopAllTimers();
    const timeMs = this.scheduler.now;
    const crash: Crash = { nodeId: this.id, timeMs, during, kind, code, reason };
    this.crash = crash;
    this.onCrash?.(crash);
  }

  private stopAllTimers(): void {
    for (let id = 0; id < TIMER_COUNT; id++) {
      this.scheduler.cancel(this.timers[id]);
      this.timers[id] = undefined;
    }
  }

  /** Bytes of memory [ptr, ptr + len) as WAMR's `*~` check sees them; a breach halts the node. */
  private region(call: string, ptr: number, len: number): Uint8Array {
    const start = ptr >>> 0;
    const size = len >>> 0;
    const view = this.currentView();
    if (start + size > view.length) {
      throw new Halt(
        "hal",
        undefined,
        `${call}: (pointer ${start}, length ${size}) leaves the ${view.length}-byte memory`,
      );
    }
    return view.subarray(start, start + size);
  }

  /** The import object: each HAL function per docs/hal.md. */
  private hal(): Record<string, (...args: number[]) => number | void> {
    return {
      radio_send: (ptr, len) => {
        const frame = this.region("radio_send", ptr, len);
        if (frame.length === 0 || frame.length > RADIO_FRAME_MAX) {
          this.stats.framesRefused++;
          return HAL_ERR_LENGTH;
        }
        const status = this.medium.transmit(this, frame);
        if (status === HAL_OK) {
          this.stats.framesSent++;
          this.stats.bytesSent += frame.length;
        } else {
          this.stats.framesRefused++;
        }
        return status;
      },
      uart_write: (ptr, len) => {
        const bytes = this.region("uart_write", ptr, len).slice();
        this.stats.uartBytesOut += bytes.length;
        if (this.uartSink !== undefined) this.uartSink(bytes);
        else this.uartKept.push(bytes);
        return bytes.length;
      },
      flash_read: (addr, ptr, len) => {
        const start = ptr >>> 0;
        const size = len >>> 0;
        const view = this.currentView();
        if (start + size > view.length) this.region("flash_read", ptr, len);
        return this.flash.readTo(addr >>> 0, view, start, size);
      },
      flash_write: (addr, ptr, len) =>
        this.flash.write(addr >>> 0, this.region("flash_write", ptr, len).slice()),
      flash_erase: (page) => this.flash.erase(page >>> 0),
      flash_page_size: () => this.flash.pageSize,
      flash_page_count: () => this.flash.pageCount,
      clock_ms: () => this.clockMs() | 0,
      timer_start: (id, delayMs) => {
        if (id < 0 || id >= TIMER_COUNT) {
          this.stats.badTimerIds++;
          return;
        }
        this.scheduler.cancel(this.timers[id]);
        this.timers[id] = this.scheduler.after(delayMs >>> 0, () => this.timerFired(id));
      },
      timer_stop: (id) => {
        if (id < 0 || id >= TIMER_COUNT) {
          this.stats.badTimerIds++;
          return;
        }
        this.scheduler.cancel(this.timers[id]);
        this.timers[id] = undefined;
      },
      random_fill: (ptr, len) => {
        this.random.fill(this.region("random_fill", ptr, len));
        return HAL_OK;
      },
      panic: (code) => {
        throw new Halt("panic", code, panicReason(code));
      },
      log: (level, ptr, len) => {
        const bytes = this.region("log", ptr, len);
        const text = utf8.decode(bytes.subarray(0, Math.min(bytes.length, LOG_TEXT_MAX)));
        const entry: LogEntry = { timeMs: this.scheduler.now, nodeId: this.id, level, text };
        if (this.logs.length >= this.logLimit) {
          this.logs.shift();
          this.stats.logsDropped++;
        }
        this.logs.push(entry);
        this.onLog?.(entry);
      },
    };
  }

  private timerFired(id: number): void {
    this.timers[id] = undefined;
    this.stats.timersFired++;
    const exports = this.exports;
    this.invoke("on_timer", () => exports!.on_timer(id));
  }
}

/** Text for a hal.panic code. */
export function panicReason(code: number): string {
  if ((code & PANIC_CODE_MASK) === PANIC_ABORT) {
    return `panic: abort (failed assert or bounds check) at source line ${(code >>> 8) & 0xffff}`;
  }
  return `panic ${code}: ${statusText(code)}`;
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}
