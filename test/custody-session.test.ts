// The unseal session file (provisioning/custody/session.ts): it returns the KEK on this machine
// until its expiry, and is refused when edited (expiry or ciphertext), of another generation,
// readable by others, or read with another local secret (a copy on another machine).

import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  readSession,
  removeSession,
  sessionPath,
  writeSession,
} from "../provisioning/custody/session.js";

const AUTHORITY = "0011223344556677";
const kek = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "predist-session-"));
  db = join(dir, "p.db");
  process.env.PREDIST_CONFIG_DIR = join(dir, "config");
});

afterEach(() => {
  delete process.env.PREDIST_CONFIG_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe("session file", () => {
  it("returns the KEK before expiry, and holds it only encrypted, mode 0600", () => {
    const { path } = writeSession(db, AUTHORITY, 1, kek, 60_000);
    expect(path).toBe(sessionPath(db));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config/session.key")).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain(Buffer.from(kek).toString("hex"));
    expect(readFileSync(path).indexOf(Buffer.from(kek))).toBe(-1);
    expect(readSession(db, AUTHORITY, 1)).toEqual(kek);
  });

  it("is absent before unseal and after seal", () => {
    expect(readSession(db, AUTHORITY, 1)).toBeUndefined();
    writeSession(db, AUTHORITY, 1, kek, 60_000);
    expect(removeSession(db)).toBe(true);
    expect(readSession(db, AUTHORITY, 1)).toBeUndefined();
    expect(removeSession(db)).toBe(false);
  });

  it("refuses and removes an expired session", () => {
    writeSession(db, AUTHORITY, 1, kek, 1);
    const until = Date.now() + 5;
    while (Date.now() < until) {
      // wait past the 1 ms lifetime
    }
    expect(() => readSession(db, AUTHORITY, 1)).toThrow(/the unseal session expired at/);
    expect(readSession(db, AUTHORITY, 1)).toBeUndefined();
  });

  it("refuses a session whose expiry was pushed forward by editing the file", () => {
    const { path } = writeSession(db, AUTHORITY, 1, kek, 60_000);
    const body = JSON.parse(readFileSync(path, "utf8"));
    body.expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    writeFileSync(path, JSON.stringify(body), { mode: 0o600 });
    expect(() => readSession(db, AUTHORITY, 1)).toThrow(/does not decrypt on this machine/);
  });

  it("refuses a session of another generation or authority", () => {
    writeSession(db, AUTHORITY, 1, kek, 60_000);
    expect(() => readSession(db, AUTHORITY, 2)).toThrow(/generation 1, not .* generation 2/);
    expect(() => readSession(db, "8899aabbccddeeff", 1)).toThrow(/is for authority 0011/);
  });

  it("refuses a session read with another local secret (copied to another machine)", () => {
    writeSession(db, AUTHORITY, 1, kek, 60_000);
    process.env.PREDIST_CONFIG_DIR = join(dir, "elsewhere");
    expect(() => readSession(db, AUTHORITY, 1)).toThrow(/does not decrypt on this machine/);
  });

  it("refuses a session file readable by others", () => {
    const { path } = writeSession(db, AUTHORITY, 1, kek, 60_000);
    chmodSync(path, 0o644);
    expect(() => readSession(db, AUTHORITY, 1)).toThrow(/readable by other users \(mode 644\)/);
  });
});
