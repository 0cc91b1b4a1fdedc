// Firmware status codes (assembly/status.ts) translated to text for the host. Keep the two
// tables in step: a test compares them.

export const STATUS_TEXT: ReadonlyMap<number, string> = new Map([
  [0, "ok"],
  [1, "a (pointer, length) pair leaves the node's memory"],
  [2, "a length is zero where data is needed, or too large"],
  [3, "an argument is out of its range"],
  [4, "the node is unprovisioned (no valid image)"],
  [5, "the node is busy: the operation cannot start in its current state"],
  [6, "a fixed-size table or buffer on the node is full"],
  [7, "a hardware (HAL) call failed on the node"],
  [16, "authentication failed (invalid tag)"],
  [17, "a streaming crypto call came out of order or went past its declared length"],
]);

/** Text for a firmware status code; unknown codes are named by number. */
export function statusText(code: number): string {
  return STATUS_TEXT.get(code) ?? `unknown node status ${code}`;
}
