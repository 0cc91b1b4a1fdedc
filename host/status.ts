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
  [32, "the active image's header or layout is not valid"],
  [33, "the active image's CRC-32 does not match"],
  [34, "the active image's trailer tag does not verify"],
  [35, "a frame's length or fields do not match its type"],
  [36, "a frame for another node, or from this node's own ID"],
  [37, "a HELLO announces another scheme"],
  [38, "a handshake message out of order, stale or unexpected"],
  [39, "no (or too few) shared keys with the neighbour"],
  [40, "a selected key ID is not in this node's ring"],
  [41, "a handshake tag or secure frame did not verify"],
  [42, "a secure frame's seq was seen or is behind the replay window"],
  [43, "no secure link with that neighbour"],
  [44, "the node or key is revoked"],
  [45, "a disclosed chain key does not hash to the verified chain"],
  [46, "a revocation for an interval already disclosed"],
  [47, "a frame already processed"],
  [48, "a frame type this node does not know"],
  [49, "a revocation for an interval beyond what the chain can verify"],
  [64, "a flash read, write or erase failed on the node"],
  [65, "the node's flash cannot hold two image slots and the commit records"],
  [66, "the image length is zero or larger than a slot"],
  [67, "no transfer was begun: write or commit before begin"],
  [68, "a write goes past the staged image's length"],
  [69, "the staged image does not hash to the digest named at begin"],
  [70, "the image's CRC-32 trailer does not hold"],
  [71, "the image's CMAC trailer does not verify under its node key"],
  [72, "the node does not speak the requested flash protocol version"],
  [73, "the node does not accept this command in its current state"],
  [74, "the frame's length does not match its command"],
  [75, "the node does not know this command"],
  [76, "the write is not at the node's next offset"],
  [77, "commit before every byte of the image arrived"],
  [78, "the node has no active image to check"],
  [79, "the check named a ring index outside the node's ring"],
]);

/** Text for a firmware status code; unknown codes are named by number. */
export function statusText(code: number): string {
  return STATUS_TEXT.get(code) ?? `unknown node status ${code}`;
}
