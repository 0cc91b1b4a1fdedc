// Commands of this task area; filled in by its owner.

import type { Command } from "commander";

export function registerStoreCommands(program: Command): void {
  void program;
}
