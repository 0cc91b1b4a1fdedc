// The store's error: a CliError whose exit code is picked by class name, so a command that lets it
// through prints one message, a hint and the documented exit code (provisioning/errors.ts).

import { CliError, EXIT } from "../errors.js";

export type StoreErrorClass = "STORE" | "INVALID_INPUT" | "INTEGRITY" | "SEALED" | "USAGE";

export class StoreError extends CliError {
  constructor(
    readonly kind: StoreErrorClass,
    message: string,
    hint: string,
  ) {
    super(EXIT[kind], message, hint || undefined);
    this.name = "StoreError";
  }
}
