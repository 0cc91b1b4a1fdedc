// The custody commands as custodians run them: `node bin/predist.js` in a child process with a
// temporary --db and config folder. Share files and their modes, unseal with progress, too few,
// mistyped, duplicated and foreign shares named, the verify-all ceremony, the session and its
// expiry, and rotation making the old shares useless.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { shareFlags, useStoreCli } from "./helpers/store-cli.js";
import { decodeShare, encodeShare } from "../provisioning/custody/share-code.js";

const cli = useStoreCli();
const { run, initStore, register } = cli;
const flags = shareFlags;
let dir: string;
beforeAll(() => {
  dir = cli.dir();
});

describe("custody ceremony", () => {
  it("writes N share files 0600 and unseals with any M of them, with progress", async () => {
    const { db, shares } = await initStore("c1", "--shares", "4", "--threshold", "2");
    expect(shares.length).toBe(4);
    for (const f of shares) expect(statSync(f).mode & 0o777).toBe(0o600);
    const r = await run("unseal", "--db", db, ...flags([shares[3], shares[1]]));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("share 1 of 2 accepted (index 4");
    expect(r.stderr).toContain("share 2 of 2 accepted (index 2");
  });

  it("names too few, mistyped, duplicated and foreign shares", async () => {
    const [{ db, shares }, { shares: foreign }] = await Promise.all([
      initStore("c2"),
      initStore("c2-other"),
    ]);
    const typo = join(dir, "typo.txt");
    const text = readFileSync(shares[2], "utf8").split("\n");
    // Change the second character of the code line to another alphabet character.
    text[2] = text[2][0] + (text[2][1] === "Z" ? "Y" : "Z") + text[2].slice(2);
    writeFileSync(typo, text.join("\n"));
    const [few, bad, dup, alien] = await Promise.all([
      run("unseal", "--db", db, ...flags(shares.slice(0, 2))),
      run("unseal", "--db", db, ...flags([shares[0], shares[1], typo])),
      run("unseal", "--db", db, ...flags([shares[0], shares[1], shares[1]])),
      run("unseal", "--db", db, ...flags([shares[0], foreign[1], shares[2]])),
    ]);
    expect(few.code).toBe(10);
    expect(few.stderr).toContain("2 shares given; unsealing needs 3 of 5");
    expect(bad.code).toBe(11);
    expect(bad.stderr).toContain(`share ${typo}: checksum does not match`);
    expect(dup.code).toBe(10);
    expect(dup.stderr).toContain(
      `share ${shares[1]} repeats index 2, already given by ${shares[1]}`,
    );
    expect(alien.code).toBe(10);
    expect(alien.stderr).toContain(`share ${foreign[1]} (index 2) belongs to authority`);
  });

  it("verifies every share in one ceremony, reporting each by index", async () => {
    const { db, shares } = await initStore("c3");
    const ok = await run("shares", "verify", "--db", db, "--json", ...flags(shares));
    expect(ok.code).toBe(0);
    const verdict = JSON.parse(ok.stdout) as { verdicts: { index: number; valid: boolean }[] };
    expect(verdict.verdicts.map((v) => [v.index, v.valid])).toEqual(
      [1, 2, 3, 4, 5].map((i) => [i, true]),
    );
    // A share altered with a recomputed checksum passes the format checks but not the
    // polynomial check, and the ceremony names it by index (exit 11).
    const forged = decodeShare(readFileSync(shares[3], "utf8"), "s4");
    forged.value[5] ^= 0x40;
    const forgedFile = join(dir, "forged.txt");
    writeFileSync(forgedFile, encodeShare(forged));
    const [broken, absent] = await Promise.all([
      run("shares", "verify", "--db", db, "--json", ...flags([...shares.slice(0, 3), forgedFile])),
      run("shares", "verify", "--db", db, ...flags([shares[0], join(dir, "absent.txt")])),
    ]);
    expect(broken.code).toBe(11);
    type Verdicts = { verdicts: { index: number; valid: boolean }[] };
    const verdicts = (JSON.parse(broken.stdout) as Verdicts).verdicts;
    expect(verdicts.map((v) => [v.index, v.valid])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, false],
    ]);
    expect(broken.stderr).toContain("1 of 4 shares are invalid");
    expect(absent.code).toBe(3);
    expect(absent.stderr).toContain(`share file ${join(dir, "absent.txt")} does not exist`);
  });

  it("keeps the KEK in a 0600 session until seal, and refuses an expired one", async () => {
    const { db, shares } = await initStore("c4");
    await register(db, 10);
    const open = await run(
      "unseal",
      "--db",
      db,
      "--session",
      "--ttl",
      "10m",
      ...flags(shares.slice(2)),
    );
    expect(open.code).toBe(0);
    expect(statSync(`${db}.session`).mode & 0o777).toBe(0o600);
    const report = await run("report", "--db", db, "--node", "2", "--json");
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout).captured).toEqual([2]);
    const sealed = await run("seal", "--db", db);
    expect(sealed.code).toBe(0);
    expect(existsSync(`${db}.session`)).toBe(false);
    const again = await run("report", "--db", db, "--node", "2");
    expect(again.code).toBe(10);
    expect(again.stderr).toContain("is sealed and no shares were given");

    await run("unseal", "--db", db, "--session", "--ttl", "1s", ...flags(shares.slice(0, 3)));
    await new Promise((ok) => setTimeout(ok, 1500));
    const late = await run("report", "--db", db, "--node", "2");
    expect(late.code).toBe(10);
    expect(late.stderr).toMatch(/the unseal session expired at .*; it has been removed/);
  });

  it("rotates: new shares work, old ones are refused by generation", async () => {
    const { db, shares } = await initStore("c5");
    const newDir = join(dir, "c5-new");
    const r = await run(
      "shares",
      "rotate",
      "--db",
      db,
      "--share-dir",
      newDir,
      "--shares",
      "3",
      "--threshold",
      "2",
      ...flags(shares.slice(0, 3)),
    );
    expect(r.code).toBe(0);
    const fresh = readdirSync(newDir)
      .sort()
      .map((f) => join(newDir, f));
    expect(fresh.length).toBe(3);
    const old = await run("unseal", "--db", db, ...flags(shares.slice(0, 3)));
    expect(old.code).toBe(10);
    expect(old.stderr).toMatch(/is of KEK generation 1; the store is at generation 2/);
    expect((await run("unseal", "--db", db, ...flags(fresh.slice(1)))).code).toBe(0);
  });
});
