// Firmware engine of the simulator: every node is the real node.wasm on the emulator (one
// EmulatedNode per node on the unit-disk medium), provisioned by writing its real image into
// flash slot 0 with a commit record (host/protocol/testing.ts), booted with a seeded spread, and
// run in virtual time until links settle: no new link for `settleMs`. Links, frames and bytes on
// air and AES block counts are then read from the nodes (net_peer, net_status, aes_blocks) and the
// medium: measured, not modelled.
//
// A link counts when both ends list each other as linked; `mode` tells a link on a scheme key from
// one on a path key. A node's neighbour table holds NEIGHBOURS_MAX entries (docs/protocol.md), so
// in dense deployments the firmware links fewer pairs than the key model allows: that gap is a
// finding of the simulation, not an error.

import { Emulator, type Crash, type Firmware } from "../emulator/index.js";
import { NET_STATUS, PEER_FLAG, netPeers, netStatus, provision } from "../protocol/testing.js";
import type { Position } from "../emulator/unit-disk.js";

/** How often the engine counts links while waiting for them to settle (virtual ms). */
export const SETTLE_CHECK_MS = 250;
export const DEFAULT_SETTLE_MS = 5_000;
export const DEFAULT_MAX_MS = 120_000;
export const DEFAULT_BOOT_SPREAD_MS = 200;
/** docs/protocol.md: LINK_INIT mode 1 marks a link built on a path key. */
const MODE_PATH = 1;
/** docs/protocol.md frame header: type (1), src (4), dst (4, big-endian); broadcast dst. */
const HEADER_LEN = 9;
const DST_OFFSET = 5;
const BROADCAST_ID = 0xffffffff;

/**
 * The address recognition of an 802.15.4 transceiver, applied to docs/protocol.md's header: a
 * node is handed broadcast frames and frames addressed to it; frames for other nodes never wake
 * its CPU. (The firmware drops such frames itself; filtering first only saves emulation time, and
 * a short frame is always handed over so the firmware sees it.)
 */
export function protocolAddressFilter(frame: Uint8Array, receiver: number): boolean {
  const dst = protocolDestination(frame);
  return dst === undefined || dst === receiver;
}

/** The unicast destination in docs/protocol.md's header, or undefined (broadcast, short frame). */
export function protocolDestination(frame: Uint8Array): number | undefined {
  if (frame.length < HEADER_LEN) return undefined;
  const dst = ((frame[DST_OFFSET]! << 24) | (frame[DST_OFFSET + 1]! << 16) |
    (frame[DST_OFFSET + 2]! << 8) | frame[DST_OFFSET + 3]!) >>> 0;
  return dst === BROADCAST_ID ? undefined : dst;
}

export interface FirmwareRunOptions {
  positions: readonly Position[];
  range: number;
  images: readonly Uint8Array[];
  seed: string;
  lossRate?: number;
  settleMs?: number;
  maxMs?: number;
  bootSpreadMs?: number;
  firmware?: Firmware;
}

export interface FirmwareRun {
  /** Links both ends hold, as index pairs (i < j), with the mode of each. */
  links: { i: number; j: number; path: boolean }[];
  /** Virtual time of the last new link (ms after the first boot). */
  settleMs: number;
  /** Virtual time simulated in all. */
  virtualMs: number;
  settled: boolean;
  /** Frames sent per node over the whole run (settle window included). */
  framesSent: number[];
  /** Frames sent per node up to the check that saw the last new link. */
  framesToSettle: number[];
  bytesSent: number[];
  aesBlocks: number[];
  bootFailures: number;
  crashes: Crash[];
}

export function runFirmware(options: FirmwareRunOptions): FirmwareRun {
  const nodes = options.positions.length;
  if (options.images.length !== nodes) {
    throw new RangeError(`firmware run: ${nodes} positions but ${options.images.length} images`);
  }
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const maxMs = options.maxMs ?? DEFAULT_MAX_MS;
  const emu = new Emulator({
    firmware: options.firmware,
    seed: options.seed,
    radio: { range: options.range, lossRate: options.lossRate ?? 0,
      destinationOf: protocolDestination },
  });
  const all = options.positions.map((position, i) => {
    const node = emu.addNode({ id: i + 1, position });
    provision(node, options.images[i]!);
    return node;
  });
  emu.bootAll({ spreadMs: options.bootSpreadMs ?? DEFAULT_BOOT_SPREAD_MS });

  // Count linked entries (net_status, each link twice) until the count has not changed for
  // settleMs.
  let lastCount = -1;
  let lastChange = 0;
  let framesToSettle = all.map(() => 0);
  let settled = false;
  while (emu.now < maxMs) {
    emu.run(SETTLE_CHECK_MS);
    let count = 0;
    for (const node of all) {
      if (node.state === "running") count += netStatus(node, NET_STATUS.linked);
    }
    if (count !== lastCount) {
      lastCount = count;
      lastChange = emu.now;
      framesToSettle = all.map((n) => emu.air(n.id).framesSent);
    } else if (emu.now - lastChange >= settleMs) {
      settled = true;
      break;
    }
  }

  const linked = new Map<string, boolean>();
  const links: FirmwareRun["links"] = [];
  for (const node of all) {
    if (node.state !== "running") continue;
    for (const peer of netPeers(node)) {
      if ((peer.flags & PEER_FLAG.linked) === 0) continue;
      const a = Math.min(node.id, peer.id) - 1;
      const b = Math.max(node.id, peer.id) - 1;
      const key = `${a},${b}`;
      if (linked.has(key)) links.push({ i: a, j: b, path: linked.get(key)! });
      else linked.set(key, peer.mode === MODE_PATH);
    }
  }
  links.sort((x, y) => x.i - y.i || x.j - y.j);
  return {
    links,
    settleMs: lastChange,
    virtualMs: emu.now,
    settled,
    framesSent: all.map((n) => emu.air(n.id).framesSent),
    framesToSettle,
    bytesSent: all.map((n) => emu.air(n.id).bytesSent),
    aesBlocks: all.map((n) => n.aesBlocks() ?? 0),
    bootFailures: all.filter((n) => n.bootStatus !== 0).length,
    crashes: [...emu.crashes],
  };
}
