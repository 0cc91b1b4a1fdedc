// `npm run bench`: every bench/*.bench.ts module, figures as JSON lines.
import { runAll } from "./harness.js";

await runAll(".bench.js", process.argv[2]);
