// Share encoding and the sealing ceremony: every defect of a share is named by its source before
// anything is combined (too few, mistyped, damaged, foreign, of an old generation, duplicated), a
// share altered with a recomputed checksum is caught by the KEK digest, and the verify-all
// ceremony reports each share by index. Expected values are built here, not read from the code.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CliError } from "../provisioning/errors.js";
import {
  addShare,
  checkShare,
  newCustody,
  openMaster,
  rebuildKek,
  verifyShares,
  type CheckedShare,
} from "../provisioning/custody/seal.js";
import { decodeShare, encodeShare } from "../provisioning/custody/share-code.js";

const AUTHORITY = "0123456789abcdef";
const OTHER_AUTHORITY = "fedcba9876543210";
const PARAMS = { scheme: "eg", pool: 64, ring: 8 };
const master = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);

function ceremony(shares = 5, threshold = 3, authority = AUTHORITY, generation = 1) {
  const custody = newCustody(master, authority, generation, shares, threshold, PARAMS);
  const inputs = custody.codes.map((text, i) => ({ text, source: `share-${i + 1}.txt` }));
  return { ...custody, inputs };
}

function checked(c: ReturnType<typeof ceremony>, picks: number[]): CheckedShare[] {
  const set: CheckedShare[] = [];
  for (const i of picks) addShare(set, checkShare(c.inputs[i], AUTHORITY, c.seal));
  return set;
}

function errorOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error("expected a CliError");
}

/** Crockford base32 decode written here for the layout test. */
function decode32(text: string): Uint8Array {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const bits = [...text.replace(/-/g, "")]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0"))
    .join("");
  return Uint8Array.from({ length: bits.length / 8 }, (_, i) =>
    parseInt(bits.slice(i * 8, i * 8 + 8), 2),
  );
}

/** Replaces character `at` (ignoring hyphens) with another alphabet character. */
function mistype(code: string, at: number): string {
  const chars = [...code.replace(/-/g, "")];
  chars[at] = chars[at] === "7" ? "8" : "7";
  return chars.join("");
}

describe("share format", () => {
  it("lays out version, authority, generation, threshold, index, value, checksum", () => {
    const c = ceremony(5, 3);
    const code = c.codes[1];
    expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{5}-){15}[0-9A-HJKMNP-TV-Z]{5}$/);
    const bytes = decode32(code);
    expect(bytes.length).toBe(50);
    expect(bytes[0]).toBe(1);
    expect(Buffer.from(bytes.subarray(1, 9)).toString("hex")).toBe(AUTHORITY);
    expect([bytes[9], bytes[10], bytes[11], bytes[12]]).toEqual([0, 1, 3, 2]);
    const sum = createHash("sha256").update("predist-share-v1").update(bytes.subarray(0, 45));
    expect(Buffer.from(bytes.subarray(45)).equals(sum.digest().subarray(0, 5))).toBe(true);
  });

  it("reads lower case, spaces, comment lines and the look-alikes O, I, L", () => {
    const value = Uint8Array.from({ length: 32 }, (_, i) => i);
    const share = { authorityId: AUTHORITY, generation: 2, threshold: 3, index: 4, value };
    const code = encodeShare(share);
    const loose = `# a comment\n${code.toLowerCase().replace(/-/g, " ").replace(/0/g, "o")}\n`;
    expect(decodeShare(loose, "paper")).toEqual(share);
    const withOnes = code.replace(/1/g, "l");
    expect(decodeShare(withOnes, "paper").value).toEqual(value);
  });

  it("names a mistyped character at every position", () => {
    const c = ceremony();
    for (let at = 0; at < 80; at++) {
      const error = errorOf(() =>
        checkShare({ text: mistype(c.codes[0], at), source: "s1" }, AUTHORITY, c.seal),
      );
      expect(error.message).toMatch(/^share s1: checksum does not match/);
      expect(error.exitCode).toBe(11);
    }
  });

  it("names a character outside the alphabet, its position and group", () => {
    const c = ceremony();
    const text = `${c.codes[0].slice(0, 7)}U${c.codes[0].slice(8)}`;
    expect(() => decodeShare(text, "card 2")).toThrow(
      /share card 2: character 7 \(group 2\) is "U"/,
    );
  });

  it("names a truncated share with its length", () => {
    const c = ceremony();
    expect(() => decodeShare(c.codes[0].slice(0, -6), "s")).toThrow(/share s has 75 characters/);
  });
});

describe("sealing ceremony", () => {
  it("opens the master from any 3 of 5 shares", () => {
    const c = ceremony();
    for (const picks of [
      [0, 1, 2],
      [4, 2, 0],
      [1, 3, 4],
    ]) {
      const kek = rebuildKek(checked(c, picks), AUTHORITY, c.seal);
      expect(openMaster(c.seal, kek, AUTHORITY, PARAMS)).toEqual(master);
    }
  });

  it("refuses too few shares, saying how many are needed", () => {
    const c = ceremony();
    const error = errorOf(() => rebuildKek(checked(c, [0, 1]), AUTHORITY, c.seal));
    expect(error.message).toBe("2 shares given; unsealing needs 3 of 5");
    expect(error.exitCode).toBe(10);
  });

  it("refuses a duplicated share, naming both sources", () => {
    const c = ceremony();
    const set = checked(c, [0, 1]);
    const twin = checkShare({ text: c.codes[1], source: "copy.txt" }, AUTHORITY, c.seal);
    expect(() => addShare(set, twin)).toThrow(
      "share copy.txt repeats index 2, already given by share-2.txt",
    );
  });

  it("refuses a foreign share, naming both authorities", () => {
    const c = ceremony();
    const foreign = ceremony(5, 3, OTHER_AUTHORITY);
    const error = errorOf(() => checkShare(foreign.inputs[0], AUTHORITY, c.seal));
    expect(error.message).toContain(
      `share share-1.txt (index 1) belongs to authority ${OTHER_AUTHORITY}`,
    );
  });

  it("refuses a share of another threshold", () => {
    const c = ceremony(5, 3);
    const other = ceremony(5, 2);
    expect(() => checkShare(other.inputs[0], AUTHORITY, c.seal)).toThrow(/says threshold 2/);
  });

  it("catches a share altered with a recomputed checksum by the KEK digest", () => {
    const c = ceremony();
    const forged = decodeShare(c.codes[2], "x");
    forged.value[0] ^= 1;
    const text = encodeShare(forged);
    const set = checked(c, [0, 1]);
    addShare(set, checkShare({ text, source: "forged.txt" }, AUTHORITY, c.seal));
    const error = errorOf(() => rebuildKek(set, AUTHORITY, c.seal));
    expect(error.message).toMatch(/shares 1, 2, 3 rebuild a key whose digest does not match/);
    // The verify-all ceremony names the forged one by index.
    const verdicts = verifyShares(
      [...c.inputs.slice(0, 2), { text, source: "forged.txt" }, ...c.inputs.slice(3)],
      AUTHORITY,
      c.seal,
    );
    expect(verdicts.map((v) => [v.index, v.valid])).toEqual([
      [1, true],
      [2, true],
      [3, false],
      [4, true],
      [5, true],
    ]);
    expect(verdicts[2].reason).toMatch(/forged\.txt \(index 3\) does not lie on the KEK/);
  });

  it("reports every share of a ceremony, valid or not, by index", () => {
    const c = ceremony(4, 2);
    const inputs = [
      c.inputs[0],
      { text: mistype(c.codes[1], 30), source: "share-2.txt" },
      c.inputs[2],
      c.inputs[2],
      c.inputs[3],
    ];
    const verdicts = verifyShares(inputs, AUTHORITY, c.seal);
    expect(verdicts.map((v) => v.valid)).toEqual([true, false, true, false, true]);
    expect(verdicts[1].reason).toMatch(/checksum/);
    expect(verdicts[3].reason).toMatch(/repeats index 3/);
  });

  it("makes old shares useless after a rotation", () => {
    const first = ceremony(5, 3, AUTHORITY, 1);
    const kek = rebuildKek(checked(first, [0, 1, 2]), AUTHORITY, first.seal);
    const second = newCustody(
      openMaster(first.seal, kek, AUTHORITY, PARAMS),
      AUTHORITY,
      2,
      5,
      3,
      PARAMS,
    );
    const error = errorOf(() => checkShare(first.inputs[0], AUTHORITY, second.seal));
    expect(error.message).toMatch(/is of KEK generation 1; the store is at generation 2/);
    // Even forcing the old shares past the generation check, the old KEK fails the new digest
    // and the new seal's tag.
    const forced = { ...second.seal, generation: 1 };
    expect(() => openMaster(forced, kek, AUTHORITY, PARAMS)).toThrow(/digest does not match/);
    const newKek = rebuildKek(
      second.codes
        .slice(2)
        .map((text, i) => checkShare({ text, source: `n${i}` }, AUTHORITY, second.seal)),
      AUTHORITY,
      second.seal,
    );
    expect(openMaster(second.seal, newKek, AUTHORITY, PARAMS)).toEqual(master);
  });

  it("refuses a sealed record that was changed, or opened with other parameters (AAD)", () => {
    const c = ceremony();
    const kek = rebuildKek(checked(c, [0, 1, 2]), AUTHORITY, c.seal);
    const tampered = { ...c.seal, sealed: c.seal.sealed.slice() };
    tampered.sealed[3] ^= 0x80;
    expect(() => openMaster(tampered, kek, AUTHORITY, PARAMS)).toThrow(/does not authenticate/);
    // Parameters edited in the store (a bigger ring, keys reordered) no longer match the AAD;
    // the same parameters with their keys in another order still do (canonical JSON).
    expect(() => openMaster(c.seal, kek, AUTHORITY, { ...PARAMS, ring: 9 })).toThrow(
      /does not authenticate/,
    );
    expect(openMaster(c.seal, kek, AUTHORITY, { ring: 8, pool: 64, scheme: "eg" })).toEqual(master);
    // Same KEK digest check passes only with the same authority ID.
    expect(() => openMaster(c.seal, kek, OTHER_AUTHORITY, PARAMS)).toThrow(/digest does not match/);
  });
});
