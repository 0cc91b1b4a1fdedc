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
//
// Revocation (optional, after links settle): a base station, the authority's controller node with
// a range covering the field (Eschenauer & Gligor, CCS 2002, section 2.2), broadcasts REVOKE
// frames (host/protocol encodeRevocation) naming the captured nodes and keys, one frame per μTESLA
// interval because a node buffers only REVOKE_SLOTS = 2 frames (docs/protocol.md, "Revocation"),
// and discloses each interval's chain key in the next interval (SPINS, Perrig et al. 2001,
// section 5). Each frame is sent REPEATS times against loss. Links are read right after every
// disclosure is delivered, before any node can re-link, so every link the revocation drops is
// seen; the network then runs until links settle again.

import { Emulator, type Crash, type EmulatedNode, type Firmware } from "../emulator/index.js";
import type { Position } from "../emulator/unit-disk.js";
import {
  AUTHORITY_ID,
  DISCLOSE_LEN,
  REVOKE_IDS_MAX,
  encodeDisclosure,
  encodeRevocation,
} from "../protocol/index.js";
import { NET_STATUS, PEER_FLAG, netPeers, netStatus, provision } from "../protocol/testing.js";

/** How often the engine counts links while waiting for them to settle (virtual ms). */
export const SETTLE_CHECK_MS = 250;
export const DEFAULT_SETTLE_MS = 5_000;
/** Longest virtual time of one settling phase (initial links, or healing after revocation). */
export const DEFAULT_MAX_MS = 120_000;
export const DEFAULT_BOOT_SPREAD_MS = 200;
/** docs/protocol.md: LINK_INIT mode 1 marks a link built on a path key. */
const MODE_PATH = 1;
/** docs/protocol.md frame header: type (1), src (4), dst (4, big-endian); broadcast dst. */
const HEADER_LEN = 9;
const DST_OFFSET = 5;
const BROADCAST_ID = 0xffffffff;
/** Each REVOKE and DISCLOSE frame is broadcast this many times (docs/protocol.md asks for it). */
export const REVOKE_REPEATS = 3;
/** Gap between the copies of one frame (virtual ms): longer than a 127-byte airtime (4.3 ms). */
const REPEAT_GAP_MS = 20;
/** Offsets into an interval: DISCLOSE of the previous interval first, then this one's REVOKE. */
const DISCLOSE_AT_MS = 10;
const REVOKE_AT_MS = 100;
/** 802.15.4 at 250 kbit/s: airtime of a DISCLOSE frame with its 6 bytes of SHR and PHR (ms). */
const DISCLOSE_AIRTIME_MS = ((DISCLOSE_LEN + 6) * 8) / 250;

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
  const dst =
    ((frame[DST_OFFSET]! << 24) |
      (frame[DST_OFFSET + 1]! << 16) |
      (frame[DST_OFFSET + 2]! << 8) |
      frame[DST_OFFSET + 3]!) >>>
    0;
  return dst === BROADCAST_ID ? undefined : dst;
}

/** A link both ends hold, as node indexes (i < j); `path` when built on a path key. */
export interface FirmwareLink {
  i: number;
  j: number;
  path: boolean;
}

/** What to revoke, chosen once the first links have settled. */
export interface RevocationPlan {
  /** Captured node indexes (node ID = index + 1), revoked by node ID. */
  captured: readonly number[];
  /** Key IDs revoked (eg, q-composite: every key of the captured rings). */
  keys: readonly number[];
}

export interface RevocationOptions {
  /** Picks the captured nodes and revoked keys from the settled links. */
  plan(links: readonly FirmwareLink[]): RevocationPlan;
  /** The authority's μTESLA chain key K_i. */
  chainKey(interval: number): Uint8Array;
  /** The anchor in every image: interval 1 starts at startMs, each lasts intervalMs. */
  intervalMs: number;
  startMs: number;
  /** The base station: where it stands and how far it reaches. */
  station: { position: Position; range: number };
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
  revoke?: RevocationOptions;
}

export interface RevocationRun {
  plan: RevocationPlan;
  station: { position: Position; range: number };
  /** μTESLA intervals used (one REVOKE frame each), the first, and the virtual times. */
  intervals: number;
  firstInterval: number;
  firstRevokeMs: number;
  lastDiscloseMs: number;
  stationFrames: number;
  stationBytes: number;
  /** Links when the revocation began, links seen missing at any read after, links at the end. */
  before: FirmwareLink[];
  dropped: FirmwareLink[];
  after: FirmwareLink[];
  /** Whether links settled again; virtual ms from the last DISCLOSE to the last change. */
  healed: boolean;
  healMs: number;
  /** Per node, over the revocation and healing: frames sent, AES blocks, image rewrites. */
  framesSent: number[];
  aesBlocks: number[];
  imageRewrites: number[];
}

export interface FirmwareRun {
  /** Links both ends hold once settled (before any revocation), sorted by (i, j). */
  links: FirmwareLink[];
  /** Virtual time of the last new link (ms after the first boot). */
  settleMs: number;
  /** Virtual time simulated until links settled (or the limit). */
  virtualMs: number;
  settled: boolean;
  /** Frames sent per node until settled (settle window included). */
  framesSent: number[];
  /** Frames sent per node up to the check that saw the last new link. */
  framesToSettle: number[];
  bytesSent: number[];
  aesBlocks: number[];
  bootFailures: number;
  crashes: Crash[];
  revocation: RevocationRun | null;
}

/** Links both ends list as linked, sorted by (i, j). */
function readLinks(all: readonly EmulatedNode[]): FirmwareLink[] {
  const half = new Map<number, boolean>();
  const links: FirmwareLink[] = [];
  const n = all.length;
  for (const node of all) {
    if (node.state !== "running") continue;
    for (const peer of netPeers(node)) {
      if ((peer.flags & PEER_FLAG.linked) === 0) continue;
      const a = Math.min(node.id, peer.id) - 1;
      const b = Math.max(node.id, peer.id) - 1;
      if (a < 0 || b >= n) continue;
      const key = a * n + b;
      const path = half.get(key);
      if (path !== undefined) links.push({ i: a, j: b, path });
      else half.set(key, peer.mode === MODE_PATH);
    }
  }
  return links.sort((x, y) => x.i - y.i || x.j - y.j);
}

/** Linked entries over all running nodes (net_status; each link counts at both ends). */
function linkedEntries(all: readonly EmulatedNode[]): number {
  let count = 0;
  for (const node of all) {
    if (node.state === "running") count += netStatus(node, NET_STATUS.linked);
  }
  return count;
}

/**
 * Runs `emu` in SETTLE_CHECK_MS steps until the count of linked entries has not changed for
 * settleMs, or until `limitMs`. Returns the time of the check that saw the last change (or the
 * start, when nothing changed from `initialCount`).
 */
function settle(
  emu: Emulator,
  all: readonly EmulatedNode[],
  settleMs: number,
  limitMs: number,
  initialCount: number,
  onChange?: () => void,
): { settled: boolean; lastChange: number } {
  let lastCount = initialCount;
  let lastChange = emu.now;
  while (emu.now < limitMs) {
    emu.run(SETTLE_CHECK_MS);
    const count = linkedEntries(all);
    if (count !== lastCount) {
      lastCount = count;
      lastChange = emu.now;
      onChange?.();
    } else if (emu.now - lastChange >= settleMs) {
      return { settled: true, lastChange };
    }
  }
  return { settled: false, lastChange };
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
    radio: {
      range: options.range,
      lossRate: options.lossRate ?? 0,
      destinationOf: protocolDestination,
    },
  });
  const all = options.positions.map((position, i) => {
    const node = emu.addNode({ id: i + 1, position });
    provision(node, options.images[i]!);
    return node;
  });
  emu.bootAll({ spreadMs: options.bootSpreadMs ?? DEFAULT_BOOT_SPREAD_MS });

  let framesToSettle = all.map(() => 0);
  const first = settle(emu, all, settleMs, maxMs, -1, () => {
    framesToSettle = all.map((n) => emu.air(n.id).framesSent);
  });
  const run: FirmwareRun = {
    links: readLinks(all),
    settleMs: first.lastChange,
    virtualMs: emu.now,
    settled: first.settled,
    framesSent: all.map((n) => emu.air(n.id).framesSent),
    framesToSettle,
    bytesSent: all.map((n) => emu.air(n.id).bytesSent),
    aesBlocks: all.map((n) => n.aesBlocks() ?? 0),
    bootFailures: all.filter((n) => n.bootStatus !== 0).length,
    crashes: [],
    revocation: null,
  };
  if (options.revoke !== undefined) {
    run.revocation = revoke(emu, all, run, options.revoke, settleMs, maxMs);
  }
  run.crashes = [...emu.crashes];
  return run;
}

/** Splits the revoked IDs into one Revocation per interval (at most REVOKE_IDS_MAX IDs each). */
function chunks(plan: RevocationPlan): { nodes: number[]; keys: number[] }[] {
  const ids = [
    ...plan.captured.map((i) => ({ node: true, id: i + 1 })),
    ...plan.keys.map((id) => ({ node: false, id })),
  ];
  const out: { nodes: number[]; keys: number[] }[] = [];
  for (let at = 0; at < ids.length; at += REVOKE_IDS_MAX) {
    const part = ids.slice(at, at + REVOKE_IDS_MAX);
    out.push({
      nodes: part.filter((e) => e.node).map((e) => e.id),
      keys: part.filter((e) => !e.node).map((e) => e.id),
    });
  }
  return out;
}

function revoke(
  emu: Emulator,
  all: readonly EmulatedNode[],
  run: FirmwareRun,
  options: RevocationOptions,
  settleMs: number,
  maxMs: number,
): RevocationRun {
  const plan = options.plan(run.links);
  const station = emu.addStation({
    id: AUTHORITY_ID,
    position: options.station.position,
    range: options.station.range,
  });
  const before = run.links;
  const n = all.length;
  const present = new Set(before.map((l) => l.i * n + l.j));
  const dropped = new Map<number, FirmwareLink>();
  const markDropped = () => {
    const now = new Set(readLinks(all).map((l) => l.i * n + l.j));
    for (const link of before) {
      const key = link.i * n + link.j;
      if (present.has(key) && !now.has(key)) dropped.set(key, link);
    }
  };
  const framesBefore = all.map((node) => emu.air(node.id).framesSent);
  const aesBefore = all.map((node) => node.aesBlocks() ?? 0);

  // Interval i runs from startMs + (i - 1) intervalMs; the first used is the first to start
  // after now, so its REVOKE is sent before its key could have been disclosed.
  const { intervalMs, startMs } = options;
  const intervalStart = (i: number) => startMs + (i - 1) * intervalMs;
  const firstInterval = Math.floor((emu.now - startMs) / intervalMs) + 2;
  const parts = chunks(plan);
  let lastDiscloseMs = emu.now;
  parts.forEach((part, index) => {
    const interval = firstInterval + index;
    const chainKey = options.chainKey(interval);
    // At most REVOKE_IDS_MAX IDs: exactly one frame.
    const frame = encodeRevocation(
      { interval, revokedNodes: part.nodes, revokedKeys: part.keys },
      chainKey,
    )[0]!;
    const disclose = encodeDisclosure(interval, chainKey);
    chainKey.fill(0);
    for (let r = 0; r < REVOKE_REPEATS; r++) {
      emu.scheduler.at(intervalStart(interval) + REVOKE_AT_MS + r * REPEAT_GAP_MS, () =>
        station.send(frame),
      );
      const at = intervalStart(interval + 1) + DISCLOSE_AT_MS + r * REPEAT_GAP_MS;
      lastDiscloseMs = at;
      emu.scheduler.at(at, () => {
        station.send(disclose);
        // Scheduled after the delivery at the same time: runs right after it, before any timer.
        emu.scheduler.after(DISCLOSE_AIRTIME_MS, markDropped);
      });
    }
  });
  const firstRevokeMs = intervalStart(firstInterval) + REVOKE_AT_MS;
  // Drops happen only while a DISCLOSE is processed, and each delivery is followed by a read.
  emu.run(lastDiscloseMs + DISCLOSE_AIRTIME_MS - emu.now);
  const healed = settle(emu, all, settleMs, emu.now + maxMs, linkedEntries(all));
  const air = emu.air(AUTHORITY_ID);
  return {
    plan,
    station: options.station,
    intervals: parts.length,
    firstInterval,
    firstRevokeMs,
    lastDiscloseMs,
    stationFrames: air.framesSent,
    stationBytes: air.bytesSent,
    before,
    dropped: [...dropped.values()].sort((x, y) => x.i - y.i || x.j - y.j),
    after: readLinks(all),
    healed: healed.settled,
    healMs: Math.max(0, healed.lastChange - lastDiscloseMs),
    framesSent: all.map((node, i) => emu.air(node.id).framesSent - framesBefore[i]!),
    aesBlocks: all.map((node, i) => (node.aesBlocks() ?? 0) - aesBefore[i]!),
    imageRewrites: all.map((node) =>
      node.state === "running" ? netStatus(node, NET_STATUS.imageRewrites) : 0,
    ),
  };
}
