#!/usr/bin/env node
// The `predist` command. The TypeScript sources compile to dist/ with `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/provisioning/cli.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("predist: not built yet; run `npm run build` in the predist folder first\n");
  process.exit(1);
}
// A closed pipe (`predist log | head`) ends the command quietly, as for any Unix tool.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
