// The `predist` command line: one commander program; each task area registers its commands from
// provisioning/commands/. Errors the user can cause are CliError (provisioning/errors.ts): printed
// as one message with a hint and a documented exit code; a stack trace only with --debug.

import { Command, CommanderError } from "commander";
import { CliError, EXIT, EXIT_CODE_TABLE } from "./errors.js";
import { registerAuthorityCommands } from "./commands/authority.js";
import { registerStoreCommands } from "./commands/store.js";
import { registerSerialCommands } from "./commands/serial.js";
import { registerSimulateCommands } from "./commands/simulate.js";
import { registerDemoCommands } from "./commands/demo.js";

/** Help headings, by task. Each command file puts its commands under one of these. */
export const GROUP = {
  plan: "Plan a deployment:",
  provision: "Provision nodes:",
  operate: "Operate the authority:",
  inspect: "Inspect:",
} as const;

export function buildProgram(): Command {
  const program = new Command("predist")
    .description(
      "Symmetric key predistribution for wireless sensor networks: plan a deployment, keep the " +
        "key pool under M-of-N custody, flash nodes over serial, simulate the network.",
    )
    .option("--debug", "print stack traces of unexpected errors", false)
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  registerAuthorityCommands(program);
  registerStoreCommands(program);
  registerSerialCommands(program);
  registerSimulateCommands(program);
  registerDemoCommands(program);

  program.addHelpText(
    "after",
    "\nExit codes:\n" +
      EXIT_CODE_TABLE.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join("\n"),
  );
  for (const command of program.commands) {
    command.exitOverride().showSuggestionAfterError(true);
  }
  return program;
}

function wantsDebug(argv: readonly string[]): boolean {
  return argv.includes("--debug");
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return process.exitCode === undefined ? EXIT.OK : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0; commander already printed the message.
      if (error.exitCode === 0) return EXIT.OK;
      return EXIT.USAGE;
    }
    if (error instanceof CliError) {
      process.stderr.write(`predist: error: ${error.message}\n`);
      if (error.hint) process.stderr.write(`  ${error.hint}\n`);
      if (wantsDebug(argv)) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`predist: internal error: ${(error as Error)?.message ?? error}\n`);
    if (wantsDebug(argv)) process.stderr.write(`${(error as Error)?.stack}\n`);
    else process.stderr.write("  rerun with --debug for the stack trace, and report it\n");
    return EXIT.INTERNAL;
  }
}
