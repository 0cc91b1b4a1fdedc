// Fuzzing of the node's radio handlers (assembly/net) on the real firmware: for each handler
// (HELLO, LINK_INIT, LINK_RESP, LINK_CONFIRM, DATA, PATH_KEY, REVOKE, DISCLOSE, unknown types)
// seeded random frames and mutations of valid ones (bit flips, truncation, extension, a byte or a
// count field changed), delivered to a target node linked to a real peer. Valid frames are mixed
// in, and the clock advances, so the handlers run from every handshake state, not only from idle.
// Checked: no input traps; every status is a firmware code; the neighbour table stays consistent;
// no frame the target sends carries a key byte string it must not (ring keys, node key, pair
// keys, K_IN, undisclosed μTESLA keys). test/protocol-fuzz.test.ts runs 20,000 inputs per
// handler, bench/protocol.fuzz.ts 1,000,000 in all.

import { createAuthority, buildImage, intersect, type Authority } from "../authority/index.js";
import { Prng, STATUS_CRASHED } from "../emulator/index.js";
import {
  BROADCAST_ID,
  DISCLOSE_LEN,
  FRAME_MAX,
  TYPE_DATA,
  TYPE_DISCLOSE,
  TYPE_HELLO,
  TYPE_LINK_CONFIRM,
  TYPE_LINK_INIT,
  TYPE_LINK_RESP,
  TYPE_PATH_KEY,
  TYPE_REVOKE,
  decodeLinkInit,
  decodeLinkResp,
  encodeDisclosure,
  encodeHello,
  encodePathKeyPayload,
  encodeRevocation,
  linkKeys,
  sealFrame,
  SELECT_MAX,
} from "./index.js";
import {
  exchange,
  netPeers,
  netStatus,
  twoNodes,
  NET_STATUS,
  PEER_FLAG,
  PEER_STATE,
  type Side,
} from "./testing.js";

/** Highest status a firmware export may answer (assembly/status.ts: 0-95). */
const STATUS_MAX = 95;
const NEIGHBOURS_MAX = 32;
const STATE_MAX = PEER_STATE.idle;
const FLAGS_KNOWN = 0x7f;
/** Table invariants are checked every this many inputs (32 export calls each). */
const CHECK_EVERY = 64;
/** Statuses of a DISCLOSE refused before its key was accepted (assembly/status.ts). */
const DISCLOSE_REFUSED = [4, 35, 36, 45, 46];
/** One valid frame of the handler's type after every this many fuzzed inputs. */
const VALID_EVERY = 4;
/** The peer and the target re-run discovery and the handshake every this many inputs. */
const RELINK_EVERY = 2_000;

export const HANDLERS = [
  "hello",
  "linkInit",
  "linkResp",
  "linkConfirm",
  "data",
  "pathKey",
  "revoke",
  "disclose",
  "unknown",
] as const;
export type Handler = (typeof HANDLERS)[number];

export interface HandlerOutcome {
  handler: Handler;
  /** Random and mutated inputs (the valid frames mixed in are not counted). */
  inputs: number;
  /** Valid frames delivered between them, and how many of those the firmware accepted. */
  valid: number;
  validAccepted: number;
  /** Inputs the firmware accepted (status 0). */
  accepted: number;
  crashes: number;
  /** Statuses outside 0..STATUS_MAX. */
  badStatuses: number;
  /** Neighbour-table invariant failures, described (first ones only). */
  tableErrors: string[];
  /** Frames sent by the target that contain a secret key. */
  leaks: number;
  framesSent: number;
}

const TARGET = 5;

/** A target node and its real peer, linked, with what the oracle knows of their keys. */
class Bench {
  readonly authority: Authority;
  readonly peerId: number;
  readonly sides: [Side, Side];
  readonly secrets: Uint8Array[];
  linkKey: Uint8Array = new Uint8Array(16);
  seq = 1;
  nextInterval = 1;
  private scanned = 0;
  private readonly chain = new Map<number, Uint8Array>();
  leaks = 0;
  framesSent = 0;

  constructor(seed: string) {
    this.authority = createAuthority({ scheme: "eg", pool: 30, ring: 8, insecureSeed: seed });
    let peer = 1;
    while (intersect(this.authority.keyIdsOf(peer), this.authority.keyIdsOf(TARGET)).length < 2) {
      peer++;
    }
    this.peerId = peer;
    const images: [Uint8Array, Uint8Array] = [
      buildImage(this.authority, peer),
      buildImage(this.authority, TARGET),
    ];
    this.sides = twoNodes(images, [peer, TARGET], seed);
    // Keys no frame of the target may carry: its ring keys, its node key, every other pool key.
    this.secrets = [this.authority.nodeKey(TARGET)];
    for (let id = 0; id < 30; id++) this.secrets.push(this.authority.poolKey(id));
    this.relink();
  }

  get target() {
    return this.sides[1].node;
  }

  /** Runs discovery and the handshake with the peer; learns the link key from the oracle. */
  relink(): void {
    const [peer, target] = this.sides;
    this.scan();
    peer.medium.frames.length = 0;
    peer.taken = 0;
    target.medium.frames.length = 0;
    target.taken = 0;
    this.scanned = 0;
    peer.node.reboot();
    if (!exchange(this.sides, 40, 20)) return;
    const init = [...peer.medium.frames, ...target.medium.frames]
      .filter((f) => f.frame[0] === TYPE_LINK_INIT)
      .at(-1);
    const resp = [...peer.medium.frames, ...target.medium.frames]
      .filter((f) => f.frame[0] === TYPE_LINK_RESP)
      .at(-1);
    if (init === undefined || resp === undefined) return;
    const li = decodeLinkInit(init.frame);
    const lr = decodeLinkResp(resp.frame);
    const used = li.selector[0];
    const material = this.authority.poolKey(used);
    this.linkKey = linkKeys(material, li.src, li.dst, li.nonce, lr.nonce).linkKey;
    this.seq = 1;
  }

  /** Checks every frame the target sent since the last scan for secret keys. */
  scan(): void {
    const frames = this.sides[1].medium.frames;
    for (; this.scanned < frames.length; this.scanned++) {
      const sent = Buffer.from(frames[this.scanned].frame);
      this.framesSent++;
      if (this.secrets.some((key) => sent.indexOf(Buffer.from(key)) >= 0)) this.leaks++;
    }
    if (frames.length > 4_096) {
      // Keep memory flat over a million inputs: what was scanned is not needed again.
      frames.splice(0, frames.length);
      this.sides[1].taken = 0;
      this.scanned = 0;
    }
  }

  /** μTESLA K_i, cached (the authority walks up to 64 steps per call). */
  chainKey(i: number): Uint8Array {
    let key = this.chain.get(i);
    if (key === undefined) {
      key = this.authority.chainKey(i);
      this.chain.set(i, key);
    }
    return key;
  }

  /** A valid frame for the handler, as the peer or the authority would send it. */
  valid(handler: Handler, rng: Prng): Uint8Array {
    const peer = this.peerId;
    const a = this.authority;
    const nonce = Uint8Array.from(bytes(rng, 8));
    switch (handler) {
      case "hello":
        return encodeHello(peer, rng.int(2) ? TARGET : BROADCAST_ID, nonce, 2, a.keyIdsOf(peer))[0];
      case "linkInit": {
        const sel = intersect(a.keyIdsOf(peer), a.keyIdsOf(TARGET)).slice(0, 1);
        return frame(TYPE_LINK_INIT, peer, TARGET, [...nonce, 0, sel.length, ...u32s(sel)]);
      }
      case "linkResp":
        return frame(TYPE_LINK_RESP, peer, TARGET, [...nonce, ...bytes(rng, 8)]);
      case "linkConfirm":
        return frame(TYPE_LINK_CONFIRM, peer, TARGET, [...bytes(rng, 8)]);
      case "data":
        return sealFrame(
          this.linkKey,
          TYPE_DATA,
          peer,
          TARGET,
          this.seq++,
          Uint8Array.from(bytes(rng, rng.int(40))),
        );
      case "pathKey": {
        const payload = encodePathKeyPayload({
          pathId: rng.nextU32(),
          origin: peer,
          target: rng.int(2) ? TARGET : 1 + rng.int(20),
          hopsLeft: rng.int(3),
          pathKey: Uint8Array.from(bytes(rng, 16)),
        });
        return sealFrame(this.linkKey, TYPE_PATH_KEY, peer, TARGET, this.seq++, payload);
      }
      case "revoke": {
        const interval = Math.min(this.nextInterval, a.anchor.chainLength);
        // IDs outside the pool: applying them must not empty the target's ring.
        const ids = Array.from({ length: rng.int(6) }, () => 1000 + rng.int(100_000));
        return encodeRevocation(
          { interval, revokedNodes: [], revokedKeys: ids },
          this.chainKey(interval),
        )[0];
      }
      case "disclose": {
        const interval = Math.min(this.nextInterval, a.anchor.chainLength);
        return encodeDisclosure(interval, this.chainKey(interval));
      }
      case "unknown":
        return frame(0x05 + rng.int(0xfa), peer, TARGET, [...bytes(rng, rng.int(30))]);
    }
  }
}

function bytes(rng: Prng, n: number): number[] {
  return Array.from({ length: n }, () => rng.int(256));
}

function u32s(values: number[]): number[] {
  return values.flatMap((v) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

function frame(type: number, src: number, dst: number, body: number[]): Uint8Array {
  return Uint8Array.from([type, ...u32s([src, dst]), ...body]);
}

const TYPE_OF: Record<Handler, number> = {
  hello: TYPE_HELLO,
  linkInit: TYPE_LINK_INIT,
  linkResp: TYPE_LINK_RESP,
  linkConfirm: TYPE_LINK_CONFIRM,
  data: TYPE_DATA,
  pathKey: TYPE_PATH_KEY,
  revoke: TYPE_REVOKE,
  disclose: TYPE_DISCLOSE,
  unknown: 0x7f,
};

/** Random bytes with the handler's type and a plausible header. */
function randomFrame(handler: Handler, rng: Prng, peer: number): Uint8Array {
  const len = 1 + rng.int(FRAME_MAX);
  const out = Uint8Array.from(bytes(rng, len));
  out[0] = TYPE_OF[handler];
  if (len >= 9) {
    const srcs = [peer, 0, TARGET, BROADCAST_ID, rng.nextU32()];
    const dsts = [TARGET, BROADCAST_ID, rng.nextU32()];
    const src = handler === "revoke" || handler === "disclose" ? 0 : srcs[rng.int(srcs.length)];
    out.set(u32s([src, dsts[rng.int(dsts.length)]]), 1);
  }
  return out;
}

/** One to three mutations of a valid frame. */
function mutate(input: Uint8Array, rng: Prng): Uint8Array {
  let out = input.slice();
  for (let n = 1 + rng.int(3); n > 0; n--) {
    switch (rng.int(6)) {
      case 0: {
        const bit = rng.int(out.length * 8);
        out[bit >> 3] ^= 1 << (bit & 7);
        break;
      }
      case 1:
        out = out.slice(0, 1 + rng.int(out.length));
        break;
      case 2: {
        const grown = new Uint8Array(Math.min(FRAME_MAX, out.length + 1 + rng.int(16)));
        grown.set(out.subarray(0, grown.length));
        grown.set(bytes(rng, grown.length - out.length), Math.min(out.length, grown.length));
        out = grown;
        break;
      }
      case 3:
        out[rng.int(out.length)] = rng.int(256);
        break;
      case 4:
        // Count fields: HELLO part, LINK_INIT count, REVOKE node and key counts.
        for (const at of [13, 14, 18]) if (at < out.length && rng.int(2)) out[at] = rng.int(256);
        break;
      default:
        out[rng.int(out.length)] = [0, 0xff, SELECT_MAX, SELECT_MAX + 1][rng.int(4)];
    }
  }
  return out;
}

/** Checks the neighbour table through net_peer and net_status; returns what is wrong. */
export function tableErrors(node: Side["node"]): string[] {
  const errors: string[] = [];
  const peers = netPeers(node);
  const ids = new Set<number>();
  for (const p of peers) {
    const at = `entry ${p.id}`;
    if (p.id === 0 || p.id === BROADCAST_ID || p.id === node.id) errors.push(`${at}: bad ID`);
    if (ids.has(p.id)) errors.push(`${at}: duplicate`);
    ids.add(p.id);
    if (p.state < 1 || p.state > STATE_MAX) errors.push(`${at}: state ${p.state}`);
    if ((p.flags & ~FLAGS_KNOWN) !== 0) errors.push(`${at}: flags ${p.flags}`);
    if (p.mode > 1) errors.push(`${at}: mode ${p.mode}`);
    if (p.selectorCount > SELECT_MAX) errors.push(`${at}: selector count ${p.selectorCount}`);
    const linked = (p.flags & PEER_FLAG.linked) !== 0;
    if (p.state === PEER_STATE.idle && !linked) errors.push(`${at}: idle but not linked`);
    if (linked && (p.state === PEER_STATE.heard || p.state === PEER_STATE.noKey)) {
      errors.push(`${at}: linked in state ${p.state}`);
    }
  }
  if (peers.length > NEIGHBOURS_MAX) errors.push(`${peers.length} entries`);
  if (netStatus(node, NET_STATUS.neighbours) !== peers.length) errors.push("neighbour count");
  const linked = peers.filter((p) => (p.flags & PEER_FLAG.linked) !== 0).length;
  if (netStatus(node, NET_STATUS.linked) !== linked) errors.push("linked count");
  return errors;
}

/** Feeds `perHandler` random and mutated inputs to each handler; one outcome per handler. */
export function fuzzProtocol(
  perHandler: number,
  seed = "protocol-fuzz",
  handlers: readonly Handler[] = HANDLERS,
): HandlerOutcome[] {
  const bench = new Bench(seed);
  const rng = new Prng(seed, "protocol-fuzz");
  const target = bench.target;
  return handlers.map((handler) => {
    const outcome: HandlerOutcome = {
      handler,
      inputs: 0,
      valid: 0,
      validAccepted: 0,
      accepted: 0,
      crashes: 0,
      badStatuses: 0,
      tableErrors: [],
      leaks: 0,
      framesSent: 0,
    };
    const leaksBefore = bench.leaks;
    const sentBefore = bench.framesSent;
    const deliver = (input: Uint8Array): number => {
      const status = target.deliverRadio(input);
      // A DISCLOSE past the chain check moves the chain on, even when a buffered REVOKE then
      // fails its tag (a mutation may also leave a valid one unchanged).
      if (
        input[0] === TYPE_DISCLOSE &&
        input.length === DISCLOSE_LEN &&
        !DISCLOSE_REFUSED.includes(status)
      ) {
        bench.nextInterval = new DataView(input.buffer, input.byteOffset).getUint32(9) + 1;
      }
      if (status === STATUS_CRASHED) {
        outcome.crashes++;
        target.reboot();
      } else if (status < 0 || status > STATUS_MAX) {
        outcome.badStatuses++;
      }
      return status;
    };
    for (let i = 0; i < perHandler; i++) {
      if (i % RELINK_EVERY === 0) bench.relink();
      if (i % VALID_EVERY === 0) {
        const status = deliver(bench.valid(handler, rng));
        outcome.valid++;
        if (status === 0) outcome.validAccepted++;
        // Disclose what was just buffered, so the REVOKE slots drain and revocations apply.
        if (handler === "revoke") deliver(bench.valid("disclose", rng));
      }
      const input =
        rng.int(2) === 0
          ? randomFrame(handler, rng, bench.peerId)
          : mutate(bench.valid(handler, rng), rng);
      if (deliver(input) === 0) outcome.accepted++;
      outcome.inputs++;
      if (i % 16 === 0) target.advance(rng.int(600));
      if (i % CHECK_EVERY === 0) {
        bench.scan();
        if (outcome.tableErrors.length < 8) outcome.tableErrors.push(...tableErrors(target));
      }
    }
    bench.scan();
    outcome.tableErrors.push(...tableErrors(target));
    outcome.leaks = bench.leaks - leaksBefore;
    outcome.framesSent = bench.framesSent - sentBefore;
    return outcome;
  });
}
