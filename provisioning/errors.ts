// Exit codes and the error type every command throws for a failure the user can act on. The
// table is printed by `predist --help` and in the README; codes never change meaning.

export const EXIT = {
  OK: 0,
  /** An unexpected internal failure (a bug): rerun with --debug and report it. */
  INTERNAL: 1,
  /** Wrong command line: unknown command or flag, missing or malformed value. */
  USAGE: 2,
  /** A file or parameter was read but is not valid (bad image, impossible scheme parameters). */
  INVALID_INPUT: 3,
  /** The serial port does not exist or cannot be opened. */
  NO_DEVICE: 4,
  /** The node did not answer the first exchange, or speaks another protocol version. */
  SYNC_FAILED: 5,
  /** The transfer failed after its bounded retries (timeouts, line errors, cable pulled). */
  TRANSFER_FAILED: 6,
  /** The node's read-back digest or end-of-line proof does not match what was sent. */
  VERIFY_MISMATCH: 7,
  /** The node answered with a refusal status. */
  NODE_REFUSED: 8,
  /** The store is missing, locked, of another schema version, or not writable. */
  STORE: 9,
  /** The authority is sealed, or the shares given cannot unseal it. */
  SEALED: 10,
  /** An integrity check failed: the journal chain, a share checksum, a sealed record. */
  INTEGRITY: 11,
  /** No scheme or parameter set satisfies the requested constraints. */
  NO_FIT: 12,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One line each, for `predist --help` and the README's table. */
export const EXIT_CODE_TABLE: readonly [number, string][] = [
  [EXIT.OK, "success"],
  [EXIT.INTERNAL, "internal error (a bug): rerun with --debug and report it"],
  [EXIT.USAGE, "usage: unknown command or flag, missing or malformed value"],
  [EXIT.INVALID_INPUT, "invalid input: a file or parameter is not valid"],
  [EXIT.NO_DEVICE, "no device: the serial port does not exist or cannot be opened"],
  [EXIT.SYNC_FAILED, "sync failed: no answer to the first exchange, or another protocol version"],
  [EXIT.TRANSFER_FAILED, "transfer failed after bounded retries"],
  [EXIT.VERIFY_MISMATCH, "verify mismatch: read-back digest or end-of-line proof is wrong"],
  [EXIT.NODE_REFUSED, "node refused: the node answered with a refusal status"],
  [EXIT.STORE, "store error: database missing, locked, or of another schema version"],
  [EXIT.SEALED, "sealed: the authority is sealed or the shares cannot unseal it"],
  [EXIT.INTEGRITY, "integrity failure: journal chain, share checksum or sealed record"],
  [EXIT.NO_FIT, "no fit: no scheme or parameters satisfy the constraints"],
];

/**
 * A failure the user can act on: `message` names what was wrong and the value given, `hint` says
 * what to do. Never put key bytes in either.
 */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}
