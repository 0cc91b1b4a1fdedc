// CLI of the authority area (analyze, plan, rings, image show) run as a child process on the
// compiled dist/ (npx tsc -p tsconfig.json first): outputs, exit codes of bad input, help text,
// and that no key byte reaches the terminal.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createAuthority } from "../host/authority/index.js";

const BIN = new URL("../bin/predist.js", import.meta.url).pathname;
const run = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 50_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
};

describe("analyze", () => {
  it(
    "EG P = 10,000, k = 75: p' = 0.4326 (exact, EG 2002 rounds" + " to 0.5), degree for n' = 40",
    () => {
      const { code, out } = run(
        "analyze",
        "--scheme",
        "eg",
        "--pool",
        "10000",
        "--ring",
        "75",
        "--neighbours",
        "40",
      );
      expect(code).toBe(0);
      expect(out).toMatch(/link probability\s+0\.4326/);
      expect(out).toMatch(/secure degree\s+16\.87/); // 0.43262 x 39
      expect(out).toMatch(/storage\s+1664 bytes/); // 164 + 75 x 20
    },
  );

  it("--json gives one object with the compromised fractions asked for", () => {
    const { code, out } = run(
      "analyze",
      "--scheme",
      "eg",
      "--pool",
      "1000",
      "--ring",
      "10",
      "--captured",
      "0,10",
      "--json",
    );
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.compromised).toEqual([
      { captured: 0, fraction: 0 },
      { captured: 10, fraction: expect.closeTo(1 - 0.99 ** 10, 12) },
    ]);
  });

  const bad: [string[], number, RegExp][] = [
    [
      ["--scheme", "eg", "--pool", "10", "--ring", "11"],
      3,
      /ring: expected an integer from 1 to 10, got 11/,
    ],
    [["--scheme", "qcomposite", "--pool", "100", "--ring", "5", "--q", "6"], 3, /q: .*got 6/],
    [["--scheme", "eg", "--pool", "0", "--ring", "1"], 3, /pool: .*got 0/],
    [["--scheme", "eg", "--pool", "4294967297", "--ring", "1"], 3, /pool: .*4294967297/],
    [["--scheme", "eg", "--pool", "1.5", "--ring", "1"], 2, /non-negative integer, got "1.5"/],
    [["--scheme", "eg", "--pool", "-4", "--ring", "1"], 2, /./],
    [["--scheme", "eg", "--pool", "50"], 3, /ring: expected an integer from 1 to 50, got 75/],
    [["--scheme", "nope"], 2, /Allowed choices are full, eg/],
  ];
  for (const [args, code, message] of bad) {
    it(`${args.join(" ")} -> exit ${code}`, () => {
      const result = run("analyze", ...args);
      expect(result.code).toBe(code);
      expect(result.err).toMatch(message);
      expect(result.err).not.toMatch(/    at /); // no stack trace without --debug
    });
  }
});

describe("plan", () => {
  it("table by default, ranked by x = 100, every scheme that fits", () => {
    const { code, out } = run("plan", "--nodes", "10000", "--neighbours", "40", "--memory", "4096");
    expect(code).toBe(0);
    expect(out).toMatch(/ranked by compromised fraction at x = 100/);
    for (const scheme of ["leap", "eg", "qcomposite", "polypool"]) expect(out).toMatch(scheme);
  });

  it("--json is one object with the required probability from Erdős–Rényi", () => {
    const { out } = run(
      "plan",
      "--nodes",
      "10000",
      "--neighbours",
      "40",
      "--memory",
      "4096",
      "--json",
    );
    const parsed = JSON.parse(out);
    // d = (9999/10000)(ln 10^4 - ln(-ln 0.99999)) = 20.7211; p' = d / 39 (EG 2002 section 3.2).
    expect(parsed.requiredShareProbability).toBeCloseTo(20.7211 / 39, 4);
    expect(parsed.rows.length).toBeGreaterThan(2);
  });

  it("a budget nothing fits exits NO_FIT (12)", () => {
    const result = run("plan", "--nodes", "100", "--neighbours", "10", "--memory", "100");
    expect(result.code).toBe(12);
    expect(result.err).toMatch(/no scheme fits 100 bytes/);
  });
});

describe("help", () => {
  for (const command of [["analyze"], ["plan"], ["rings"], ["image", "show"]]) {
    const name = command.join(" ");
    it(`${name} --help has a description, defaults, two examples and exit codes`, () => {
      const { code, out } = run(...command, "--help");
      expect(code).toBe(0);
      expect((out.match(/\n  \$ predist/g) ?? []).length).toBe(2);
      expect(out).toMatch(/Exit codes:/);
      if (command[0] === "analyze") expect(out).toMatch(/default:\s+"eg"/);
    });
  }
});

describe("rings and image show", () => {
  const dir = mkdtempSync(join(tmpdir(), "predist-cli-"));

  it("writes images that image show prints without a key byte", () => {
    const { code, err } = run(
      "rings",
      "--scheme",
      "eg",
      "--pool",
      "500",
      "--ring",
      "20",
      "--count",
      "5",
      "--insecure-fixed-seed",
      "cli",
      "--out",
      dir,
    );
    expect(code).toBe(0);
    expect(err).toMatch(/insecure/i);
    const shown = run("image", "show", join(dir, "node-3.img"), "--json");
    expect(shown.code).toBe(0);
    const summary = JSON.parse(shown.out);
    expect(summary.nodeId).toBe(3);
    expect(summary.recordCount).toBe(20);
    const authority = createAuthority({ scheme: "eg", pool: 500, ring: 20, insecureSeed: "cli" });
    const secrets = [
      authority.nodeKey(3),
      ...authority.keyIdsOf(3).map((id) => authority.poolKey(id)),
    ];
    const text = run("image", "show", join(dir, "node-3.img")).out + shown.out;
    for (const key of secrets) {
      expect(text.toLowerCase()).not.toContain(Buffer.from(key).toString("hex").slice(0, 8));
      expect(text).not.toContain(Buffer.from(key).toString("base64").slice(0, 8));
    }
  });

  it("a damaged image exits INVALID_INPUT with the reason", () => {
    const image = readFileSync(join(dir, "node-1.img"));
    image[200] ^= 1;
    writeFileSync(join(dir, "bad.img"), image);
    const result = run("image", "show", join(dir, "bad.img"));
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/rejected \(crc\)/);
  });

  it("NDJSON to stdout: one line per node with a decodable image", () => {
    const { code, out } = run(
      "rings",
      "--scheme",
      "leap",
      "--count",
      "3",
      "--insecure-fixed-seed",
      "cli",
      "--ndjson",
      "-",
    );
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.nodeId)).toEqual([1, 2, 3]);
    expect(Buffer.from(lines[0].image, "base64").length).toBe(220);
  });

  it("--check agrees with the closed form (q-composite)", () => {
    const { code, out } = run(
      "rings",
      "--scheme",
      "qcomposite",
      "--pool",
      "1000",
      "--ring",
      "40",
      "--q",
      "2",
      "--count",
      "300",
      "--insecure-fixed-seed",
      "cli-check",
      "--check",
      "--json",
    );
    expect(code).toBe(0);
    const check = JSON.parse(out).check;
    expect(check.sigmas).toBeLessThanOrEqual(4);
  });

  it("needs a master file or an explicit insecure seed", () => {
    const result = run("rings", "--scheme", "leap", "--count", "1");
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--master-file/);
  });
});
