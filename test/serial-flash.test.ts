// End to end through the real serialport bindings over socat pseudo-terminals, with the real
// node.wasm behind each pty (startEmulation, the code of `predist emulate`): provision, verify
// and re-provision; resume after an interrupted run; a cable pulled mid-transfer; a port with no
// node; a node of another protocol version; a node answering garbage; a missing port.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildImage, createAuthority } from "../host/authority/index.js";
import { mmoHash } from "../host/crypto/index.js";
import { startEmulation, type Emulation } from "../provisioning/serial/emulate.js";
import { listPorts, openSerialLink } from "../provisioning/serial/transport.js";
import {
  DEFAULT_TIMING,
  FlashError,
  Session,
  hello,
  type Link,
} from "../provisioning/flash/session.js";
import { runJobs, type Job, type RunOptions } from "../provisioning/flash/run.js";
import { EXIT } from "../provisioning/errors.js";

const TIMING = {
  ...DEFAULT_TIMING,
  baseMs: 150,
  attempts: 3,
  eraseMsPerPage: 0,
  programMsPerKiB: 0,
  hashMsPerKiB: 0,
};

const authority = createAuthority({
  scheme: "eg",
  pool: 10_000,
  ring: 250,
  insecureSeed: "serial-flash",
});

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "predist-serial-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function emulate(
  count: number,
  dir = tempDir(),
  nodeOptions?: Parameters<typeof startEmulation>[0]["nodeOptions"],
): Promise<Emulation> {
  const emulation = await startEmulation({ count, dir, nodeOptions });
  cleanups.push(() => emulation.stop());
  return emulation;
}

function options(extra: Partial<RunOptions> = {}): RunOptions & { lines: string[] } {
  const lines: string[] = [];
  return {
    timing: TIMING,
    json: true,
    trace: false,
    bars: false,
    color: false,
    out: (text) => lines.push(...text.trim().split("\n")),
    err: () => {},
    lines,
    ...extra,
  };
}

async function activeDigest(port: string): Promise<string> {
  const link = await openSerialLink(port);
  try {
    const info = await hello(new Session(link, TIMING));
    return Buffer.from(info.activeDigest).toString("hex");
  } finally {
    await link.close();
  }
}

const hexDigest = (image: Uint8Array): string => Buffer.from(mmoHash(image)).toString("hex");

describe("flash over real pseudo-terminals", () => {
  it("provisions two nodes in parallel, verifies them and re-provisions one", async () => {
    const emulation = await emulate(2);
    const images = [buildImage(authority, 21), buildImage(authority, 22)];
    const jobs: Job[] = emulation.ports.map((p, i) => ({
      port: p.port,
      image: images[i]!,
      source: `node-${21 + i}`,
      nodeId: 21 + i,
    }));
    const run = options();
    const results = await runJobs(jobs, run);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(results.every((r) => r.result!.checked)).toBe(true);
    const events = run.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      events
        .filter((e) => e.event === "end")
        .map((e) => e.nodeId)
        .sort(),
    ).toEqual([21, 22]);
    expect(events.some((e) => e.event === "progress" && e.offset === images[0]!.length)).toBe(true);
    expect(await activeDigest(emulation.ports[1]!.port)).toBe(hexDigest(images[1]!));
    // Re-provision node 0 with a new image for the same ID (a new authority).
    const other = createAuthority({ scheme: "eg", pool: 10_000, ring: 250, insecureSeed: "new" });
    const fresh = buildImage(other, 21);
    const again = await runJobs(
      [{ port: emulation.ports[0]!.port, image: fresh, source: "x" }],
      options(),
    );
    expect(again[0]!.ok).toBe(true);
    expect(await activeDigest(emulation.ports[0]!.port)).toBe(hexDigest(fresh));
  });

  it("a second run resumes an interrupted transfer, also after the emulator restarts", async () => {
    const dir = tempDir();
    let emulation = await emulate(1, dir);
    const image = buildImage(authority, 23);
    const port = emulation.ports[0]!.port;
    // The first run's port closes after its 5th frame: HELLO, BEGIN and three WRITEs.
    const cut: RunOptions["open"] = async (path, baud) => {
      const link = await openSerialLink(path, baud);
      let frames = 0;
      return {
        ...link,
        write: async (bytes: Uint8Array) => {
          if (++frames > 5) throw new Error("cable pulled");
          await link.write(bytes);
        },
      } satisfies Link;
    };
    const first = await runJobs([{ port, image, source: "a" }], options({ open: cut }));
    expect(first[0]!.ok).toBe(false);
    expect(first[0]!.errorClass).toBe("transfer-failed");
    expect(first[0]!.exitCode).toBe(EXIT.TRANSFER_FAILED);
    // Restart the virtual node: its flash file keeps the staged prefix.
    await emulation.stop();
    emulation = await emulate(1, dir);
    const second = await runJobs(
      [{ port: emulation.ports[0]!.port, image, source: "a" }],
      options(),
    );
    expect(second[0]!.ok).toBe(true);
    expect(second[0]!.result!.resumedFrom).toBe(3 * 1024);
    expect(await activeDigest(emulation.ports[0]!.port)).toBe(hexDigest(image));
  });

  it("reports a cable pulled mid-transfer as a transfer failure", async () => {
    const dir = tempDir();
    const emulation = await emulate(1, dir);
    const image = buildImage(authority, 24);
    const slow: RunOptions["open"] = async (path, baud) => {
      const link = await openSerialLink(path, baud);
      let frames = 0;
      return {
        ...link,
        write: async (bytes: Uint8Array) => {
          // After BEGIN and two WRITEs the emulator's side goes away, as when the cable is pulled.
          if (++frames === 5) await emulation.stop();
          await link.write(bytes);
        },
      } satisfies Link;
    };
    const results = await runJobs(
      [{ port: emulation.ports[0]!.port, image, source: "a" }],
      options({ open: slow }),
    );
    expect(results[0]!.ok).toBe(false);
    expect(["transfer-failed"]).toContain(results[0]!.errorClass);
  });

  it("a port with no node behind it fails to sync; a missing port is no device", async () => {
    const dir = tempDir();
    const child: ChildProcess = spawn(
      "socat",
      [`pty,raw,echo=0,link=${dir}/a`, `pty,raw,echo=0,link=${dir}/b`],
      { stdio: "ignore" },
    );
    cleanups.push(() => {
      child.kill("SIGTERM");
    });
    for (let i = 0; i < 100 && !existsSync(`${dir}/b`); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const image = buildImage(authority, 25);
    const results = await runJobs(
      [
        { port: `${dir}/b`, image, source: "a" },
        { port: `${dir}/missing`, image, source: "a" },
      ],
      options(),
    );
    expect(results[0]!.errorClass).toBe("sync-failed");
    expect(results[0]!.message).toMatch(/no answer to HELLO/);
    expect(results[1]!.errorClass).toBe("no-device");
    expect(results[1]!.exitCode).toBe(EXIT.NO_DEVICE);
    expect(results[1]!.message).toContain(`${dir}/missing`);
  });

  it("a node of another protocol version and a node answering garbage fail to sync", async () => {
    const emulation = await emulate(2, tempDir(), (i) =>
      i === 0 ? { fakeVersion: 2 } : { garbage: true },
    );
    const image = buildImage(authority, 26);
    const results = await runJobs(
      emulation.ports.map((p) => ({ port: p.port, image, source: "a" })),
      options(),
    );
    expect(results[0]!.errorClass).toBe("sync-failed");
    expect(results[0]!.message).toMatch(/protocol version 2/);
    expect(results[1]!.errorClass).toBe("sync-failed");
    expect(results[1]!.message).toMatch(/no valid flash protocol frame/);
    expect(results.every((r) => r.exitCode === EXIT.SYNC_FAILED)).toBe(true);
  });

  it(
    "ports: lists ports, or says clearly that it cannot" + " enumerate them and names --port",
    async () => {
      const outcome = await listPorts().then(
        (ports) => ports,
        (error: unknown) => error,
      );
      if (Array.isArray(outcome)) {
        for (const port of outcome) expect(typeof port.path).toBe("string");
        return;
      }
      expect(outcome).toBeInstanceOf(FlashError);
      expect((outcome as FlashError).errorClass).toBe("no-device");
      expect((outcome as FlashError).message).toMatch(/cannot enumerate serial ports/);
      expect((outcome as FlashError).hint).toMatch(/--port/);
    },
  );
});
