// Runs every module in dist/bench/ whose name ends in a suffix (".bench.js" for `npm run bench`,
// ".fuzz.js" for `npm run fuzz`). Each module's default export receives `report`, which prints
// one figure as one JSON line. An argument narrows the run to modules whose name starts with it.

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type Report = (figure: Record<string, unknown>) => void;

export async function runAll(suffix: string, only?: string): Promise<void> {
  const report: Report = (figure) => process.stdout.write(`${JSON.stringify(figure)}\n`);
  const here = fileURLToPath(new URL(".", import.meta.url));
  const modules = readdirSync(here)
    .filter((name) => name.endsWith(suffix))
    .filter((name) => only === undefined || name.startsWith(only))
    .sort();
  for (const name of modules) {
    const module = (await import(new URL(name, import.meta.url).href)) as {
      default: (report: Report) => Promise<void> | void;
    };
    await module.default(report);
  }
}
