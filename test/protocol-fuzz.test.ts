// Fuzzing every radio handler of the real firmware (host/protocol/fuzz.ts): 20,000 seeded random
// and mutated inputs per handler, valid frames and clock steps mixed in. No input traps, every
// status is a firmware code, the neighbour table stays consistent, and no frame the node sends
// carries a ring key, the node key or another pool key. bench/protocol.fuzz.ts runs 1,000,000.

import { describe, expect, it } from "vitest";
import { fuzzProtocol, HANDLERS } from "../host/protocol/fuzz.js";

const PER_HANDLER = Number(process.env.PROTOCOL_FUZZ_INPUTS ?? 20_000);

describe("radio handler fuzzing", () => {
  for (const handler of HANDLERS) {
    it(`${handler}: ${PER_HANDLER} inputs, no trap, table consistent, no key in output`, () => {
      const [outcome] = fuzzProtocol(PER_HANDLER, `fuzz-${handler}`, [handler]);
      expect(outcome.inputs).toBe(PER_HANDLER);
      expect(outcome.crashes).toBe(0);
      expect(outcome.badStatuses).toBe(0);
      expect(outcome.tableErrors).toEqual([]);
      expect(outcome.leaks).toBe(0);
      // The node kept working between inputs: it sent frames, and it accepted the valid frames
      // of the handlers whose valid frames can be accepted (fresh HELLO, LINK_INIT, DATA under
      // the link key, the next chain key) at least now and then.
      expect(outcome.framesSent).toBeGreaterThan(0);
      if (["hello", "linkInit", "data", "revoke", "disclose"].includes(handler)) {
        expect(outcome.validAccepted).toBeGreaterThan(outcome.valid / 10);
      }
    }, 120_000);
  }
});
