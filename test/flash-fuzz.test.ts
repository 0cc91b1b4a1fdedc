// 20,000 seeded random and mutated frames into the real firmware's flash receiver (the 1,000,000
// run is `npm run fuzz`): no trap, and the committed image is always one sent whole and verified.

import { describe, expect, it } from "vitest";
import { fuzzReceiver } from "../bench/flash.fuzz.js";

describe("flash receiver fuzz", () => {
  it("survives 20,000 random and mutated frames and never commits an unverified image", () => {
    const outcome = fuzzReceiver(20_000, "suite");
    expect(outcome.crashes).toBe(0);
    // The receiver answered many frames (mutations with a valid CRC get answers).
    expect(outcome.answers).toBeGreaterThan(5_000);
    // The interleaved valid sessions did commit, so the deep states were reached.
    expect(outcome.commits).toBeGreaterThan(0);
    expect(outcome.activeIsSent).toBe(true);
    expect(outcome.slotMatches).toBe(true);
  }, 120_000);
});
