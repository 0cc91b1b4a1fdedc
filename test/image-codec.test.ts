// Image codec (docs/image-format.md): round trip, the documented offsets and sizes rebuilt by hand
// from the format table, every single-byte corruption and every truncation rejected, the LEAP
// erasable region's two valid states, and the encoder's size limit.

import { describe, expect, it } from "vitest";
import { cmac, crc32, mmoHash } from "../host/crypto/index.js";
import {
  IMAGE_MAX_LEN,
  ImageError,
  type ImageContent,
  decodeImage,
  describeImage,
  encodeImage,
  imageDigest,
  imageLenOf,
} from "../host/image/index.js";
import { buildImage, createAuthority } from "../host/authority/index.js";

const filled = (byte: number, len = 16) => new Uint8Array(len).fill(byte);

function egContent(records = 3): ImageContent {
  return {
    scheme: "eg",
    nodeId: 0x01020304,
    poolSize: 100_000,
    ringSize: records,
    threshold: 1,
    lanes: 0,
    draws: records + 2,
    seeded: true,
    ringSeed: filled(0x5a),
    records: Array.from({ length: records }, (_, i) => ({
      id: (records > 100 ? 50_000 : 900) - 7 * i,
      key: filled(i + 1),
    })),
    nodeKey: filled(0xa1),
    anchor: {
      commitment: filled(0xc0),
      startMs: 1_700_000_000_000,
      intervalMs: 250,
      chainLength: 77,
    },
  };
}

const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

describe("layout (docs/image-format.md tables)", () => {
  const image = encodeImage(egContent());

  it("places every header field and section where the format table says", () => {
    // Header 96 + node key 16 + anchor 32 = 144 = ring offset; 3 records of 20; trailer 20.
    expect(image.length).toBe(96 + 16 + 32 + 3 * 20 + 20);
    expect(Array.from(image.subarray(0, 4))).toEqual([0x50, 0x44, 0x4b, 0x49]); // "PDKI"
    expect(image[4] | (image[5] << 8)).toBe(1);
    expect(image[6]).toBe(2); // eg
    expect(image[7]).toBe(1); // seeded
    expect(u32(image, 8)).toBe(0x01020304);
    expect(u32(image, 12)).toBe(image.length);
    expect(u32(image, 16)).toBe(100_000);
    expect(u32(image, 20)).toBe(0); // high half of the u64 pool size
    expect(u32(image, 44)).toBe(3);
    expect(u32(image, 48)).toBe(20);
    expect(u32(image, 52)).toBe(144);
    expect(u32(image, 56)).toBe(96);
    expect(u32(image, 60)).toBe(112);
    expect(Array.from(image.subarray(72, 88))).toEqual(Array(16).fill(0x5a));
    expect(Array.from(image.subarray(96, 112))).toEqual(Array(16).fill(0xa1));
    // Records sorted by key ID: 886, 893, 900 with the keys given for them.
    expect([u32(image, 144), u32(image, 164), u32(image, 184)]).toEqual([886, 893, 900]);
    expect(image[148]).toBe(3);
    expect(image[188]).toBe(1);
  });

  it("trailer: CRC-32 over all before it, CMAC under K_node over all before the tag", () => {
    const end = image.length;
    expect(u32(image, end - 20)).toBe(crc32(image.subarray(0, end - 20)));
    expect(image.subarray(end - 16)).toEqual(cmac(filled(0xa1), image.subarray(0, end - 16)));
  });

  it("digest is the MMO hash of the whole image", () => {
    expect(imageDigest(image)).toEqual(mmoHash(image));
  });

  it("sizes follow 164 + R * L (format doc, Size)", () => {
    expect(imageLenOf("eg", 200)).toBe(4164);
    expect(imageLenOf("full", 999)).toBe(20144);
    expect(imageLenOf("polypool", 4, 50, 5)).toBe(164 + 4 * (4 + 4 * 5 * 51));
    expect(imageLenOf("leap", 1)).toBe(220);
  });
});

describe("round trip and rejection", () => {
  const authority = createAuthority({ scheme: "leap", insecureSeed: "image-codec" });
  const images: [string, Uint8Array][] = [
    ["eg", encodeImage(egContent(5))],
    ["leap", buildImage(authority, 42)],
    [
      "polypool",
      buildImage(
        createAuthority({
          scheme: "polypool",
          polynomials: 9,
          perNode: 2,
          degree: 3,
          insecureSeed: "image-codec",
        }),
        5,
      ),
    ],
  ];

  it("decodes what it encodes", () => {
    const content = egContent(5);
    const decoded = decodeImage(encodeImage(content), { nodeKey: content.nodeKey });
    expect(decoded.nodeId).toBe(content.nodeId);
    expect(decoded.records.map((r) => r.id)).toEqual([872, 879, 886, 893, 900]);
    expect(decoded.records[4].key).toEqual(filled(1));
    expect(decoded.anchor).toEqual(content.anchor);
    expect(decoded.draws).toBe(7);
    expect(decoded.ringSeed).toEqual(filled(0x5a));
  });

  for (const [name, image] of images) {
    it(`${name}: rejects every single-byte change at every offset`, () => {
      let accepted = 0;
      for (let offset = 0; offset < image.length; offset++) {
        for (const delta of [0x01, 0x80, 0xff]) {
          const copy = image.slice();
          copy[offset] ^= delta;
          try {
            decodeImage(copy);
            accepted++;
          } catch (error) {
            expect(error).toBeInstanceOf(ImageError);
          }
        }
      }
      expect(accepted).toBe(0);
    });

    it(`${name}: rejects every truncation and an extension`, () => {
      for (let len = 0; len < image.length; len++) {
        expect(() => decodeImage(image.subarray(0, len))).toThrow(ImageError);
      }
      const longer = new Uint8Array(image.length + 1);
      longer.set(image);
      expect(() => decodeImage(longer)).toThrow(/length/);
    });
  }

  it("LEAP: the erased region (36 zero bytes) is valid, a half-erased one is not", () => {
    const image = buildImage(authority, 42);
    const decoded = decodeImage(image);
    expect(decoded.initialKeyState).toBe("present");
    expect(decoded.initialKey).toEqual(authority.initialKey());
    const erased = image.slice();
    erased.fill(0, 144, 180);
    expect(decodeImage(erased).initialKeyState).toBe("erased");
    expect(decodeImage(erased).initialKey).toBeUndefined();
    const half = image.slice();
    half.fill(0, 144, 160);
    expect(() => decodeImage(half)).toThrow(/K_IN region/);
  });

  it("rejects the wrong expected node key without printing key bytes", () => {
    const image = encodeImage(egContent());
    try {
      decodeImage(image, { nodeKey: filled(0xa2) });
      expect.unreachable();
    } catch (error) {
      expect((error as ImageError).reason).toBe("node-key");
      expect((error as Error).message).not.toMatch(/a1a1|a2a2/i);
    }
  });

  it("describeImage prints no key byte", () => {
    const text = JSON.stringify(describeImage(decodeImage(encodeImage(egContent()))));
    expect(text).not.toMatch(/a1a1a1|c0c0c0|010101/);
  });
});

describe("encoder limits", () => {
  it("refuses an image over 32,768 bytes, naming scheme, parameters and size", () => {
    // 1,631 records: 164 + 32,620 = 32,784 > 32,768 (1,630 gives 32,764 and fits).
    expect(() => encodeImage(egContent(1631))).toThrow(RangeError);
    expect(() => encodeImage(egContent(1631))).toThrow(/scheme eg.*32784 bytes.*32768/);
    expect(encodeImage(egContent(1630)).length).toBe(32764);
    expect(IMAGE_MAX_LEN).toBe(32768);
  });

  it("refuses reserved node IDs and duplicate record IDs", () => {
    expect(() => encodeImage({ ...egContent(), nodeId: 0 })).toThrow(/nodeId/);
    expect(() => encodeImage({ ...egContent(), nodeId: 0xffffffff })).toThrow(/nodeId/);
    const content = egContent(2);
    content.records[1].id = content.records[0].id;
    expect(() => encodeImage(content)).toThrow(/twice/);
  });
});

describe("imageTag (the trailer's CMAC through node:crypto CBC)", () => {
  it(
    "equals host/crypto cmac (noble, RFC 4493) for every length" + " 0..80 and a 4 KiB image",
    async () => {
      const { imageTag } = await import("../host/image/index.js");
      const key = Uint8Array.from({ length: 16 }, (_, i) => 0x2b + i);
      for (const len of [...Array.from({ length: 81 }, (_, i) => i), 4144]) {
        const message = Uint8Array.from({ length: len }, (_, i) => (i * 31 + 7) & 0xff);
        expect(imageTag(key, message)).toEqual(cmac(key, message));
      }
    },
  );
});
