// The store commands as a user runs them: `node bin/predist.js` in a child process with a
// temporary --db. Exit codes and messages of bad input, --help of every command (rendered by the
// same commander program in-process, and once through the binary), journal tampering made
// directly in the SQLite file and named by `log --verify`, revocation and export.

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Command } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import { shareFlags, useStoreCli } from "./helpers/store-cli.js";
import { buildProgram } from "../provisioning/cli.js";

const cli = useStoreCli();
const { run, initStore, register } = cli;
const flags = shareFlags;
let dir: string;
beforeAll(() => {
  dir = cli.dir();
});

/** The leaf commands of this area, found in the same program the binary runs. */
function storeCommands(): Command[] {
  const program = buildProgram();
  const names = ["init", "unseal", "seal", "nodes", "log", "revoke", "report", "export"];
  const leaves = program.commands.filter((c) => names.includes(c.name()));
  const shares = program.commands.find((c) => c.name() === "shares") as Command;
  return [...leaves, ...shares.commands];
}

function helpOf(command: Command): string {
  let text = "";
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe("help and usage errors", () => {
  it("gives every command a description, every flag a default, and two examples", () => {
    const commands = storeCommands();
    expect(commands.map((c) => c.name()).sort()).toEqual([
      "export",
      "init",
      "log",
      "nodes",
      "report",
      "revoke",
      "rotate",
      "seal",
      "unseal",
      "verify",
    ]);
    for (const command of commands) {
      const text = helpOf(command);
      expect(command.description().length, command.name()).toBeGreaterThan(30);
      const examples = text.split("Examples:")[1] ?? "";
      expect(examples.match(/\$ predist /g)?.length, command.name()).toBe(2);
      for (const option of command.options) {
        if (option.long === "--help" || option.required || option.mandatory) continue;
        const documented =
          option.defaultValue !== undefined || /default|required/.test(option.description);
        expect(documented, `${command.name()} ${option.long}`).toBe(true);
      }
    }
  });

  it("prints the same help through the binary, exit 0", async () => {
    const r = await run("shares", "verify", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--db <file> +the store file \(default: "predist\.db"\)/);
    expect(r.stdout).toContain("Examples:");
  });

  it("names a missing store, the path and what to do (exit 9)", async () => {
    const r = await run("log", "--db", join(dir, "missing.db"));
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(`no store at ${join(dir, "missing.db")}`);
    expect(r.stderr).toContain("predist init");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses threshold > shares (exit 2) and impossible scheme values (exit 3)", async () => {
    const db = join(dir, "u.db");
    const [a, b, c] = await Promise.all([
      run("init", "--db", db, "--shares", "3", "--threshold", "4"),
      run("init", "--db", db, "--shares", "1"),
      run("init", "--db", db, "--pool", "10", "--ring", "20"),
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("--threshold 4 is larger than --shares 3");
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--shares <n>' argument '1' is invalid/);
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/ring: expected an integer from 1 to 10, got 20/);
    expect(existsSync(join(dir, "u.db"))).toBe(false);
  });
});

describe("journal verification through the CLI", () => {
  function tamper(db: string, sql: string): void {
    const file = new Database(db);
    file.exec(sql);
    file.close();
  }

  it("verifies an intact journal and names an edited, deleted or reordered record", async () => {
    const { db } = await initStore("journal");
    await register(db, 3);
    const good = await run("log", "--db", db, "--verify", "--json");
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, checked: 11 });
    const cases = [
      ["edit", "UPDATE journal SET station = 'mallory' WHERE seq = 6", 6],
      ["delete", "DELETE FROM journal WHERE seq = 4", 5],
      [
        "reorder",
        "UPDATE journal SET seq = -1 WHERE seq = 7; UPDATE journal SET seq = 7 " +
          "WHERE seq = 8; UPDATE journal SET seq = 8 WHERE seq = -1",
        7,
      ],
    ] as const;
    const results = await Promise.all(
      cases.map(([name, sql]) => {
        const copy = join(dir, `journal-${name}.db`);
        copyFileSync(db, copy);
        tamper(copy, sql);
        return run("log", "--db", copy, "--verify");
      }),
    );
    cases.forEach(([name, , seq], i) => {
      expect(results[i].code, name).toBe(11);
      expect(results[i].stderr, name).toContain(`journal broken at record #${seq}`);
    });
  });
});

describe("journal anchor", () => {
  it("catches a journal rewritten with a recomputed chain by the anchor kept outside", async () => {
    const { db } = await initStore("anchor");
    await register(db, 2);
    const first = await run("log", "--db", db, "--verify", "--json");
    const anchor = JSON.parse(first.stdout).anchor as string;
    expect(anchor).toMatch(/^8:[0-9a-f]{64}$/);

    // Rewrite record 3 and recompute every hash after it, and the head, as docs/store.md
    // defines them: the chain alone cannot tell.
    const file = new Database(db);
    file.prepare("UPDATE journal SET station = 'mallory' WHERE seq = 3").run();
    const rows = file.prepare("SELECT * FROM journal ORDER BY seq").all() as Record<
      string,
      unknown
    >[];
    let prev = Buffer.alloc(32);
    const update = file.prepare("UPDATE journal SET hash = ? WHERE seq = ?");
    for (const row of rows) {
      const text = JSON.stringify([
        "predist-journal-v1",
        row.seq,
        row.at,
        row.station,
        row.event,
        row.node_id,
        row.detail,
      ]);
      prev = createHash("sha256").update(prev).update(text, "utf8").digest();
      update.run(prev, row.seq);
    }
    file.prepare("UPDATE meta SET value = ? WHERE key = 'journal_head'").run(prev);
    file.close();

    const [plain, anchored, malformed] = await Promise.all([
      run("log", "--db", db, "--verify"),
      run("log", "--db", db, "--verify", "--anchor", anchor),
      run("log", "--db", db, "--verify", "--anchor", "8:xyz"),
    ]);
    expect(plain.code).toBe(0);
    expect(anchored.code).toBe(11);
    expect(anchored.stderr).toContain("record #8 no longer has the anchored hash");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--anchor "8:xyz" is not SEQ:HASH');
  });
});

describe("revoke and export", () => {
  it("revokes nodes into a broadcast file, journals it, and exports without secrets", async () => {
    const { db, shares } = await initStore("r1");
    await register(db, 20);
    const out = join(dir, "rev.json");
    const r = await run(
      "revoke",
      "--db",
      db,
      "--node",
      "3",
      "--node",
      "5",
      "--out",
      out,
      "--json",
      ...flags(shares.slice(0, 3)),
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(doc.interval).toBe(1);
    expect(doc.revokedNodes).toEqual([3, 5]);
    expect(doc.revoke.length).toBeGreaterThan(0);
    // Frame type 0x20 (REVOKE) first, and the interval (u32 big-endian) at offset 9.
    expect(doc.revoke[0].slice(0, 2)).toBe("20");
    expect(doc.revoke[0].slice(18, 26)).toBe("00000001");
    const again = await run("revoke", "--db", db, "--node", "5", ...flags(shares.slice(0, 3)));
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("node 5 is already revoked");
    const listed = await run("nodes", "--db", db, "--state", "revoked", "--json");
    const nodes = JSON.parse(listed.stdout);
    expect(nodes.nodes.map((n: { nodeId: number }) => n.nodeId)).toEqual([3, 5]);

    const exportDir = join(dir, "r1-export");
    const e = await run("export", "--db", db, "--out", exportDir);
    expect(e.code).toBe(0);
    const lines = readFileSync(join(exportDir, "nodes.ndjson"), "utf8").trim().split("\n");
    expect(lines.length).toBe(20);
    expect(JSON.parse(lines[2])).toMatchObject({ nodeId: 3, state: "revoked" });
    const refused = await run("export", "--db", db, "--out", exportDir, "--with-secrets");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--with-secrets needs exactly one of --passphrase-file");
    // A short passphrase is refused before any share is asked for (else this would be exit 10).
    const short = join(dir, "short.txt");
    writeFileSync(short, "hunter2\n");
    const weak = await run(
      "export",
      "--db",
      db,
      "--out",
      exportDir,
      "--with-secrets",
      "--passphrase-file",
      short,
    );
    expect(weak.code).toBe(3);
    expect(weak.stderr).toContain(`passphrase in ${short} has 7 characters`);
  });
});
