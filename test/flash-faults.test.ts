// Fault injection on the real firmware in-process: a power cut at every flash write and erase of
// a provisioning run (before, torn and after the operation), and line faults (dropped, flipped,
// duplicated bytes at 1 %, 5 % and 10 %). The invariant each time: after a reboot the node holds
// the old image or the new one, never a mix, and the host's verdict matches what the node holds.

import { describe, expect, it } from "vitest";
import { buildImage, createAuthority } from "../host/authority/index.js";
import { mmoHash } from "../host/crypto/index.js";
import { Flash, type PowerCutMode } from "../host/emulator/index.js";
import { VirtualNode, memoryLink, type LineFaults } from "../provisioning/serial/virtual.js";
import {
  DEFAULT_TIMING,
  FlashError,
  Session,
  flashImage,
  hello,
} from "../provisioning/flash/session.js";
import { CMD, beginRequest, helloRequest } from "../provisioning/flash/protocol.js";

const FAST = {
  ...DEFAULT_TIMING,
  baud: 4_000_000,
  baseMs: 15,
  eraseMsPerPage: 0,
  programMsPerKiB: 0,
  hashMsPerKiB: 0,
};
const authority = createAuthority({
  scheme: "eg",
  pool: 10_000,
  ring: 250,
  insecureSeed: "flash-faults",
});
const OLD = buildImage(authority, 31);
const NEW = buildImage(
  createAuthority({ scheme: "eg", pool: 10_000, ring: 250, insecureSeed: "flash-faults-2" }),
  31,
);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const OLD_DIGEST = hex(mmoHash(OLD));
const NEW_DIGEST = hex(mmoHash(NEW));

/**
 * A flash image holding OLD as the committed image, made through the protocol. `history` earlier
 * provisioning runs (of other images) fill the record page first; `abortedBegin` leaves one more
 * stage record, so the next stage record is the one that switches record pages.
 */
async function flashWithOld(history = 0, abortedBegin = false): Promise<Uint8Array> {
  const virtual = new VirtualNode();
  for (let i = 0; i < history; i++) {
    await flashImage(new Session(memoryLink(virtual), FAST), buildImage(authority, 100 + i));
  }
  await flashImage(new Session(memoryLink(virtual), FAST), OLD);
  if (abortedBegin) {
    const other = buildImage(authority, 99);
    await new Session(memoryLink(virtual), FAST).request(CMD.HELLO, () => helloRequest(), 0);
    await new Session(memoryLink(virtual), FAST).request(
      CMD.BEGIN,
      () => beginRequest(other.length, mmoHash(other), false),
      0,
    );
  }
  return virtual.flash.snapshot();
}

async function activeAfterReboot(virtual: VirtualNode): Promise<string> {
  virtual.node.reboot();
  const info = await hello(new Session(memoryLink(virtual), FAST));
  return hex(info.activeDigest);
}

function nodeWith(
  contents: Uint8Array,
  options: ConstructorParameters<typeof VirtualNode>[0] = {},
): VirtualNode {
  const flash = new Flash();
  flash.load(contents);
  return new VirtualNode({ ...options, flash });
}

describe("power cut at every flash operation of a provisioning run", () => {
  // 48-byte records, 21 to a 1 KiB page; each run writes a stage and a commit record. After 9
  // runs of history plus OLD (20 records) the run under test writes its commit record into the
  // other page; with one aborted BEGIN more (21 records) its stage record switches pages and the
  // active commit is copied forward first (docs/flash-protocol.md, "Records").
  it.each([
    ["a fresh record page", 0, false],
    ["the commit record switching record pages", 9, false],
    ["the stage record switching pages (commit copied forward)", 9, true],
  ])(
    "leaves the old image or the new one, host truthful: %s",
    async (_name, history, aborted) => {
      const base = await flashWithOld(history, aborted);
      // Count the flash operations of an uncut run of NEW over OLD.
      const probe = nodeWith(base);
      const before = probe.flash.operations;
      await flashImage(new Session(memoryLink(probe), FAST), NEW);
      const total = probe.flash.operations - before;
      // The record pages follow the two 32 KiB slots (docs/flash-protocol.md, "Flash layout").
      const used = (flash: Uint8Array, page: number): number => {
        let n = 0;
        for (let at = 65_536 + page * 1024; at + 48 <= 65_536 + (page + 1) * 1024; at += 48) {
          if (flash.subarray(at, at + 48).some((b) => b !== 0xff)) n++;
        }
        return n;
      };
      expect(used(base, 0)).toBe(history === 0 ? 2 : aborted ? 21 : 20);
      expect(used(base, 1)).toBe(0);
      expect(used(probe.flash.snapshot(), 1) > 0).toBe(history > 0);
      // Erase of the staged pages, stage record, writes, commit record, erase of the old slot.
      expect(total).toBeGreaterThan(Math.ceil(NEW.length / 1024) + 2);
      const seen = { old: 0, new: 0, hostOk: 0 };
      for (const mode of ["before", "torn", "after"] as PowerCutMode[]) {
        for (let n = 1; n <= total; n++) {
          const virtual = nodeWith(base);
          virtual.flash.armPowerCut(n, mode);
          const outcome = await flashImage(new Session(memoryLink(virtual), FAST), NEW).then(
            () => "ok",
            (error: unknown) => {
              expect(error).toBeInstanceOf(FlashError);
              return (error as FlashError).errorClass;
            },
          );
          expect(virtual.powerCuts, `cut ${n} ${mode}`).toBe(1);
          const active = await activeAfterReboot(virtual);
          expect([OLD_DIGEST, NEW_DIGEST], `cut ${n} ${mode}`).toContain(active);
          if (outcome === "ok") {
            seen.hostOk++;
            expect(active, `host said ok at cut ${n} ${mode}`).toBe(NEW_DIGEST);
          }
          if (active === OLD_DIGEST) seen.old++;
          else seen.new++;
          // Running the same flash again always ends with the new image.
          const rerun = await flashImage(new Session(memoryLink(virtual), FAST), NEW);
          expect(hex(rerun.digest)).toBe(NEW_DIGEST);
          expect(await activeAfterReboot(virtual)).toBe(NEW_DIGEST);
        }
      }
      // Both outcomes occur: cuts before the commit record keep OLD, cuts after it give NEW.
      expect(seen.old).toBeGreaterThan(0);
      expect(seen.new).toBeGreaterThan(0);
      // The node reboots right after the cut, so the host re-syncs and often finishes in the same
      // run; when it does, the node holds NEW (checked above).
      expect(seen.hostOk).toBeGreaterThan(0);
    },
    180_000,
  );
});

describe("line faults", () => {
  const cases: [string, LineFaults][] = [];
  for (const rate of [0.01, 0.05, 0.1]) {
    cases.push(
      [`drop ${rate}`, { drop: rate }],
      [`flip ${rate}`, { flip: rate }],
      [`duplicate ${rate}`, { duplicate: rate }],
    );
  }
  it.each(cases)(
    "%s: completes through retries or fails clearly; never a bad commit",
    async (name, faults) => {
      const base = await flashWithOld();
      for (const seed of ["a", "b"]) {
        const virtual = nodeWith(base, { faults, seed: `${name}/${seed}` });
        const outcome = await flashImage(new Session(memoryLink(virtual), FAST), NEW).then(
          (result) => ({ ok: true as const, result }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const clean = nodeWith(virtual.flash.snapshot());
        const active = await activeAfterReboot(clean);
        if (outcome.ok) {
          expect(active).toBe(NEW_DIGEST);
          expect(hex(outcome.result.digest)).toBe(NEW_DIGEST);
        } else {
          expect(outcome.error).toBeInstanceOf(FlashError);
          const error = outcome.error as FlashError;
          expect(["sync-failed", "transfer-failed"]).toContain(error.errorClass);
          expect(error.message).toMatch(/no answer to|no valid flash protocol frame/);
          expect([OLD_DIGEST, NEW_DIGEST]).toContain(active);
        }
      }
    },
    120_000,
  );

  it("1 % dropped bytes: the transfer completes through retries and smaller chunks", async () => {
    const base = await flashWithOld();
    const virtual = nodeWith(base, { faults: { drop: 0.01 }, seed: "completes" });
    const timing = { ...FAST, attempts: 12 };
    const result = await flashImage(new Session(memoryLink(virtual), timing), NEW);
    expect(result.stats.retries).toBeGreaterThan(0);
    expect(await activeAfterReboot(nodeWith(virtual.flash.snapshot()))).toBe(NEW_DIGEST);
  }, 120_000);
});
