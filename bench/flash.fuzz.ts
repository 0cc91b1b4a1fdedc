// Fuzzing of the node's flash receiver (assembly/factory/receiver.ts) on the real firmware:
// seeded random bytes, random frames with a valid CRC, and mutations of a real session's frames
// (bit flips, truncation, extension, a changed offset or length, with and without a fixed CRC),
// delivered in random splits, with the real session interleaved now and then. Checked after every
// delivery: the node has not trapped; at the end: the committed image is byte for byte one of the
// two images the fuzzer sent in full, and its slot holds exactly those bytes.
// `npm run fuzz` runs 1,000,000 frames; test/flash-fuzz.test.ts runs 20,000.

import { buildImage, createAuthority } from "../host/authority/index.js";
import { mmoHash } from "../host/crypto/index.js";
import { EmulatedNode, Flash, Prng } from "../host/emulator/index.js";
import {
  encodeFrame,
  frameBody,
  slipEncode,
  FrameDecoder,
  type Frame,
} from "../provisioning/flash/frame.js";
import {
  CMD,
  beginRequest,
  checkRequest,
  commitRequest,
  helloRequest,
  parseHello,
  writeRequest,
} from "../provisioning/flash/protocol.js";
import type { Report } from "./harness.js";

const INBOX_LEN = 256;
const SLOT_LEN = 32_768;
/** Chance per step of replaying a whole valid session (HELLO, BEGIN, WRITEs, COMMIT). */
const VALID_SESSION_RATE = 0.01;

export interface FuzzOutcome {
  frames: number;
  crashes: number;
  answers: number;
  commits: number;
  activeIsSent: boolean;
  slotMatches: boolean;
}

function sessionFrames(image: Uint8Array, chunk: number): Frame[] {
  const digest = mmoHash(image);
  const frames: Frame[] = [
    { cmd: CMD.HELLO, seq: 0, payload: helloRequest() },
    { cmd: CMD.BEGIN, seq: 1, payload: beginRequest(image.length, digest, false) },
  ];
  for (let at = 0; at < image.length; at += chunk) {
    frames.push({
      cmd: CMD.WRITE,
      seq: frames.length & 0xff,
      payload: writeRequest(at, image.subarray(at, at + chunk)),
    });
  }
  frames.push({ cmd: CMD.COMMIT, seq: frames.length & 0xff, payload: commitRequest(digest) });
  frames.push({
    cmd: CMD.CHECK,
    seq: frames.length & 0xff,
    payload: checkRequest(new Uint8Array(16), [0, 1]),
  });
  return frames;
}

function randomBytes(prng: Prng, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = prng.int(256);
  return out;
}

function mutate(prng: Prng, frame: Frame): Uint8Array {
  const payload = frame.payload.slice();
  let cmd = frame.cmd;
  let body: Uint8Array;
  switch (prng.int(6)) {
    case 0: // bit flips in the payload, CRC fixed
      for (let i = 0, n = 1 + prng.int(4); i < n && payload.length > 0; i++) {
        payload[prng.int(payload.length)]! ^= 1 << prng.int(8);
      }
      return encodeFrame({ cmd, seq: prng.int(256), payload });
    case 1: // truncated payload, CRC fixed
      return encodeFrame({
        cmd,
        seq: prng.int(256),
        payload: payload.subarray(0, prng.int(payload.length + 1)),
      });
    case 2: // extended payload, CRC fixed
      return encodeFrame({
        cmd,
        seq: 0,
        payload: Uint8Array.from([...payload, ...randomBytes(prng, 1 + prng.int(64))]),
      });
    case 3: // another command on the same payload
      cmd = prng.int(8);
      return encodeFrame({ cmd, seq: 0, payload });
    case 4: // offset or length field moved
      if (payload.length >= 4) {
        new DataView(payload.buffer).setUint32(
          0,
          prng.int(2) ? prng.nextU32() : prng.int(SLOT_LEN + 2048),
          true,
        );
      }
      return encodeFrame({ cmd, seq: 0, payload });
    default: // a byte flipped after the CRC: the node must drop it
      body = frameBody({ cmd, seq: 0, payload });
      body[prng.int(body.length)]! ^= 1 << prng.int(8);
      return slipEncode(body);
  }
}

function nextInput(prng: Prng, valid: Frame[]): Uint8Array {
  switch (prng.int(4)) {
    case 0:
      return randomBytes(prng, prng.int(300));
    case 1:
      return encodeFrame({
        cmd: prng.int(2) ? prng.int(8) : prng.int(256),
        seq: prng.int(256),
        payload: randomBytes(prng, prng.int(1100)),
      });
    default:
      return mutate(prng, valid[prng.int(valid.length)]!);
  }
}

/** Runs `count` fuzz inputs against one node; see the module header for what is checked. */
export function fuzzReceiver(count: number, seed: string): FuzzOutcome {
  const prng = new Prng(seed, "flash-fuzz");
  const a = createAuthority({ scheme: "eg", pool: 1000, ring: 60, insecureSeed: `${seed}/a` });
  const images = [buildImage(a, 5), buildImage(a, 6)];
  const sessions = images.map((image) => sessionFrames(image, 512));
  const digests = images.map((image) => Buffer.from(mmoHash(image)).toString("hex"));
  let answers = 0;
  let commits = 0;
  let crashes = 0;
  const decoder = new FrameDecoder((frame) => {
    answers++;
    if (frame.cmd === (CMD.COMMIT | 0x80) && frame.payload[0] === 0) commits++;
  }, 256);
  const flash = new Flash();
  const node = new EmulatedNode({ flash, uart: (bytes) => decoder.push(bytes) });
  node.boot();
  const deliver = (bytes: Uint8Array): void => {
    for (let at = 0; at < bytes.length;) {
      const n = Math.min(bytes.length - at, 1 + prng.int(INBOX_LEN));
      node.deliverUart(bytes.subarray(at, at + n));
      at += n;
      if (node.state !== "running") {
        crashes++;
        node.boot();
      }
    }
  };
  for (let i = 0; i < count; i++) {
    if (prng.next() < VALID_SESSION_RATE) {
      for (const frame of sessions[prng.int(2)]!) deliver(encodeFrame(frame));
    }
    deliver(nextInput(prng, sessions[prng.int(2)]!));
    // A power cycle now and then, so boot-time record selection is fuzzed too.
    if (prng.int(2000) === 0) node.reboot();
  }

  // Where does the node stand after a reboot? Its HELLO names the committed digest.
  node.reboot();
  let hello: ReturnType<typeof parseHello> | undefined;
  const check = new FrameDecoder((frame) => {
    if (frame.cmd === (CMD.HELLO | 0x80)) hello = parseHello(frame);
  }, 256);
  const probe = new EmulatedNode({ flash, uart: (bytes) => check.push(bytes) });
  probe.boot();
  probe.deliverUart(encodeFrame({ cmd: CMD.HELLO, seq: 9, payload: helloRequest() }));
  const active = hello ? Buffer.from(hello.activeDigest).toString("hex") : "";
  const index = digests.indexOf(active);
  let slotMatches = false;
  if (index >= 0) {
    const bytes = flash.snapshot();
    const image = images[index]!;
    slotMatches = [0, SLOT_LEN].some((base) =>
      Buffer.from(bytes.subarray(base, base + image.length)).equals(Buffer.from(image)),
    );
  }
  return {
    frames: count,
    crashes,
    answers,
    commits,
    activeIsSent: index >= 0 || active === "00".repeat(16),
    slotMatches: index < 0 ? active === "00".repeat(16) : slotMatches,
  };
}

export default async function (report: Report): Promise<void> {
  const count = 1_000_000;
  const started = performance.now();
  const outcome = fuzzReceiver(count, "bench");
  report({
    bench: "flash receiver fuzz",
    ...outcome,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  });
}
