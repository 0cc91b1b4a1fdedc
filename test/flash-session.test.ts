// The flash session against the real firmware in-process (VirtualNode over memoryLink): a full
// flash with the end-of-line check, idempotent re-flash, resume of an interrupted transfer, a
// refused tampered image, and the node's answers to out-of-state and malformed frames.

import { describe, expect, it } from "vitest";
import { createAuthority, buildImage } from "../host/authority/index.js";
import { mmoHash } from "../host/crypto/index.js";
import { VirtualNode, memoryLink } from "../provisioning/serial/virtual.js";
import { DEFAULT_TIMING, FlashError, Session, flashImage, hello } from "../provisioning/flash/session.js";
import { CMD, parseWrite } from "../provisioning/flash/protocol.js";

const FAST = { ...DEFAULT_TIMING, baud: 4_000_000, baseMs: 40, eraseMsPerPage: 0, programMsPerKiB: 0, hashMsPerKiB: 0 };

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
    const { beginRequest, writeRequest } = await import("../provisioning/flash/protocol.js");
    await first.request(CMD.BEGIN, () => beginRequest(image.length, digest, false), 0);
    for (const at of [0, 1024]) {
      const answer = await first.request(CMD.WRITE, () => writeRequest(at, image.subarray(at,
        at + 1024)), 0);
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

  it("answers WRITE before BEGIN with 'unexpected' and a bad version with a sync failure",
    async () => {
      const virtual = new VirtualNode();
      const s = session(virtual);
      await hello(s);
      const { writeRequest } = await import("../provisioning/flash/protocol.js");
      const answer = await s.request(CMD.WRITE, () => writeRequest(0, new Uint8Array(8)), 0);
      expect(answer!.frame.payload[0]).toBe(73);
      const error = await hello(session(virtual), [2, 3]).catch((e: unknown) => e);
      expect((error as FlashError).errorClass).toBe("sync-failed");
      expect((error as FlashError).message).toMatch(/version 1/);
    });
});
