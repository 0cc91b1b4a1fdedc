// The README's guided tour is executed, so it cannot drift from the code. Every ```console
// block is a script: a line `$ predist ...` is a command, the lines after it (up to the next
// command or the end of the block) its expected output. A command ending in `# output varies` is
// only checked for exit status 0; one ending in `&` runs in the background until the tour ends
// (it must print "ready:" first). All commands run in one scratch folder, in order.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const CLI = resolve("bin/predist.js");
const VARIES = /\s+# output varies$/;

interface TourCommand {
  line: string;
  args: string[];
  expected: string | undefined;
  background: boolean;
}

/** Splits a command line into words; double quotes group words (no escapes in the README). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

export function tourCommands(markdown: string): TourCommand[] {
  const commands: TourCommand[] = [];
  for (const block of markdown.matchAll(/```console\n([\s\S]*?)```/g)) {
    let current: { line: string; output: string[] } | undefined;
    const flush = () => {
      if (!current) return;
      const varies = VARIES.test(current.line);
      let line = current.line.replace(VARIES, "");
      const background = line.endsWith(" &");
      if (background) line = line.slice(0, -2);
      commands.push({
        line,
        args: words(line).slice(1),
        expected: varies || background ? undefined : current.output.join("\n"),
        background,
      });
    };
    for (const text of block[1].replace(/\n$/, "").split("\n")) {
      if (text.startsWith("$ predist ")) {
        flush();
        current = { line: text.slice(2), output: [] };
      } else if (current) {
        current.output.push(text);
      }
    }
    flush();
  }
  return commands;
}

const normalize = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim();

const commands = tourCommands(readFileSync("README.md", "utf8"));
const scratch = mkdtempSync(join(tmpdir(), "predist-tour-"));
const background: ChildProcess[] = [];

afterAll(() => {
  for (const child of background) child.kill("SIGTERM");
});

function startBackground(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: scratch,
    env: { ...process.env, NO_COLOR: "1" },
  });
  background.push(child);
  return new Promise((ready, fail) => {
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("ready:")) ready();
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("exit", (code) => fail(new Error(`exited with ${code}: ${output}`)));
  });
}

describe("README guided tour", () => {
  it("has commands to run", () => {
    expect(commands.length).toBeGreaterThanOrEqual(8);
  });

  for (const command of commands) {
    it(
      command.line,
      async () => {
        if (command.background) {
          await startBackground(command.args);
          return;
        }
        const result = spawnSync(process.execPath, [CLI, ...command.args], {
          cwd: scratch,
          encoding: "utf8",
          env: { ...process.env, NO_COLOR: "1", COLUMNS: "100" },
        });
        expect(result.status, result.stderr).toBe(0);
        if (command.expected !== undefined) {
          expect(normalize(result.stdout)).toBe(normalize(command.expected));
        }
      },
      120_000,
    );
  }
});
