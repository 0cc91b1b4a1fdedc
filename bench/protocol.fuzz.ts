// `npm run fuzz`: 1,000,000 random and mutated radio frames through every handler of the real
// firmware (host/protocol/fuzz.ts; the suite's test/protocol-fuzz.test.ts runs 20,000 each).
// One figure per handler: inputs, crashes, bad statuses, table errors, key leaks, frames sent.
import type { Report } from "./harness.js";
import { fuzzProtocol, HANDLERS } from "../host/protocol/fuzz.js";

const TOTAL = 1_000_000;

export default async (report: Report) => {
  const perHandler = Math.ceil(TOTAL / HANDLERS.length);
  for (const handler of HANDLERS) {
    const start = performance.now();
    const [outcome] = fuzzProtocol(perHandler, `bench-fuzz-${handler}`, [handler]);
    report({
      bench: `protocol.fuzz.${handler}`,
      ...outcome,
      tableErrors: outcome.tableErrors.slice(0, 4),
      ok:
        outcome.crashes === 0 &&
        outcome.badStatuses === 0 &&
        outcome.tableErrors.length === 0 &&
        outcome.leaks === 0,
      seconds: (performance.now() - start) / 1000,
    });
  }
};
