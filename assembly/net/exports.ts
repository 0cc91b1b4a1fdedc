// The node protocols' exports for the runtime (docs/protocol.md, "Secure frames"): send data to
// a linked neighbour, take delivered data, read counters and the neighbour table (never a key
// byte), and the AES block counter of docs/hal.md. Each export bounds its (pointer, length) pairs
// and answers with a status code; none allocates. AES blocks are the crypto core's own counter
// (every block aesEncryptBlock encrypts), reset at boot.

import { validRegion } from "../memory";
import { ERR_BAD_POINTER, ERR_BAD_ARGUMENT, ERR_BAD_LENGTH } from "../status";
import { NEIGHBOURS_MAX, DATA_PAYLOAD_MAX } from "./config";
import { netSend, netRecv, netMyId, framesSent, bytesSent, framesDropped, deliveryLost,
  lastError } from "./node";
import { aesBlockCount } from "../crypto/index";
import { ringStatus, ringCount } from "../ring/store";
import { entryAt, entryId, entryState, countEntries, E_FLAGS, E_MODE, E_SEL_COUNT,
  ENTRY_LEN } from "./neighbours";
import { putU32 } from "./bytes";
import { revocationsApplied, imageRewrites } from "./revoke";

/** net_status selectors. */
export const STATUS_RING: i32 = 0; // OK or why the image was refused
export const STATUS_NODE_ID: i32 = 1;
export const STATUS_NEIGHBOURS: i32 = 2;
export const STATUS_LINKED: i32 = 3;
export const STATUS_AES_BLOCKS: i32 = 4;
export const STATUS_FRAMES_SENT: i32 = 5;
export const STATUS_BYTES_SENT: i32 = 6;
export const STATUS_FRAMES_DROPPED: i32 = 7;
export const STATUS_RAM_BYTES: i32 = 8; // end of static data in the page
export const STATUS_LAST_ERROR: i32 = 9;
export const STATUS_RING_KEYS: i32 = 10;
export const STATUS_DELIVERY_LOST: i32 = 11;
export const STATUS_REVOCATIONS: i32 = 12;
export const STATUS_IMAGE_REWRITES: i32 = 13;
export const STATUS_ENTRY_LEN: i32 = 14;

/** Bytes net_peer writes. */
export const PEER_INFO_LEN: i32 = 8;

export function net_send(dest: u32, ptr: usize, len: i32): i32 {
  if (len < 0 || len > DATA_PAYLOAD_MAX) return ERR_BAD_LENGTH;
  if (!validRegion(ptr, len, DATA_PAYLOAD_MAX)) return ERR_BAD_POINTER;
  return netSend(dest, ptr, len);
}

export function net_recv(out: usize, maxLen: i32): i32 {
  if (maxLen < 0 || !validRegion(out, maxLen, 65536)) return -ERR_BAD_POINTER;
  return netRecv(out, maxLen);
}

export function net_status(what: i32): i32 {
  switch (what) {
    case STATUS_RING: return ringStatus();
    case STATUS_NODE_ID: return <i32>netMyId();
    case STATUS_NEIGHBOURS: return countEntries(false);
    case STATUS_LINKED: return countEntries(true);
    case STATUS_AES_BLOCKS: return <i32>aesBlockCount();
    case STATUS_FRAMES_SENT: return <i32>framesSent;
    case STATUS_BYTES_SENT: return <i32>bytesSent;
    case STATUS_FRAMES_DROPPED: return <i32>framesDropped;
    case STATUS_RAM_BYTES: return <i32>__heap_base;
    case STATUS_LAST_ERROR: return lastError;
    case STATUS_RING_KEYS: return ringCount();
    case STATUS_DELIVERY_LOST: return <i32>deliveryLost;
    case STATUS_REVOCATIONS: return <i32>revocationsApplied;
    case STATUS_IMAGE_REWRITES: return <i32>imageRewrites;
    case STATUS_ENTRY_LEN: return ENTRY_LEN;
  }
  return -ERR_BAD_ARGUMENT;
}

/** Entry `index` as id (u32 BE) | state | flags | mode | selector count; 0 when free. */
export function net_peer(index: i32, out: usize): i32 {
  if (index < 0 || index >= NEIGHBOURS_MAX) return -ERR_BAD_ARGUMENT;
  if (!validRegion(out, PEER_INFO_LEN, PEER_INFO_LEN)) return -ERR_BAD_POINTER;
  const e = entryAt(index);
  if (entryState(e) == 0) return 0;
  putU32(out, entryId(e));
  store<u8>(out + 4, entryState(e));
  store<u8>(out + 5, load<u8>(e + E_FLAGS));
  store<u8>(out + 6, load<u8>(e + E_MODE));
  store<u8>(out + 7, load<u8>(e + E_SEL_COUNT));
  return PEER_INFO_LEN;
}

/** AES block encryptions since boot (docs/hal.md), the image check at boot included. */
export function aes_blocks(): i32 {
  return <i32>aesBlockCount();
}
