// `predist provision` end to end: a store with an authority made by `predist init`, two virtual
// nodes on real ptys, the command run in-process (commander, exit code, --json events); then the
// store's registry and the nodes' own HELLO answers are compared, and a second run re-provisions.

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../provisioning/cli.js";
import { openStore } from "../provisioning/store/index.js";
import { startEmulation, type Emulation } from "../provisioning/serial/emulate.js";
import { openSerialLink } from "../provisioning/serial/transport.js";
import { DEFAULT_TIMING, Session, hello } from "../provisioning/flash/session.js";

let dir: string;
let emulation: Emulation;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "predist-provision-"));
  process.env.PREDIST_CONFIG_DIR = join(dir, "config");
  emulation = await startEmulation({ count: 2, dir: join(dir, "nodes") });
});

afterAll(async () => {
  await emulation.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = before;
  }
}

async function nodeDigest(port: string): Promise<string> {
  const link = await openSerialLink(port);
  try {
    return Buffer.from((await hello(new Session(link, DEFAULT_TIMING))).activeDigest).toString(
      "hex",
    );
  } finally {
    await link.close();
  }
}

describe("predist provision", () => {
  it("takes IDs, flashes, verifies and records; a second run re-provisions", async () => {
    const db = join(dir, "line.db");
    const shareDir = join(dir, "shares");
    const init = await run(
      "init",
      "--db",
      db,
      "--shares",
      "2",
      "--threshold",
      "2",
      "--share-dir",
      shareDir,
      "--insecure-fixed-seed",
      "provision-test",
      "--pool",
      "10000",
      "--ring",
      "250",
    );
    expect(init.code, init.err).toBe(0);
    const shares = readdirSync(shareDir).map((name) => join(shareDir, name));
    expect(shares.length).toBe(2);
    const ports = emulation.ports.map((p) => p.port);

    const dry = await run("provision", "--db", db, "--dry-run", "--json", "--port", ports[0]!);
    expect(dry.code, dry.err).toBe(0);
    expect(JSON.parse(dry.out.trim()).event).toBe("plan");

    // `predist provision --json` with two of the shares, on the given ports.
    const provision = (...on: string[]) =>
      run(
        "provision",
        "--db",
        db,
        "--json",
        "--share",
        shares[0]!,
        "--share",
        shares[1]!,
        ...on.flatMap((port) => ["--port", port]),
      );
    const first = await provision(ports[0]!, ports[1]!);
    expect(first.code, first.err + first.out).toBe(0);
    const ends = first.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === "end");
    expect(ends.map((e) => e.ok)).toEqual([true, true]);
    expect(ends.every((e) => e.checked === true)).toBe(true);

    const store = await openStore({ path: db });
    try {
      const nodes = await store.listNodes();
      expect(nodes.map((n) => n.state)).toEqual(["verified", "verified"]);
      for (const node of nodes) {
        expect(await nodeDigest(node.port!)).toBe(node.imageDigest);
      }
    } finally {
      await store.close();
    }

    const second = await provision(ports[0]!);
    expect(second.code, second.err).toBe(0);
    const again = await openStore({ path: db });
    try {
      const nodes = await again.listNodes();
      expect(nodes.length).toBe(3);
      const newest = nodes.find((n) => n.nodeId === Math.max(...nodes.map((m) => m.nodeId)))!;
      expect(newest.state).toBe("verified");
      expect(await nodeDigest(ports[0]!)).toBe(newest.imageDigest);
    } finally {
      await again.close();
    }
  }, 120_000);

  it("refuses a run without --port with a usage error and a hint", async () => {
    const result = await run("provision", "--db", join(dir, "line.db"));
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/no --port given/);
  });

  it(
    "flash: exit codes and messages for a missing image, a" + " missing port and a dry run",
    async () => {
      const missing = await run("flash", "--port", "/dev/null-none", join(dir, "nope.img"));
      expect(missing.code).toBe(3);
      expect(missing.err).toContain("nope.img");
      const image = join(dir, "node.img");
      const { writeFileSync } = await import("node:fs");
      const { buildImage, createAuthority } = await import("../host/authority/index.js");
      writeFileSync(
        image,
        buildImage(createAuthority({ scheme: "eg", pool: 1000, ring: 20, insecureSeed: "cli" }), 3),
      );
      const noDevice = await run("flash", "--json", "--port", join(dir, "no-such-port"), image);
      expect(noDevice.code).toBe(4);
      const end = noDevice.out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .find((e: { event: string }) => e.event === "end");
      expect(end.error).toBe("no-device");
      expect(end.message).toContain("no-such-port");
      const dry = await run("flash", "--dry-run", "--port", emulation.ports[0]!.port, image);
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(/dry run: no port was opened/);
      // Plain output has no colour when stdout is not a TTY.
      expect(dry.out).not.toMatch(/\x1b\[/);
    },
  );
});
