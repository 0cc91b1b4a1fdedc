// Unit-disk radio medium: a frame sent by a node reaches every other node within `range` (the
// same units as the positions), each copy lost independently with probability `lossRate`, and
// arrives `delay` later: the frame's airtime at `bitrate` (PHY header included) plus a fixed
// `latencyMs` plus a uniform jitter in [0, jitterMs). Frames over 127 bytes are refused.
//
// Loss and jitter come from one seeded Prng drawn in transmit order and receiver-ID order, so a
// run is reproducible. Neighbour lists are built once per placement with a grid of cell = range.
//
// A station (addStation) is a transmit-only endpoint with its own range: a base station or the key
// authority's controller node, which Eschenauer & Gligor (CCS 2002, section 2.2) give a large
// communication range so that one broadcast reaches every node. It hears nothing.
//
// Not modelled: collisions and the hidden-terminal problem, carrier sense, half-duplex (a node
// receives while it sends), capture effect, signal strength. Loss stands in for all of them.

import { HAL_ERR_LENGTH, HAL_OK, RADIO_FRAME_MAX } from "./hal.js";
import type { Medium, RadioEndpoint } from "./medium.js";
import { Prng } from "./random.js";
import type { Scheduler } from "./scheduler.js";

/** IEEE 802.15.4 O-QPSK PHY at 2.4 GHz: 250 kbit/s. */
export const DEFAULT_BITRATE = 250_000;
/** Synchronisation header (preamble 4 + SFD 1) and PHY header (1) sent before the PSDU. */
export const PHY_OVERHEAD_BYTES = 6;

export interface Position {
  readonly x: number;
  readonly y: number;
}

export interface UnitDiskOptions {
  /** Radio range: nodes at distance <= range hear each other. */
  range: number;
  /** Probability that one receiver misses one frame, 0 <= lossRate <= 1; default 0. */
  lossRate?: number;
  /** Fixed delay added to the airtime (processing, backoff), ms; default 0. */
  latencyMs?: number;
  /** Uniform extra delay in [0, jitterMs), ms; default 0. */
  jitterMs?: number;
  /** Bits per second for airtime; default 250 kbit/s. */
  bitrate?: number;
  /** Seed of the loss and jitter draws; default "medium". */
  seed?: string;
  /**
   * Hardware address filter: a copy is handed to a receiver only when this returns true, as a
   * transceiver with address recognition drops frames for other nodes without waking the CPU.
   * Filtered copies are counted per receiver (`framesFiltered`), not lost. Default: none.
   */
  addressFilter?: (frame: Uint8Array, receiver: number) => boolean;
  /**
   * Unicast fast path of the same idea: the frame's destination node, or undefined for a
   * broadcast. A unicast frame is offered to its destination only (when in range), so a medium
   * of dense unicast traffic costs one delivery per frame instead of one check per neighbour.
   */
  destinationOf?: (frame: Uint8Array) => number | undefined;
}

export interface AirStats {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  /** Copies of frames meant for this node that the loss draw dropped. */
  framesLost: number;
  /** Copies the address filter kept from this node (frames for other nodes). */
  framesFiltered: number;
}

export class UnitDiskMedium implements Medium {
  readonly range: number;
  readonly lossRate: number;
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly bitrate: number;
  private readonly prng: Prng;
  private readonly endpoints = new Map<number, RadioEndpoint>();
  private readonly positions = new Map<number, Position>();
  private readonly air = new Map<number, AirStats>();
  private neighbourCache: Map<number, number[]> | undefined;
  private readonly stations = new Map<
    number,
    { position: Position; range: number; receivers?: number[] }
  >();
  private readonly addressFilter: ((frame: Uint8Array, receiver: number) => boolean) | undefined;
  private readonly destinationOf: ((frame: Uint8Array) => number | undefined) | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    options: UnitDiskOptions,
  ) {
    this.range = checkNumber("range", options.range, 0, Number.MAX_VALUE);
    this.lossRate = checkNumber("lossRate", options.lossRate ?? 0, 0, 1);
    this.latencyMs = checkNumber("latencyMs", options.latencyMs ?? 0, 0, Number.MAX_VALUE);
    this.jitterMs = checkNumber("jitterMs", options.jitterMs ?? 0, 0, Number.MAX_VALUE);
    this.bitrate = checkNumber("bitrate", options.bitrate ?? DEFAULT_BITRATE, 1, Number.MAX_VALUE);
    this.prng = new Prng(options.seed ?? "medium", "predist-unit-disk");
    this.addressFilter = options.addressFilter;
    this.destinationOf = options.destinationOf;
  }

  /** Puts node `id` at (x, y); a node must be placed before it can send or receive. */
  place(id: number, position: Position): void {
    if (!Number.isFinite(position.x) || !Number.isFinite(position.y)) {
      throw new RangeError(
        `node ${id} position: expected finite x and y, got ` + `(${position.x}, ${position.y})`,
      );
    }
    this.positions.set(id, { x: position.x, y: position.y });
    this.neighbourCache = undefined;
  }

  position(id: number): Position | undefined {
    return this.positions.get(id);
  }

  /**
   * Adds a transmit-only station `id` at `position` whose frames reach every placed node within
   * `range` (its own, not the medium's). Nodes' frames never reach it.
   */
  addStation(id: number, position: Position, range: number): void {
    if (this.endpoints.has(id) || this.stations.has(id)) {
      throw new Error(`medium: ID ${id} is taken`);
    }
    checkNumber("station range", range, 0, Number.MAX_VALUE);
    this.stations.set(id, { position: { x: position.x, y: position.y }, range });
    this.air.set(id, {
      framesSent: 0,
      bytesSent: 0,
      framesReceived: 0,
      bytesReceived: 0,
      framesLost: 0,
      framesFiltered: 0,
    });
  }

  attach(node: RadioEndpoint): void {
    if (this.endpoints.has(node.id) || this.stations.has(node.id)) {
      throw new Error(`medium: node ${node.id} attached twice`);
    }
    this.endpoints.set(node.id, node);
    this.air.set(node.id, {
      framesSent: 0,
      bytesSent: 0,
      framesReceived: 0,
      bytesReceived: 0,
      framesLost: 0,
      framesFiltered: 0,
    });
    this.neighbourCache = undefined;
  }

  /** Airtime of a frame of `len` bytes, ms. */
  airtimeMs(len: number): number {
    return ((len + PHY_OVERHEAD_BYTES) * 8 * 1_000) / this.bitrate;
  }

  transmit(from: RadioEndpoint, frame: Uint8Array): number {
    if (frame.length === 0 || frame.length > RADIO_FRAME_MAX) return HAL_ERR_LENGTH;
    const sender = this.air.get(from.id);
    if (sender === undefined) throw new Error(`medium: node ${from.id} sends but is not attached`);
    sender.framesSent++;
    sender.bytesSent += frame.length;
    const copy = frame.slice();
    const base = this.airtimeMs(copy.length) + this.latencyMs;
    // Without jitter every copy arrives at the same time: one event delivers them all in
    // receiver-ID order, exactly the order separate same-time events would run in, for a
    // fraction of the scheduler's work.
    const together: number[] = [];
    const dst = this.destinationOf?.(copy);
    const station = this.stations.get(from.id);
    let receivers: readonly number[];
    if (station !== undefined) {
      station.receivers ??= this.withinOf(station.position, station.range);
      receivers =
        dst === undefined ? station.receivers : station.receivers.includes(dst) ? [dst] : [];
    } else {
      receivers =
        dst === undefined ? this.neighbours(from.id) : this.inRange(from.id, dst) ? [dst] : [];
    }
    for (const id of receivers) {
      if (this.addressFilter !== undefined && !this.addressFilter(copy, id)) {
        this.air.get(id)!.framesFiltered++;
        continue;
      }
      if (this.lossRate > 0 && this.prng.next() < this.lossRate) {
        this.air.get(id)!.framesLost++;
        continue;
      }
      if (this.jitterMs === 0) {
        together.push(id);
        continue;
      }
      const delay = base + this.prng.next() * this.jitterMs;
      this.scheduler.after(delay, () => this.deliver(id, copy, from.id));
    }
    if (together.length > 0) {
      this.scheduler.after(base, () => {
        for (const id of together) this.deliver(id, copy, from.id);
      });
    }
    return HAL_OK;
  }

  private deliver(id: number, frame: Uint8Array, from: number): void {
    const receiver = this.air.get(id)!;
    receiver.framesReceived++;
    receiver.bytesReceived += frame.length;
    this.endpoints.get(id)!.receiveFrame(frame, from);
  }

  /** True when `other` is a neighbour of `id` (binary search of the sorted list). */
  private inRange(id: number, other: number): boolean {
    const list = this.neighbours(id);
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = list[mid]!;
      if (v === other) return true;
      if (v < other) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** IDs of the attached, placed nodes within range of `id`, ascending. */
  neighbours(id: number): readonly number[] {
    if (this.neighbourCache === undefined) this.neighbourCache = this.buildNeighbours();
    return this.neighbourCache.get(id) ?? [];
  }

  /** Attached, placed nodes within `range` of `position`, ascending (a station's receivers). */
  private withinOf(position: Position, range: number): number[] {
    const out: number[] = [];
    for (const [id, p] of this.positions) {
      if (!this.endpoints.has(id)) continue;
      if ((p.x - position.x) ** 2 + (p.y - position.y) ** 2 <= range * range) out.push(id);
    }
    return out.sort((a, b) => a - b);
  }

  /** Frames and bytes on air per node. */
  airStats(id: number): AirStats | undefined {
    const stats = this.air.get(id);
    return stats === undefined ? undefined : { ...stats };
  }

  private buildNeighbours(): Map<number, number[]> {
    const ids = [...this.endpoints.keys()].filter((id) => this.positions.has(id));
    ids.sort((a, b) => a - b);
    const result = new Map<number, number[]>(ids.map((id) => [id, []]));
    if (this.range === 0) return result;
    const cell = this.range;
    const grid = new Map<string, number[]>();
    for (const id of ids) {
      const p = this.positions.get(id)!;
      const key = `${Math.floor(p.x / cell)},${Math.floor(p.y / cell)}`;
      const bucket = grid.get(key);
      if (bucket === undefined) grid.set(key, [id]);
      else bucket.push(id);
    }
    const range2 = this.range * this.range;
    for (const id of ids) {
      const p = this.positions.get(id)!;
      const cx = Math.floor(p.x / cell);
      const cy = Math.floor(p.y / cell);
      const list = result.get(id)!;
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (const other of grid.get(`${cx + dx},${cy + dy}`) ?? []) {
            if (other === id) continue;
            const q = this.positions.get(other)!;
            const ddx = p.x - q.x;
            const ddy = p.y - q.y;
            if (ddx * ddx + ddy * ddy <= range2) list.push(other);
          }
        }
      }
      list.sort((a, b) => a - b);
    }
    return result;
  }
}

function checkNumber(name: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`unit-disk ${name}: expected a number, got ${String(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`unit-disk ${name}: expected ${min}..${max}, got ${value}`);
  }
  return value;
}
