// The multi-node emulator: many EmulatedNodes (each a fresh instance of the one compiled
// node.wasm) on one discrete-event scheduler and one radio medium, in one process.
//
//   const emu = new Emulator({ seed: "s", radio: { range: 30, lossRate: 0.1 } });
//   emu.addNode({ id: 1, position: { x: 0, y: 0 } });      // flash, image, ... per node
//   emu.bootAll({ spreadMs: 100 });                         // boots as scheduled events
//   emu.run(60_000);                                        // virtual ms
//   emu.crashes, emu.node(1).stats, emu.air(1), emu.capture(1)
//
// Every random choice derives from `seed` (node random_fill streams, medium loss and jitter, boot
// spread), and events at equal times run in scheduling order: the same calls with the same seed
// give the same run. A crash of any node is collected in `crashes` and passed to `onCrash`; the
// other nodes keep running, as in a real network.

import type { FlashOptions } from "./flash.js";
import { loadFirmware, type Firmware } from "./firmware.js";
import type { Medium } from "./medium.js";
import { EmulatedNode, type Crash, type LogEntry, type NodeOptions } from "./node.js";
import { Prng } from "./random.js";
import { DEFAULT_MAX_EVENTS, Scheduler } from "./scheduler.js";
import { UnitDiskMedium, type AirStats, type Position, type UnitDiskOptions } from "./unit-disk.js";

export interface EmulatorOptions {
  firmware?: Firmware;
  /** Root of every seeded stream; without it random_fill uses node:crypto (not reproducible). */
  seed?: string;
  /** A unit-disk medium is built from these (seeded from `seed`) unless `medium` is given. */
  radio?: Omit<UnitDiskOptions, "seed">;
  /** Any other medium, built on the emulator's scheduler. */
  medium?: (scheduler: Scheduler) => Medium;
  /** Default flash options for every node. */
  flash?: FlashOptions;
  onCrash?: (crash: Crash) => void;
  onLog?: (entry: LogEntry) => void;
}

export interface AddNodeOptions extends Omit<NodeOptions, "scheduler" | "medium" | "firmware"> {
  id: number;
  position?: Position;
}

/** A transmit-only station made by Emulator.addStation. */
export interface Station {
  readonly id: number;
  send(frame: Uint8Array): number;
}

export class Emulator {
  readonly scheduler = new Scheduler();
  readonly medium: Medium;
  readonly firmware: Firmware;
  readonly crashes: Crash[] = [];
  private readonly nodes = new Map<number, EmulatedNode>();
  private readonly options: EmulatorOptions;

  constructor(options: EmulatorOptions = {}) {
    if (options.flash?.file !== undefined) {
      throw new TypeError("emulator flash: a backing file belongs to one node; give it in addNode");
    }
    this.options = options;
    this.firmware = options.firmware ?? loadFirmware();
    if (options.medium !== undefined) {
      this.medium = options.medium(this.scheduler);
    } else {
      this.medium = new UnitDiskMedium(this.scheduler, {
        range: options.radio?.range ?? Number.MAX_VALUE,
        ...options.radio,
        seed: `${options.seed ?? "unseeded"}/medium`,
      });
    }
  }

  addNode(options: AddNodeOptions): EmulatedNode {
    if (this.nodes.has(options.id)) throw new Error(`emulator: node ${options.id} exists already`);
    const node = new EmulatedNode({
      seed: this.options.seed,
      flash: this.options.flash,
      onLog: this.options.onLog,
      ...options,
      firmware: this.firmware,
      scheduler: this.scheduler,
      medium: this.medium,
      onCrash: (crash) => {
        this.crashes.push(crash);
        this.options.onCrash?.(crash);
        options.onCrash?.(crash);
      },
    });
    if (options.position !== undefined) {
      if (!(this.medium instanceof UnitDiskMedium)) {
        throw new Error("emulator: positions need the unit-disk medium");
      }
      this.medium.place(options.id, options.position);
    }
    this.nodes.set(options.id, node);
    return node;
  }

  /**
   * A transmit-only station on the unit-disk medium (a base station or the authority's
   * controller node) with its own range; `send` hands a frame to the medium now and returns the
   * HAL status. Its frames are counted by `air(id)`.
   */
  addStation(options: { id: number; position: Position; range: number }): Station {
    if (!(this.medium instanceof UnitDiskMedium)) {
      throw new Error("emulator: a station needs the unit-disk medium");
    }
    if (this.nodes.has(options.id)) throw new Error(`emulator: node ${options.id} exists already`);
    const medium = this.medium;
    medium.addStation(options.id, options.position, options.range);
    const endpoint = { id: options.id, receiveFrame: () => undefined };
    return { id: options.id, send: (frame: Uint8Array) => medium.transmit(endpoint, frame) };
  }

  node(id: number): EmulatedNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new RangeError(`emulator: no node ${id}`);
    return node;
  }

  /** Every node, by ascending ID. */
  allNodes(): EmulatedNode[] {
    return [...this.nodes.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * Schedules boot() of every node not yet booted, at now + a seeded uniform offset in
   * [0, spreadMs) (0: all at now, in ID order). Returns once scheduled; run() executes them.
   */
  bootAll(options: { spreadMs?: number } = {}): void {
    const spread = options.spreadMs ?? 0;
    const prng = new Prng(`${this.options.seed ?? "unseeded"}/boot`, "predist-boot-spread");
    for (const node of this.allNodes()) {
      if (node.state !== "new") continue;
      const offset = spread > 0 ? prng.next() * spread : 0;
      this.scheduler.after(offset, () => node.boot());
    }
  }

  /** Runs `ms` of virtual time. Returns the number of events run. */
  run(ms: number, maxEvents = DEFAULT_MAX_EVENTS): number {
    return this.scheduler.runUntil(this.scheduler.now + ms, maxEvents);
  }

  /** Runs until no event is pending (no timer armed, no frame in flight). */
  runUntilIdle(maxEvents = DEFAULT_MAX_EVENTS): number {
    return this.scheduler.runUntilIdle(maxEvents);
  }

  get now(): number {
    return this.scheduler.now;
  }

  /** Frames and bytes on air for node `id` (unit-disk medium), else the node's own counters. */
  air(id: number): AirStats {
    if (this.medium instanceof UnitDiskMedium) {
      const stats = this.medium.airStats(id);
      if (stats !== undefined) return stats;
    }
    const s = this.node(id).stats;
    return {
      framesSent: s.framesSent,
      bytesSent: s.bytesSent,
      framesReceived: s.framesReceived,
      bytesReceived: s.bytesReceived,
      framesLost: 0,
      framesFiltered: 0,
    };
  }

  /** What an adversary who captured node `id` reads out: all of its flash and RAM. */
  capture(id: number): { flash: Uint8Array; memory: Uint8Array } {
    const node = this.node(id);
    return { flash: node.captureFlash(), memory: node.captureMemory() };
  }
}
