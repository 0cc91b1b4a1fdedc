// The sealed store holds no key: after init, provisioning records, an unseal session, a
// revocation, a capture report and an export with secrets, no 16-byte window of any pool key,
// node key, μTESLA chain key, the master, the KEK or a share value (raw or as hex) appears in the
// .db, -wal or -shm file. The keys are derived here with the authority from the unsealed master.
// The same run's revocation broadcast is checked against docs/protocol.md (frames decoded, tags
// recomputed under K_1, K_1 -> K_0), and the exported secrets are opened with node:crypto.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shareFlags, useStoreCli } from "./helpers/store-cli.js";
import { createDecipheriv, scryptSync } from "node:crypto";
import { createAuthority, type Authority } from "../host/authority/index.js";
import { cmac, oneWay } from "../host/crypto/index.js";
import { decodeDisclosure, decodeRevocation, revokeTagKey } from "../host/protocol/index.js";
import { authorityOptions, obtainKek, obtainMaster } from "../provisioning/custody/index.js";
import { decodeShare } from "../provisioning/custody/share-code.js";
import { openStore, type AuthorityRecord } from "../provisioning/store/index.js";

const cli = useStoreCli();
const { run, initStore, register } = cli;
const flags = shareFlags;
let dir: string;
beforeAll(() => {
  dir = cli.dir();
});

describe("sealed store", () => {
  let db: string;
  let holder: Database.Database;
  let record: AuthorityRecord;
  let authority: Authority;
  const secrets: Uint8Array[] = [];
  const passphrase = "a long enough export passphrase";

  beforeAll(async () => {
    let shares: string[];
    ({ db, shares } = await initStore("scan"));
    // Hold a connection open so the WAL and shared-memory files stay on disk while we scan.
    holder = new Database(db);
    holder.prepare("SELECT count(*) FROM journal").get();
    await register(db, 8);
    await run("unseal", "--db", db, "--session", ...flags(shares.slice(0, 3)));
    await run("revoke", "--db", db, "--node", "2", "--out", join(dir, "scan-rev.json"));
    await run("report", "--db", db, "--node", "4");
    const passFile = join(dir, "pass.txt");
    writeFileSync(passFile, `${passphrase}\n`);
    await run(
      "export",
      "--db",
      db,
      "--out",
      join(dir, "scan-export"),
      "--with-secrets",
      "--passphrase-file",
      passFile,
    );

    const store = await openStore({ path: db });
    const kek = await obtainKek(store, { dbPath: db, shareFiles: shares.slice(0, 3) });
    const master = await obtainMaster(store, { dbPath: db, shareFiles: shares.slice(0, 3) });
    record = (await store.getAuthority())!;
    await store.close();
    authority = createAuthority({ ...authorityOptions(record), master: master.slice() });
    secrets.push(master, kek);
    for (let id = 0; id < 64; id++) secrets.push(authority.poolKey(id));
    for (let id = 1; id <= 8; id++) secrets.push(authority.nodeKey(id));
    for (let i = 1; i <= 50; i++) secrets.push(authority.chainKey(i));
    for (const f of shares) secrets.push(decodeShare(readFileSync(f, "utf8"), f).value);
  });

  afterAll(() => {
    holder.close();
    authority.destroy();
  });

  it("leaves no byte of pool, master, KEK or shares in the .db, -wal and -shm files", () => {
    const files = [db, `${db}-wal`, `${db}-shm`];
    expect(existsSync(`${db}-wal`)).toBe(true);
    const contents = files.map((f) => readFileSync(f));
    // The scan sees the store's content: the (public) authority ID and the journal are there.
    const all = Buffer.concat(contents);
    expect(all.indexOf(Buffer.from(record.authorityId))).toBeGreaterThanOrEqual(0);
    expect(all.indexOf(Buffer.from("capture-report"))).toBeGreaterThanOrEqual(0);
    expect(secrets.length).toBe(2 + 64 + 8 + 50 + 5);
    for (const [f, bytes] of contents.entries()) {
      for (const secret of secrets) {
        // Each 16-byte half of a secret, raw and as hex: a leak of either would show.
        for (let at = 0; at + 16 <= secret.length; at += 16) {
          const window = Buffer.from(secret.subarray(at, at + 16));
          expect(bytes.indexOf(window), files[f]).toBe(-1);
          expect(bytes.indexOf(Buffer.from(window.toString("hex"))), files[f]).toBe(-1);
        }
      }
    }
  });

  it("writes a REVOKE broadcast for node 2's ring, tagged under K_1, and its DISCLOSE", () => {
    const doc = JSON.parse(readFileSync(join(dir, "scan-rev.json"), "utf8"));
    const chainKey = authority.chainKey(1);
    const nodes: number[] = [];
    const keys: number[] = [];
    for (const text of doc.revoke as string[]) {
      const frame = Uint8Array.from(Buffer.from(text, "hex"));
      const decoded = decodeRevocation(frame);
      expect(decoded.interval).toBe(1);
      nodes.push(...decoded.revokedNodes);
      keys.push(...decoded.revokedKeys);
      // docs/protocol.md: tag = CMAC(KDF(K_i, "predist revoke", i), frame body)[0..8].
      const body = frame.subarray(0, frame.length - 8);
      const tag = cmac(revokeTagKey(chainKey, 1), body).subarray(0, 8);
      expect(Buffer.from(decoded.tag).equals(Buffer.from(tag))).toBe(true);
    }
    expect(nodes).toEqual([2]);
    expect(keys).toEqual([...authority.keyIdsOf(2)].sort((a, b) => a - b));
    const disclosed = decodeDisclosure(Uint8Array.from(Buffer.from(doc.disclose, "hex")));
    expect(Buffer.from(disclosed.chainKey).equals(Buffer.from(chainKey))).toBe(true);
    // K_1 leads to the commitment K_0 kept with the public parameters.
    const anchor = record.params.anchor as { commitment: string };
    expect(Buffer.from(oneWay(chainKey)).toString("hex")).toBe(anchor.commitment);
  });

  it("encrypts the exported secrets so that the passphrase, and only it, opens them", () => {
    const envelope = JSON.parse(readFileSync(join(dir, "scan-export/secrets.enc.json"), "utf8"));
    const open = (phrase: string) => {
      const key = scryptSync(phrase, Buffer.from(envelope.kdf.salt, "hex"), 32, {
        N: envelope.kdf.N,
        r: envelope.kdf.r,
        p: envelope.kdf.p,
        maxmem: 64 * 1024 * 1024,
      });
      const sealed = Buffer.from(envelope.ciphertext, "hex");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(envelope.nonce, "hex"));
      decipher.setAAD(Buffer.from(`predist-export-v1\0${record.authorityId}`));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - 16)),
        decipher.final(),
      ]).toString("utf8");
    };
    const body = JSON.parse(open(passphrase));
    expect(body.chainTip).toBe(Buffer.from(authority.chainKey(50)).toString("hex"));
    expect(body.nodeKeys.length).toBe(8);
    for (const { nodeId, nodeKey } of body.nodeKeys) {
      expect(nodeKey).toBe(Buffer.from(authority.nodeKey(nodeId)).toString("hex"));
    }
    expect(() => open("a wrong passphrase, long enough")).toThrow();
    const manifest = readFileSync(join(dir, "scan-export/nodes.ndjson"), "utf8");
    for (const secret of secrets.slice(2, 74)) {
      expect(manifest).not.toContain(Buffer.from(secret).toString("hex"));
    }
  });
});
