// Emulated NOR flash for one node: pages of bytes with the erase and program rules of real NOR
// parts, an optional backing file so flash survives a process restart, and a power-cut hook that
// stops the node at its Nth write or erase (the MCUboot simulator's technique: cut at every single
// flash operation and check the node recovers).
//
// NOR rules (docs/hal.md, "Flash"): erase sets a whole page to 0xFF; programming can only pull
// bits from 1 to 0. Real NOR cells cannot be charged back to 1 by a program operation, so a write
// of a 1 over a 0 leaves the 0: the stored byte becomes old AND new. That is the default
// (`nor: "and"`). `nor: "strict"` instead refuses such a write with HAL_ERR_NOR and changes
// nothing, like controllers that reject programming a non-erased word (STM32 PGERR); tests use it
// to catch firmware that forgets to erase. Both modes count the attempts in `stats`.
//
// Not modelled: program and erase times, wear-out, read disturb, bit errors.

import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import {
  DEFAULT_FLASH_PAGE_COUNT,
  DEFAULT_FLASH_PAGE_SIZE,
  HAL_ERR_ALIGN,
  HAL_ERR_IO,
  HAL_ERR_LENGTH,
  HAL_ERR_NOR,
  HAL_ERR_RANGE,
  HAL_OK,
} from "./hal.js";

const ERASED = 0xff;
/** Largest page and flash the emulator accepts: keeps a typo from allocating gigabytes. */
const PAGE_SIZE_MAX = 65_536;
const FLASH_BYTES_MAX = 16 * 1024 * 1024;
/** Reads up to this many bytes are copied in a loop rather than through a subarray. */
const SHORT_COPY_MAX = 64;

export type NorMode = "and" | "strict";

/**
 * Where the power cut falls relative to the operation it is armed on:
 * "before" - the Nth operation does not happen; "after" - it completes, then power is lost;
 * "torn" - a write programs only its first half, an erase restores only the first half of the
 * page to 0xFF (what an interrupted operation can leave behind).
 */
export type PowerCutMode = "before" | "after" | "torn";

export interface FlashOptions {
  pageSize?: number;
  pageCount?: number;
  nor?: NorMode;
  /** Write granule in bytes (1 = byte-programmable); writes must start and end on it. */
  writeAlign?: number;
  /** Backing file: read at open (created erased if missing), updated on every write and erase. */
  file?: string;
}

export interface FlashStats {
  reads: number;
  writes: number;
  erases: number;
  bytesRead: number;
  bytesWritten: number;
  /** Writes that tried to set a bit from 0 to 1 (ANDed away, or refused in strict mode). */
  bitSetAttempts: number;
}

/** Thrown from inside a HAL flash call when an armed power cut falls; the node loses power. */
export class PowerCut extends Error {
  constructor(readonly operation: number) {
    super(`power cut at flash operation ${operation}`);
    this.name = "PowerCut";
  }
}

export class Flash {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly size: number;
  readonly nor: NorMode;
  readonly writeAlign: number;
  readonly stats: FlashStats = {
    reads: 0,
    writes: 0,
    erases: 0,
    bytesRead: 0,
    bytesWritten: 0,
    bitSetAttempts: 0,
  };
  /** Erase count per page. */
  readonly pageErases: Uint32Array;
  /** Writes plus erases since this Flash was made; the power-cut hook counts these. */
  operations = 0;
  private readonly data: Uint8Array;
  private fd: number | undefined;
  private cut: { at: number; mode: PowerCutMode } | undefined;

  constructor(options: FlashOptions = {}) {
    this.pageSize = checkInt(
      "flash pageSize",
      options.pageSize ?? DEFAULT_FLASH_PAGE_SIZE,
      1,
      PAGE_SIZE_MAX,
    );
    this.pageCount = checkInt(
      "flash pageCount",
      options.pageCount ?? DEFAULT_FLASH_PAGE_COUNT,
      1,
      FLASH_BYTES_MAX,
    );
    this.size = this.pageSize * this.pageCount;
    if (this.size > FLASH_BYTES_MAX) {
      throw new RangeError(
        `flash size: expected at most ${FLASH_BYTES_MAX} bytes, got ${this.size}`,
      );
    }
    this.nor = options.nor ?? "and";
    if (this.nor !== "and" && this.nor !== "strict") {
      throw new TypeError(`flash nor: expected "and" or "strict", got ${String(this.nor)}`);
    }
    this.writeAlign = checkInt("flash writeAlign", options.writeAlign ?? 1, 1, this.pageSize);
    this.pageErases = new Uint32Array(this.pageCount);
    this.data = new Uint8Array(this.size).fill(ERASED);
    if (options.file !== undefined) this.openBacking(options.file);
  }

  /** Copies `len` bytes from `addr`; throws RangeError outside the flash (host-side API). */
  read(addr: number, len: number): Uint8Array {
    if (!this.inRange(addr, len)) {
      throw new RangeError(`flash read: [${addr}, +${len}) outside 0..${this.size}`);
    }
    this.stats.reads++;
    this.stats.bytesRead += len;
    return this.data.slice(addr, addr + len);
  }

  /** HAL-side read into `out`; returns a HAL status. */
  readInto(addr: number, out: Uint8Array): number {
    return this.readTo(addr, out, 0, out.length);
  }

  /** HAL-side read of `len` bytes into `target` at `offset`; returns a HAL status. */
  readTo(addr: number, target: Uint8Array, offset: number, len: number): number {
    if (!this.inRange(addr, len)) return HAL_ERR_RANGE;
    this.stats.reads++;
    this.stats.bytesRead += len;
    // Short reads (one ring record) copy by hand: no subarray allocation on the hot path.
    if (len <= SHORT_COPY_MAX) {
      for (let i = 0; i < len; i++) target[offset + i] = this.data[addr + i]!;
    } else {
      target.set(this.data.subarray(addr, addr + len), offset);
    }
    return HAL_OK;
  }

  /** Programs `bytes` at `addr` under the NOR rules; returns a HAL status. May throw PowerCut. */
  write(addr: number, bytes: Uint8Array): number {
    if (bytes.length === 0) return HAL_ERR_LENGTH;
    if (!this.inRange(addr, bytes.length)) return HAL_ERR_RANGE;
    if (addr % this.writeAlign !== 0 || bytes.length % this.writeAlign !== 0) return HAL_ERR_ALIGN;
    let setsBits = false;
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i]! & ~this.data[addr + i]!) !== 0) {
        setsBits = true;
        break;
      }
    }
    if (setsBits) {
      this.stats.bitSetAttempts++;
      if (this.nor === "strict") return HAL_ERR_NOR;
    }
    const mode = this.nextOperation();
    const count = mode === "torn" ? bytes.length >> 1 : mode === "before" ? 0 : bytes.length;
    for (let i = 0; i < count; i++) this.data[addr + i]! &= bytes[i]!;
    this.stats.writes++;
    this.stats.bytesWritten += count;
    const saved = this.persist(addr, count);
    if (mode !== undefined) this.fallPowerCut();
    return saved;
  }

  /** Erases page `page` to 0xFF; returns a HAL status. May throw PowerCut. */
  erase(page: number): number {
    if (!Number.isInteger(page) || page < 0 || page >= this.pageCount) return HAL_ERR_RANGE;
    const mode = this.nextOperation();
    const start = page * this.pageSize;
    const count = mode === "torn" ? this.pageSize >> 1 : mode === "before" ? 0 : this.pageSize;
    this.data.fill(ERASED, start, start + count);
    this.stats.erases++;
    if (count > 0) this.pageErases[page]!++;
    const saved = this.persist(start, count);
    if (mode !== undefined) this.fallPowerCut();
    return saved;
  }

  /**
   * Arms a power cut at the `n`th write or erase from now (1 = the next one). The operation is
   * treated per `mode`, then PowerCut is thrown out of the HAL call. Disarms after it falls.
   */
  armPowerCut(n: number, mode: PowerCutMode = "before"): void {
    checkInt("power cut operation", n, 1, Number.MAX_SAFE_INTEGER);
    if (mode !== "before" && mode !== "after" && mode !== "torn") {
      throw new TypeError(`power cut mode: expected before, after or torn, got ${String(mode)}`);
    }
    this.cut = { at: this.operations + n, mode };
  }

  disarmPowerCut(): void {
    this.cut = undefined;
  }

  /** A copy of every byte, as an adversary reading out the chip would get it. */
  snapshot(): Uint8Array {
    return this.data.slice();
  }

  /** Overwrites the whole flash (a factory image, a test fixture); bypasses the NOR rules. */
  load(bytes: Uint8Array): void {
    if (bytes.length !== this.size) {
      throw new RangeError(`flash load: expected ${this.size} bytes, got ${bytes.length}`);
    }
    this.data.set(bytes);
    this.persist(0, this.size);
  }

  /** Closes the backing file, if any. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private inRange(addr: number, len: number): boolean {
    return (
      Number.isInteger(addr) &&
      Number.isInteger(len) &&
      addr >= 0 &&
      len >= 0 &&
      addr + len <= this.size
    );
  }

  /** Counts one write or erase; returns the power-cut mode when the cut falls on it. */
  private nextOperation(): PowerCutMode | undefined {
    this.operations++;
    if (this.cut === undefined || this.operations !== this.cut.at) return undefined;
    return this.cut.mode;
  }

  private fallPowerCut(): never {
    this.cut = undefined;
    throw new PowerCut(this.operations);
  }

  private persist(addr: number, len: number): number {
    if (this.fd === undefined || len === 0) return HAL_OK;
    try {
      writeSync(this.fd, this.data, addr, len, addr);
      return HAL_OK;
    } catch {
      return HAL_ERR_IO;
    }
  }

  private openBacking(file: string): void {
    const fresh = !existsSync(file);
    this.fd = openSync(file, fresh ? "w+" : "r+");
    if (fresh) {
      writeSync(this.fd, this.data, 0, this.size, 0);
      return;
    }
    const size = fstatSync(this.fd).size;
    if (size !== this.size) {
      this.close();
      throw new RangeError(
        `flash file ${file}: expected ${this.size} bytes (${this.pageCount} pages of ` +
          `${this.pageSize}), got ${size}`,
      );
    }
    readSync(this.fd, this.data, 0, this.size, 0);
  }
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw new TypeError(`${name}: expected an integer, got ${value}`);
  if (value < min || value > max) {
    throw new RangeError(`${name}: expected ${min}..${max}, got ${value}`);
  }
  return value;
}
