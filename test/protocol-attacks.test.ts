// The handshake and secure frames against the host oracle, and the attacks of docs/protocol.md:
// two real node.wasm instances with frames relayed by hand, so every frame can be read, replayed,
// reflected, flipped or cut. Expected keys and tags come from host/authority (pair keys) and
// host/protocol linkKeys (the key schedule), never from the firmware.

import { describe, expect, it } from "vitest";
import { EmulatedNode, RecordingMedium } from "../host/emulator/index.js";
import { createAuthority, buildImage } from "../host/authority/index.js";
import {
  provision,
  netSend,
  netRecv,
  linkedPeers,
  netStatus,
  NET_STATUS,
} from "../host/protocol/testing.js";
import {
  decodeLinkInit,
  decodeLinkResp,
  decodeLinkConfirm,
  linkKeys,
  openFrame,
  sealFrame,
  TYPE_DATA,
  TYPE_LINK_INIT,
  TYPE_LINK_RESP,
  TYPE_LINK_CONFIRM,
} from "../host/protocol/index.js";

const ERR_NET_MALFORMED = 35;
const ERR_NET_STATE = 38;
const ERR_NET_TAG = 41;
const ERR_NET_REPLAY = 42;

function pair(seed = "attack") {
  const authority = createAuthority({ scheme: "eg", pool: 20, ring: 10, insecureSeed: seed });
  const make = (id: number) => {
    const medium = new RecordingMedium(() => 0);
    const node = new EmulatedNode({ id, seed, medium });
    provision(node, buildImage(authority, id));
    expect(node.boot()).toBe(0);
    return { node, medium, taken: 0 };
  };
  const a = make(3);
  const b = make(5);
  const log: Uint8Array[] = [];
  /** Moves new frames between the two nodes until both are quiet. */
  const pump = (filter: (f: Uint8Array) => Uint8Array | undefined = (f) => f) => {
    for (let round = 0; round < 50; round++) {
      let moved = false;
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        from.node.advance(10);
        while (from.taken < from.medium.frames.length) {
          const frame = from.medium.frames[from.taken++].frame;
          log.push(frame);
          const out = filter(frame);
          if (out !== undefined) to.node.deliverRadio(out);
          moved = true;
        }
      }
      if (!moved) break;
    }
  };
  return { authority, a: a.node, b: b.node, pump, log };
}

function ofType(log: Uint8Array[], type: number): Uint8Array {
  const frame = log.find((f) => f[0] === type);
  if (frame === undefined) throw new Error(`no frame of type ${type}`);
  return frame;
}

describe("eg handshake against the oracle", () => {
  it("tags and link key are the ones docs/protocol.md defines", () => {
    const { authority, a, b, pump, log } = pair();
    pump();
    expect(linkedPeers(a)).toEqual([5]);
    const init = decodeLinkInit(ofType(log, TYPE_LINK_INIT));
    const resp = decodeLinkResp(ofType(log, TYPE_LINK_RESP));
    const confirm = decodeLinkConfirm(ofType(log, TYPE_LINK_CONFIRM));
    const material = authority.pairKey(3, 5)!;
    const keys = linkKeys(material, 3, 5, init.nonce, resp.nonce);
    expect(init.selector).toHaveLength(1);
    expect(resp.tag).toEqual(keys.tagR);
    expect(confirm.tag).toEqual(keys.tagI);
    // Data sealed by the firmware opens under the oracle's link key, both directions.
    expect(netSend(a, 5, Uint8Array.of(1, 2, 3))).toBe(0);
    expect(netSend(b, 3, Uint8Array.of(4))).toBe(0);
    pump();
    const data = log.filter((f) => f[0] === TYPE_DATA);
    expect(openFrame(keys.linkKey, data[0]).payload).toEqual(Uint8Array.of(1, 2, 3));
    expect(openFrame(keys.linkKey, data[1]).payload).toEqual(Uint8Array.of(4));
    // And a frame the oracle seals is delivered.
    expect(b.deliverRadio(sealFrame(keys.linkKey, TYPE_DATA, 3, 5, 9, Uint8Array.of(7)))).toBe(0);
    expect(netRecv(b)?.payload).toEqual(Uint8Array.of(1, 2, 3)); // the earlier frame first
    expect(netRecv(b)?.payload).toEqual(Uint8Array.of(7));
    // No frame carries a key byte: neither the pair key nor the link key appears on air.
    const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
    for (const f of log) {
      expect(hex(f).includes(hex(material))).toBe(false);
      expect(hex(f).includes(hex(keys.linkKey))).toBe(false);
    }
  });
});

describe("attacks", () => {
  it("a replayed DATA frame is rejected", () => {
    const { a, b, pump, log } = pair();
    pump();
    netSend(a, 5, Uint8Array.of(1));
    pump();
    const data = log.filter((f) => f[0] === TYPE_DATA)[0];
    expect(b.deliverRadio(data)).toBe(ERR_NET_REPLAY);
  });

  it("a reflected LINK_RESP (sent back as the initiator's confirm) fails", () => {
    const { a, b, pump, log } = pair();
    // Drop LINK_CONFIRM so the responder waits; then reflect the tag of LINK_RESP at it.
    pump((f) => (f[0] === TYPE_LINK_CONFIRM ? undefined : f));
    const resp = decodeLinkResp(ofType(log, TYPE_LINK_RESP));
    const forged = ofType(log, TYPE_LINK_CONFIRM).slice();
    forged.set(resp.tag, 9);
    expect(b.deliverRadio(forged)).toBe(ERR_NET_TAG);
    expect(linkedPeers(b)).toEqual([]);
    void a;
  });

  it("a replayed LINK_RESP and LINK_CONFIRM are rejected after the link is up", () => {
    const { a, b, pump, log } = pair();
    pump();
    expect(a.deliverRadio(ofType(log, TYPE_LINK_RESP))).toBe(ERR_NET_STATE);
    expect(b.deliverRadio(ofType(log, TYPE_LINK_CONFIRM))).toBe(ERR_NET_STATE);
  });

  it("a flipped bit anywhere in a handshake message or DATA frame is rejected", () => {
    for (const type of [TYPE_LINK_RESP, TYPE_LINK_CONFIRM]) {
      const tail = type === TYPE_LINK_RESP ? 17 : 9; // tag bytes: flips there must fail the tag
      for (let bit = tail * 8; bit < (tail + 8) * 8; bit += 5) {
        const { a, b, pump } = pair();
        pump((f) => {
          if (f[0] !== type) return f;
          const g = f.slice();
          g[bit >> 3] ^= 1 << (bit & 7);
          return g;
        });
        expect(linkedPeers(type === TYPE_LINK_RESP ? a : b)).toEqual([]);
      }
    }
    const { a, b, pump, log } = pair();
    pump();
    netSend(a, 5, Uint8Array.of(9, 9, 9));
    a.advance(1);
    const data = (a as unknown as { medium: RecordingMedium }).medium.frames.at(-1)!.frame;
    void log;
    for (let bit = 0; bit < data.length * 8; bit++) {
      const g = data.slice();
      g[bit >> 3] ^= 1 << (bit & 7);
      expect(b.deliverRadio(g)).not.toBe(0);
    }
    expect(b.deliverRadio(data)).toBe(0);
  });

  it("truncated and oversized frames are refused without a trap", () => {
    const { a, b, pump, log } = pair();
    pump();
    for (const frame of log) {
      for (let len = 0; len < frame.length; len++) {
        const status = b.deliverRadio(frame.subarray(0, len));
        expect(status).toBeGreaterThan(0);
      }
    }
    const big = new Uint8Array(127).fill(0x10);
    expect(a.deliverRadio(big)).toBeGreaterThan(0);
    expect(b.crash).toBeUndefined();
    expect(a.crash).toBeUndefined();
    void ERR_NET_MALFORMED;
  });

  it("a node with a foreign ring (another authority) does not link", () => {
    const ours = createAuthority({ scheme: "eg", pool: 20, ring: 10, insecureSeed: "ours" });
    const theirs = createAuthority({ scheme: "eg", pool: 20, ring: 10, insecureSeed: "theirs" });
    const ma = new RecordingMedium(() => 0);
    const mb = new RecordingMedium(() => 0);
    const a = new EmulatedNode({ id: 3, seed: "f", medium: ma });
    const b = new EmulatedNode({ id: 5, seed: "f", medium: mb });
    provision(a, buildImage(ours, 3));
    provision(b, buildImage(theirs, 5));
    a.boot();
    b.boot();
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < 20; i++) {
      a.advance(10);
      b.advance(10);
      while (ia < ma.frames.length) b.deliverRadio(ma.frames[ia++].frame);
      while (ib < mb.frames.length) a.deliverRadio(mb.frames[ib++].frame);
    }
    expect(linkedPeers(a)).toEqual([]);
    expect(linkedPeers(b)).toEqual([]);
  });

  it("an unprovisioned node answers every frame with ERR_UNPROVISIONED", () => {
    const node = new EmulatedNode({ id: 1, seed: "u" });
    node.boot();
    expect(netStatus(node, NET_STATUS.ring)).toBe(4);
    expect(node.deliverRadio(new Uint8Array(30))).toBe(4);
  });
});
