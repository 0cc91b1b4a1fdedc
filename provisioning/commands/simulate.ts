// Commands of this task area; filled in by its owner.

import type { Command } from "commander";

export function registerSimulateCommands(program: Command): void {
  void program;
}
