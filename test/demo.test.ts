// `npm start` runs `predist demo`: this test runs it in a temporary folder and checks every
// artifact its summary claims, and the summary's figures, against the artifacts themselves.
// The virtual-node steps need socat; without it the demo must say so and still run the rest.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, imageDigest } from "../host/image/index.js";
import type { DemoSummary } from "../provisioning/commands/demo.js";
import { openStore } from "../provisioning/store/index.js";

const hasSocat = spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;
/** The firmware's image slots: 32 KiB each at the start of its flash (docs/flash-protocol.md). */
const SLOT_LEN = 32 * 1024;
const IMAGE_MAGIC = 0x494b4450;

let summary: DemoSummary;
let status: number | null;
let stderr: string;

beforeAll(() => {
  const dir = join(mkdtempSync(join(tmpdir(), "predist-demo-test-")), "demo");
  const result = spawnSync(process.execPath, ["bin/predist.js", "demo", "--dir", dir, "--json"], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  status = result.status;
  stderr = result.stderr;
  try {
    summary = JSON.parse(result.stdout.trim().split("\n").pop() ?? "") as DemoSummary;
  } catch {
    throw new Error(`demo printed no JSON summary (exit ${status}): ${stderr}`);
  }
}, 180_000);

/** The image a virtual node holds: the slot that starts with the image magic. */
function imageInFlash(flash: Uint8Array): Uint8Array | undefined {
  const view = new DataView(flash.buffer, flash.byteOffset, flash.byteLength);
  for (let slot = 0; slot + SLOT_LEN <= flash.length; slot += SLOT_LEN) {
    if (view.getUint32(slot, true) !== IMAGE_MAGIC) continue;
    const length = view.getUint32(slot + 12, true);
    return flash.slice(slot, slot + length);
  }
  return undefined;
}

describe("predist demo", () => {
  it("exits 0 and prints one JSON summary", () => {
    expect(status, stderr).toBe(0);
    expect(summary.dir).toBeTruthy();
  });

  it("wrote 5 share files, 3 of which unsealed the authority", () => {
    expect(summary.shareFiles).toHaveLength(5);
    for (const file of summary.shareFiles) {
      expect(statSync(file).mode & 0o077, `${file} is private`).toBe(0);
      expect(readFileSync(file, "utf8").length).toBeGreaterThan(40);
    }
  });

  it("the store's registry and journal agree with the summary", async () => {
    const store = await openStore({ path: summary.database });
    try {
      const verdict = await store.verifyJournal();
      expect(verdict.ok).toBe(true);
      expect(summary.journalRecords).toBe(verdict.checked);
      const counts = await store.countNodes();
      // One provisioned node was revoked at the end; the others stay verified.
      const revoked = summary.provisioned.length > 0 ? 1 : 0;
      expect(counts.verified).toBe(summary.provisioned.length - revoked);
      expect(counts.revoked).toBe(revoked);
      for (const node of summary.provisioned) {
        const record = await store.getNode(node.nodeId);
        expect(record?.imageDigest).toBe(node.digest);
      }
    } finally {
      await store.close();
    }
  });

  it.skipIf(!hasSocat)("each virtual node's flash holds the image the store recorded", () => {
    expect(summary.provisioned).toHaveLength(4);
    expect(summary.flashFiles).toHaveLength(4);
    const digests = summary.flashFiles.map((file) => {
      const image = imageInFlash(new Uint8Array(readFileSync(file)));
      expect(image, `${file} holds an image`).toBeDefined();
      const decoded = decodeImage(image!);
      return [decoded.nodeId, Buffer.from(imageDigest(image!)).toString("hex")] as const;
    });
    const expected = summary.provisioned.map((node) => [node.nodeId, node.digest] as const);
    expect(new Map(digests)).toEqual(new Map(expected));
  });

  it.skipIf(hasSocat)("without socat it names the package to install", () => {
    expect(summary.virtualNodesSkipped).toMatch(/apt-get install socat/);
  });

  it("the report and the revocation broadcast exist", () => {
    const html = readFileSync(summary.report, "utf8");
    expect(html).toMatch(/<canvas|<svg/);
    if (summary.provisioned.length > 0) {
      const broadcast = JSON.parse(readFileSync(summary.revocation, "utf8"));
      expect(broadcast.revokedNodes).toEqual([summary.provisioned[0].nodeId]);
    }
  });

  it("the simulation's figures are those of a connected network near the prediction", () => {
    const { simulation } = summary;
    expect(simulation.nodes).toBe(300);
    expect(
      Math.abs(simulation.directKeyFraction - simulation.predictedDirectKeyFraction),
    ).toBeLessThan(0.05);
    expect(simulation.largestComponent).toBeGreaterThan(0.9 * simulation.nodes);
    expect(simulation.compromised.map((row) => row.captured)).toEqual([0, 10, 30]);
    expect(existsSync(summary.database)).toBe(true);
  });

  it("the revocation round left no link with a revoked node or on a revoked key", () => {
    const { revocation } = summary.simulation;
    expect(revocation.revokedNodes).toBe(10);
    expect(revocation.lost).toBeGreaterThan(0);
    expect(revocation.linksOnRevokedKeys).toBe(0);
    expect(revocation.linksWithRevokedNodes).toBe(0);
  });
});
