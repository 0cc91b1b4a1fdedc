// The flash session against the real firmware in-process (VirtualNode over memoryLink): a full
// flash with the end-of-line check, idempotent re-flash, resume of an interrupted transfer, a
// refused tampered image, and the node's answers to out-of-state and malformed frames.

import { describe, expect, it } from "vitest";
import { createAuthority, buildImage } from "../host/authority/index.js";
import { mmoHash } from "../host/crypto/index.js";
import { VirtualNode, memoryLink } from "../provisioning/serial/virtual.js";
import {
  DEFAULT_TIMING,
  FlashError,
  Session,
  flashImage,
  hello,
} from "../provisioning/flash/session.js";
import {
  CMD,
  beginRequest,
  helloRequest,
  parseHello,
  parseWrite,
  writeRequest,
} from "../provisioning/flash/protocol.js";
import { FrameDecoder, encodeFrame, type Frame } from "../provisioning/flash/frame.js";
import { STATUS_TEXT } from "../host/status.js";
import { readFileSync } from "node:fs";
import { EmulatedNode } from "../host/emulator/index.js";

const FAST = {
  ...DEFAULT_TIMING,
  baud: 4_000_000,
  baseMs: 40,
  eraseMsPerPage: 0,
  programMsPerKiB: 0,
  hashMsPerKiB: 0,
};

function egImage(nodeId: number, seed = "flash-session"): Uint8Array {
  const authority = createAuthority({ scheme: "eg", pool: 10_000, ring: 250, insecureSeed: seed });
  return buildImage(authority, nodeId);
}

function session(virtual: VirtualNode, timing = FAST): Session {
  return new Session(memoryLink(virtual), timing);
}

describe("flash session on the real firmware", () => {
  it("flashes a 250-key EG image, commits it and passes the end-of-line check", async () => {
    const image = egImage(7);
    // 164 + 20 * 250 bytes (docs/image-format.md, "Size").
    expect(image.length).toBe(5164);
    const virtual = new VirtualNode();
    const before = await hello(session(virtual));
    expect(before.provisioned).toBe(false);
    const result = await flashImage(session(virtual), image);
    expect(result.checked).toBe(true);
    expect(result.alreadyActive).toBe(false);
    expect(Buffer.from(result.digest)).toEqual(Buffer.from(mmoHash(image)));
    // After a reboot the node reports the same active image.
    virtual.node.reboot();
    const after = await hello(session(virtual));
    expect(after.provisioned).toBe(true);
    expect(after.activeLen).toBe(image.length);
    expect(Buffer.from(after.activeDigest)).toEqual(Buffer.from(mmoHash(image)));
  });

  it("re-flashing the active image transfers nothing; a new image replaces it", async () => {
    const virtual = new VirtualNode();
    await flashImage(session(virtual), egImage(8));
    const again = await flashImage(session(virtual), egImage(8));
    expect(again.alreadyActive).toBe(true);
    expect(again.stats.requests).toBe(3); // HELLO, BEGIN, CHECK
    const other = egImage(8, "another authority");
    const replaced = await flashImage(session(virtual), other);
    expect(replaced.alreadyActive).toBe(false);
    virtual.node.reboot();
    const info = await hello(session(virtual));
    expect(Buffer.from(info.activeDigest)).toEqual(Buffer.from(mmoHash(other)));
  });

  it("resumes an interrupted transfer from the node's offset, across a reboot", async () => {
    const image = egImage(9);
    const virtual = new VirtualNode();
    const first = session(virtual);
    await hello(first);
    // BEGIN then two chunks by hand, as a run that was cut off.
    const digest = mmoHash(image);
    await first.request(CMD.BEGIN, () => beginRequest(image.length, digest, false), 0);
    for (const at of [0, 1024]) {
      const answer = await first.request(
        CMD.WRITE,
        () => writeRequest(at, image.subarray(at, at + 1024)),
        0,
      );
      expect(parseWrite(answer!.frame).offset).toBe(at + 1024);
    }
    virtual.node.reboot();
    const result = await flashImage(session(virtual), image);
    expect(result.resumedFrom).toBe(2048);
    // ceil((5164 - 2048) / 1024) = 4 writes, plus HELLO, BEGIN, COMMIT, CHECK.
    expect(result.stats.requests).toBe(8);
  });

  it("refuses an image whose CMAC trailer does not verify, and keeps the old one", async () => {
    const virtual = new VirtualNode();
    const good = egImage(10);
    await flashImage(session(virtual), good);
    const bad = egImage(11);
    bad[bad.length - 1]! ^= 0x01;
    const error = await flashImage(session(virtual), bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlashError);
    expect((error as FlashError).errorClass).toBe("node-refused");
    expect((error as FlashError).message).toMatch(/CMAC trailer/);
    virtual.node.reboot();
    const info = await hello(session(virtual));
    expect(Buffer.from(info.activeDigest)).toEqual(Buffer.from(mmoHash(good)));
  });

  it(
    "answers WRITE before BEGIN with 'unexpected' and a bad" + " version with a sync failure",
    async () => {
      const virtual = new VirtualNode();
      const s = session(virtual);
      await hello(s);
      const answer = await s.request(CMD.WRITE, () => writeRequest(0, new Uint8Array(8)), 0);
      expect(answer!.frame.payload[0]).toBe(73);
      const error = await hello(session(virtual), [2, 3]).catch((e: unknown) => e);
      expect((error as FlashError).errorClass).toBe("sync-failed");
      expect((error as FlashError).message).toMatch(/version 1/);
    },
  );

  it(
    "the --trace output never shows a key byte; WRITE data" + " appears by length and digest",
    async () => {
      const authority = createAuthority({
        scheme: "eg",
        pool: 10_000,
        ring: 250,
        insecureSeed: "trace",
      });
      const image = buildImage(authority, 12);
      const lines: string[] = [];
      await flashImage(
        new Session(memoryLink(new VirtualNode()), FAST, (l) => lines.push(l)),
        image,
      );
      const trace = lines.join("\n");
      expect(trace).toMatch(/WRITE seq=\d+ offset=0 data 1024 bytes mmo=[0-9a-f]{16}/);
      const keys = [
        authority.nodeKey(12),
        ...Array.from(authority.ringOf(12).ids, (id) => authority.poolKey(id)),
      ];
      expect(keys.length).toBe(251);
      for (const key of keys) {
        // Any 6 consecutive key bytes in hex would be a leak.
        const hex = Buffer.from(key).toString("hex");
        for (let at = 0; at + 12 <= hex.length; at += 2) {
          expect(trace.includes(hex.slice(at, at + 12))).toBe(false);
        }
      }
    },
  );

  it("the node reassembles a WRITE frame split at every byte position", () => {
    const image = egImage(13);
    const replies: Frame[] = [];
    const decoder = new FrameDecoder((frame) => replies.push(frame), 256);
    const node = new EmulatedNode({ uart: (bytes) => decoder.push(bytes) });
    node.boot();
    const send = (frame: Uint8Array): void => {
      for (let at = 0; at < frame.length; at += 256) node.deliverUart(frame.subarray(at, at + 256));
    };
    send(encodeFrame({ cmd: CMD.HELLO, seq: 1, payload: helloRequest() }));
    expect(parseHello(replies[0]!).status).toBe(0);
    send(
      encodeFrame({
        cmd: CMD.BEGIN,
        seq: 2,
        payload: beginRequest(image.length, mmoHash(image), false),
      }),
    );
    expect(replies[1]!.payload[0]).toBe(0);
    const frame = encodeFrame({
      cmd: CMD.WRITE,
      seq: 3,
      payload: writeRequest(0, image.subarray(0, 1024)),
    });
    // The same WRITE at every split point: the first is programmed, the rest are repeats that
    // the node acknowledges with the same next offset; none is lost or misparsed.
    for (let split = 1; split < frame.length; split++) {
      const before = replies.length;
      node.deliverUart(frame.subarray(0, Math.min(split, 256)));
      for (let at = Math.min(split, 256); at < frame.length; at += 256) {
        node.deliverUart(frame.subarray(at, Math.min(at + 256, frame.length)));
      }
      expect(replies.length, `split ${split}`).toBe(before + 1);
      const answer = parseWrite(replies[replies.length - 1]!);
      expect(answer.status).toBe(0);
      expect(answer.offset).toBe(1024);
    }
    expect(node.state).toBe("running");
  });

  it("host status text covers every flash status code of assembly/status.ts", () => {
    const source = readFileSync(new URL("../assembly/status.ts", import.meta.url), "utf8");
    const codes = [...source.matchAll(/= (\d+); \/\/ /g)]
      .map((m) => Number(m[1]))
      .filter((code) => code >= 64 && code <= 95);
    expect(codes.length).toBeGreaterThanOrEqual(16);
    for (const code of codes) expect(STATUS_TEXT.has(code), `code ${code}`).toBe(true);
  });
});
