// `npm run fuzz`: every bench/*.fuzz.ts module, with its full iteration counts.
import { runAll } from "./harness.js";

await runAll(".fuzz.js", process.argv[2]);
