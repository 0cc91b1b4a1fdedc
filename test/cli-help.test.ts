// Every command explains itself: `--help` has a description, each flag with its default and two
// examples; a misspelled flag or command exits with the usage code and suggests the closest one.
// Runs the built CLI (bin/predist.js over dist/) as a user would.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Command } from "commander";
import { buildProgram } from "../provisioning/cli.js";
import { EXIT, EXIT_CODE_TABLE } from "../provisioning/errors.js";

function run(args: string[]) {
  const result = spawnSync(process.execPath, ["bin/predist.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every runnable command as its word path, e.g. ["shares", "verify"]. */
function leafCommands(command: Command, path: string[] = []): string[][] {
  const children = command.commands as Command[];
  if (children.length === 0) return [path];
  return children.flatMap((child) => leafCommands(child, [...path, child.name()]));
}

const commands = leafCommands(buildProgram()).filter((path) => path.length > 0);

describe("predist --help", () => {
  it("lists the commands by task and the exit-code table", () => {
    const { status, stdout } = run(["--help"]);
    expect(status).toBe(0);
    for (const heading of [
      "Plan a deployment:",
      "Provision nodes:",
      "Operate the authority:",
      "Inspect:",
    ]) {
      expect(stdout).toContain(heading);
    }
    for (const [code, text] of EXIT_CODE_TABLE) {
      expect(stdout).toContain(`${String(code).padStart(2)}  ${text}`);
    }
  });

  it("suggests the closest command for a misspelled one", () => {
    const { status, stderr } = run(["simulat"]);
    expect(status).toBe(EXIT.USAGE);
    expect(stderr).toMatch(/unknown command 'simulat'/);
    expect(stderr).toMatch(/Did you mean simulate\?/);
  });
});

describe.each(commands.map((path) => [path.join(" "), path] as const))("predist %s", (_, path) => {
  const help = run([...path, "--help"]);
  const command = path.reduce<Command>(
    (parent, name) => (parent.commands as Command[]).find((c) => c.name() === name)!,
    buildProgram(),
  );

  it("--help has a description, defaults for every flag, and two examples", () => {
    expect(help.status).toBe(0);
    expect(command.description().length).toBeGreaterThan(20);
    for (const option of command.options) {
      if (option.long === "--help") continue;
      const documented =
        option.defaultValue !== undefined ||
        option.mandatory ||
        /default|required/i.test(option.description);
      expect(documented, `${option.long} states its default`).toBe(true);
    }
    const examples = help.stdout.split("Examples:")[1] ?? "";
    const exampleLines = examples.split("\n").filter((line) => /^\s+\$? ?predist /.test(line));
    expect(exampleLines.length, "two examples").toBeGreaterThanOrEqual(2);
  });

  it("a misspelled flag exits with the usage code and names the flag", () => {
    const longest =
      command.options
        .map((option) => option.long ?? "")
        .filter((name) => name.length > 5 && name !== "--help")
        .sort((a, b) => b.length - a.length)[0] ?? "--json";
    const misspelled = longest.slice(0, -1);
    // Required options are checked first, so give each a plausible value.
    const required = command.options
      .filter((option) => option.mandatory && option.long)
      .flatMap((option) => [option.long!, "1"]);
    const { status, stderr } = run([...path, ...required, misspelled]);
    expect(status).toBe(EXIT.USAGE);
    expect(stderr).toContain(misspelled);
    expect(stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace without --debug
  });
});
