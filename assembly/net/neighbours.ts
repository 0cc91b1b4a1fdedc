// The neighbour table: NEIGHBOURS_MAX fixed entries of ENTRY_LEN bytes in static memory, one per
// node heard. An entry holds the discovery result (shared key IDs), the handshake state and
// nonces, the confirmation and link keys, the frame counters and replay window, and a path key
// while one is in use. Entries are found by linear search (32 entries: cheaper than keeping them
// sorted). Keys in an entry are wiped when the entry's link is dropped or the entry is freed.

import { NEIGHBOURS_MAX, SELECT_MAX, NONCE_LEN, KEY_LEN } from "./config";
import { wipe } from "../crypto/index";

/** Handshake states (docs/protocol.md, "Link handshake"); FREE marks an unused entry. */
export const STATE_FREE: u8 = 0;
export const STATE_HEARD: u8 = 1;
export const STATE_NO_KEY: u8 = 2;
export const STATE_WAIT_RESP: u8 = 3;
export const STATE_WAIT_CONFIRM: u8 = 4;
export const STATE_IDLE: u8 = 5;

/** Entry flags. */
export const F_LINKED: u8 = 0x01; // the link key is valid
export const F_HELLO_DONE: u8 = 0x02; // every part of the neighbour's HELLO arrived
export const F_PATH_KEY: u8 = 0x04; // a path key for this neighbour is held
export const F_REVOKED: u8 = 0x10; // the neighbour's node ID is revoked
export const F_SEL_FULL: u8 = 0x20; // more shared key IDs than SELECT_MAX were announced
export const F_REKEY: u8 = 0x40; // a linked neighbour began a new discovery round: re-key

// Entry layout.
export const E_ID: usize = 0; // u32
export const E_STATE: usize = 4; // u8
export const E_FLAGS: usize = 5; // u8
export const E_MODE: usize = 6; // u8: MODE_PAIR or MODE_PATH of the current link
export const E_SEL_COUNT: usize = 7; // u8
export const E_SEL: usize = 8; // SELECT_MAX x u32 shared key IDs, ascending
export const E_HELLO_NONCE: usize = E_SEL + <usize>(SELECT_MAX * 4);
export const E_PARTS_MASK: usize = E_HELLO_NONCE + <usize>NONCE_LEN; // u16
export const E_PARTS_TOTAL: usize = E_PARTS_MASK + 2; // u8
export const E_NI: usize = E_PARTS_MASK + 4;
export const E_NR: usize = E_NI + <usize>NONCE_LEN;
export const E_CONFIRM_KEY: usize = E_NR + <usize>NONCE_LEN;
export const E_PENDING_KEY: usize = E_CONFIRM_KEY + <usize>KEY_LEN;
export const E_LINK_KEY: usize = E_PENDING_KEY + <usize>KEY_LEN;
export const E_PATH_KEY: usize = E_LINK_KEY + <usize>KEY_LEN;
export const E_TX_SEQ: usize = E_PATH_KEY + <usize>KEY_LEN; // u32
export const E_RX_SEQ: usize = E_TX_SEQ + 4; // u32
export const E_RX_MASK: usize = E_RX_SEQ + 4; // u32
/** u32 clock ms: end of the handshake under way, or (NO_KEY) when the next path request may go. */
export const E_DEADLINE: usize = E_RX_MASK + 4;
/** u32 bit mask of table indices already asked for a path key to this neighbour. */
export const E_PATH_ASKED: usize = E_DEADLINE + 4;
export const ENTRY_LEN: i32 = <i32>E_PATH_ASKED + 4;

const table = memory.data(NEIGHBOURS_MAX * ENTRY_LEN, 16);

export function entryAt(index: i32): usize {
  return table + <usize>(index * ENTRY_LEN);
}

export function entryId(e: usize): u32 {
  return load<u32>(e + E_ID);
}

export function entryState(e: usize): u8 {
  return load<u8>(e + E_STATE);
}

export function setState(e: usize, state: u8): void {
  store<u8>(e + E_STATE, state);
}

export function hasFlag(e: usize, flag: u8): bool {
  return (load<u8>(e + E_FLAGS) & flag) != 0;
}

export function setFlag(e: usize, flag: u8): void {
  store<u8>(e + E_FLAGS, load<u8>(e + E_FLAGS) | flag);
}

export function clearFlag(e: usize, flag: u8): void {
  store<u8>(e + E_FLAGS, load<u8>(e + E_FLAGS) & ~flag);
}

/** The entry for node `id`, or 0. */
export function findEntry(id: u32): usize {
  for (let i = 0; i < NEIGHBOURS_MAX; i++) {
    const e = entryAt(i);
    if (entryState(e) != STATE_FREE && entryId(e) == id) return e;
  }
  return 0;
}

/** The entry for node `id`, created in HEARD when new; 0 when the table is full. */
export function findOrAddEntry(id: u32): usize {
  const found = findEntry(id);
  if (found != 0) return found;
  for (let i = 0; i < NEIGHBOURS_MAX; i++) {
    const e = entryAt(i);
    if (entryState(e) == STATE_FREE) {
      wipe(e, ENTRY_LEN);
      store<u32>(e + E_ID, id);
      setState(e, STATE_HEARD);
      return e;
    }
  }
  return 0;
}

/** Wipes the handshake secrets (confirmation and pending keys) of an entry. */
export function wipeHandshake(e: usize): void {
  // E_PENDING_KEY follows E_CONFIRM_KEY: one wipe covers both.
  wipe(e + E_CONFIRM_KEY, 2 * KEY_LEN);
}

/** Drops the entry's link: the link key and counters are wiped, the entry stays known. */
export function dropLink(e: usize): void {
  wipeHandshake(e);
  wipe(e + E_LINK_KEY, KEY_LEN);
  wipeCounters(e);
  clearFlag(e, F_LINKED);
}

/** E_TX_SEQ, E_RX_SEQ and E_RX_MASK: three adjacent u32. */
const COUNTERS_LEN: i32 = 12;

/** Zeroes the link's tx seq, rx seq and replay mask. */
export function wipeCounters(e: usize): void {
  wipe(e + E_TX_SEQ, COUNTERS_LEN);
}

export function wipePathKey(e: usize): void {
  wipe(e + E_PATH_KEY, KEY_LEN);
  clearFlag(e, F_PATH_KEY);
}

/** Frees every entry, wiping all keys. */
export function clearTable(): void {
  wipe(table, NEIGHBOURS_MAX * ENTRY_LEN);
}

export function countEntries(linkedOnly: bool): i32 {
  let n = 0;
  for (let i = 0; i < NEIGHBOURS_MAX; i++) {
    const e = entryAt(i);
    if (entryState(e) == STATE_FREE) continue;
    if (!linkedOnly || hasFlag(e, F_LINKED)) n++;
  }
  return n;
}
