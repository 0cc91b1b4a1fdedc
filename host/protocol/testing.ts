// Test and bench support for the node protocols on the emulator: lays a provisioning image into
// an emulated node's flash as slot 0 with a commit record (layout of assembly/storage/slots.ts),
// and calls the net_* exports of docs/protocol.md. Host side only; nothing here reaches a node
// except through its flash and its exports.

import { crc32, mmoHash } from "../crypto/index.js";
import { EmulatedNode, RecordingMedium } from "../emulator/index.js";

/** Slot 0 starts at flash address 0; commit records follow the two 32 KiB slots. */
const SLOT_BYTES = 32_768;
const RECORD_MAGIC = 0x31524350;
const RECORD_LEN = 48;
const RECORD_CHECKED = 32;
const KIND_COMMIT = 1;

export const NET_STATUS = {
  ring: 0,
  nodeId: 1,
  neighbours: 2,
  linked: 3,
  aesBlocks: 4,
  framesSent: 5,
  bytesSent: 6,
  framesDropped: 7,
  ramBytes: 8,
  lastError: 9,
  ringKeys: 10,
  deliveryLost: 11,
  revocations: 12,
  imageRewrites: 13,
  entryLen: 14,
} as const;

/** Writes `image` into slot 0 of a fresh (erased) flash with a commit record naming it. */
export function provision(node: EmulatedNode, image: Uint8Array, pageSize = 1024): void {
  if (node.flash.write(0, image) !== 0) throw new Error(`node ${node.id}: image write failed`);
  const record = new Uint8Array(RECORD_LEN).fill(0xff);
  const view = new DataView(record.buffer);
  view.setUint32(0, RECORD_MAGIC, true);
  view.setUint32(4, 1, true);
  record[8] = 0;
  record[9] = KIND_COMMIT;
  view.setUint16(10, 0, true);
  view.setUint32(12, image.length, true);
  record.set(mmoHash(image), 16);
  view.setUint32(RECORD_CHECKED, crc32(record.subarray(0, RECORD_CHECKED)), true);
  const slotPages = Math.ceil(SLOT_BYTES / pageSize);
  if (node.flash.write(2 * slotPages * pageSize, record) !== 0) {
    throw new Error(`node ${node.id}: commit record write failed`);
  }
}

type Raw = { memory?: WebAssembly.Memory; inboxAddr: number; exports?: Record<string, unknown> };

function raw(node: EmulatedNode): Raw {
  return node as unknown as Raw;
}

function call(node: EmulatedNode, name: string, ...args: number[]): number {
  // The emulator types callExport for the event exports only; the net_* exports are called the
  // same way (docs/protocol.md lists them).
  return node.callExport(name as "boot", ...args);
}

export function netStatus(node: EmulatedNode, what: number): number {
  return call(node, "net_status", what);
}

/** net_send through the inbox: returns the firmware's status. */
export function netSend(node: EmulatedNode, dest: number, payload: Uint8Array): number {
  const r = raw(node);
  if (r.memory === undefined) throw new Error(`node ${node.id}: not booted`);
  new Uint8Array(r.memory.buffer).set(payload, r.inboxAddr);
  return call(node, "net_send", dest, r.inboxAddr, payload.length);
}

/** net_recv into the inbox: the delivered { src, payload }, or undefined when none waits. */
export function netRecv(node: EmulatedNode): { src: number; payload: Uint8Array } | undefined {
  const r = raw(node);
  if (r.memory === undefined) throw new Error(`node ${node.id}: not booted`);
  const n = call(node, "net_recv", r.inboxAddr, 256);
  if (n <= 0) return undefined;
  const bytes = new Uint8Array(r.memory.buffer).slice(r.inboxAddr, r.inboxAddr + n);
  const src = new DataView(bytes.buffer).getUint32(0, false);
  return { src, payload: bytes.subarray(4) };
}

export interface PeerInfo {
  id: number;
  state: number;
  flags: number;
  mode: number;
  selectorCount: number;
}

export const PEER_STATE = { heard: 1, noKey: 2, waitResp: 3, waitConfirm: 4, idle: 5 } as const;
export const PEER_FLAG = {
  linked: 1,
  helloDone: 2,
  pathKey: 4,
  revoked: 16,
  selectorFull: 32,
  rekey: 64,
} as const;

/** Every used neighbour entry of a node (net_peer), without a key byte. */
export function netPeers(node: EmulatedNode): PeerInfo[] {
  const r = raw(node);
  const out: PeerInfo[] = [];
  for (let i = 0; i < 32; i++) {
    const n = call(node, "net_peer", i, r.inboxAddr);
    if (n <= 0) continue;
    const b = new Uint8Array(r.memory!.buffer).slice(r.inboxAddr, r.inboxAddr + 8);
    out.push({
      id: new DataView(b.buffer).getUint32(0, false),
      state: b[4],
      flags: b[5],
      mode: b[6],
      selectorCount: b[7],
    });
  }
  return out;
}

/** IDs of the neighbours a node holds a link with. */
export function linkedPeers(node: EmulatedNode): number[] {
  return netPeers(node)
    .filter((p) => (p.flags & PEER_FLAG.linked) !== 0)
    .map((p) => p.id)
    .sort((a, b) => a - b);
}

/** One side of a two-node run: the node, what it sent, in order. */
export interface Side {
  node: EmulatedNode;
  medium: RecordingMedium;
  /** Frames of this side already delivered to the other. */
  taken: number;
}

/**
 * Two nodes, provisioned and booted (read the boot status with netStatus), whose radios are
 * wired to each other by hand through `exchange`. No shared scheduler, so the bench can time
 * handshakes without an Emulator.
 */
export function twoNodes(
  images: [Uint8Array, Uint8Array],
  ids: [number, number],
  seed: string,
): [Side, Side] {
  const sides = ids.map((id, i) => {
    const medium = new RecordingMedium(() => 0);
    const node = new EmulatedNode({ id, seed: `${seed}/${id}`, medium });
    provision(node, images[i]);
    node.boot();
    return { node, medium, taken: 0 };
  });
  return [sides[0], sides[1]];
}

/**
 * Delivers frames both ways for up to `rounds` rounds of `stepMs`; true when both are linked and
 * nothing sent is left undelivered (a LINK_CONFIRM in flight would leave the ends on two keys).
 */
export function exchange(sides: [Side, Side], rounds = 20, stepMs = 10): boolean {
  for (let round = 0; round < rounds; round++) {
    for (const [from, to] of [
      [sides[0], sides[1]],
      [sides[1], sides[0]],
    ]) {
      from.node.advance(stepMs);
      while (from.taken < from.medium.frames.length) {
        to.node.deliverRadio(from.medium.frames[from.taken++].frame);
      }
    }
    const settled = sides.every((s) => s.taken === s.medium.frames.length);
    if (settled && sides.every((s) => linkedPeers(s.node).length > 0)) return true;
  }
  return false;
}
