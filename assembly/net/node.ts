// The node protocols' event handlers (docs/protocol.md): boot, one dispatch over the radio frame
// types, and the timers. Discovery (HELLO), the three-message link handshake, secure frames
// (AES-CCM* with a per-link seq and replay window), path keys and the delivery queue read by the
// net_recv export. Every handler bounds its frame before reading it and answers with a status
// code; nothing allocates, nothing recurses.
//
// Threat model limits: node and key IDs travel in clear; a path key is known to every node on its
// path; flooding can evict neighbour entries (the table is bounded, never overrun).

import { radioSend, randomFill, clockMs, timerStart } from "../hal";
import { OK, ERR_UNPROVISIONED, ERR_NO_SPACE, ERR_BAD_LENGTH, ERR_HAL, ERR_NET_MALFORMED,
  ERR_NET_NOT_FOR_US, ERR_NET_SCHEME, ERR_NET_STATE, ERR_NET_NO_SHARED_KEY, ERR_NET_UNKNOWN_KEY,
  ERR_NET_TAG, ERR_NET_REPLAY, ERR_NET_NOT_LINKED, ERR_NET_DUPLICATE, ERR_NET_UNKNOWN_TYPE,
  ERR_NET_REVOKED } from "../status";
import { constantTimeEqual, wipe, cmac, cmacInit, cmacUpdate, cmacFinal, kdf, ccmSeal, ccmOpen,
  CMAC_CTX_LEN } from "../crypto/index";
import { ringBoot, ringReady, ringNodeId, ringScheme, ringCount, ringIdAt, ringFind, ringKeyAt,
  ringThreshold, ringLanes, ringSeeded, ringDraws, leapInitialKey, leapErase,
  LANES_MAX, SCHEME_LEAP, SCHEME_EG, SCHEME_QCOMPOSITE, SCHEME_POLYPOOL, SCHEME_FULL,
  SCHEME_PAIRWISE } from "../ring/store";
import { getU32, putU32, copy } from "./bytes";
import { evaluateLanes, regenerateShared } from "../ring/derive";
import {
  FRAME_MAX, HEADER_LEN, NONCE_LEN, TAG_LEN, SEQ_LEN, KEY_LEN, BROADCAST_ID, TYPE_HELLO,
  TYPE_LINK_INIT, TYPE_LINK_RESP, TYPE_LINK_CONFIRM, TYPE_DATA, TYPE_PATH_KEY, TYPE_REVOKE,
  TYPE_DISCLOSE, HELLO_FIXED_LEN, HELLO_IDS_MAX, HELLO_PARTS_MAX, LINK_INIT_FIXED_LEN, SELECT_MAX,
  LINK_RESP_LEN, LINK_CONFIRM_LEN, SECURE_OVERHEAD, DATA_PAYLOAD_MAX, PATH_PAYLOAD_LEN, CCM_LEVEL,
  CCM_NONCE_LEN, MODE_PAIR, MODE_PATH, DIR_RESPONDER, DIR_INITIATOR, NEIGHBOURS_MAX,
  REPLAY_WINDOW, DELIVERY_SLOTS, TIMER_HELLO, TIMER_TICK, HELLO_DELAY_MS, TICK_MS,
  HANDSHAKE_TIMEOUT_MS, PATH_WAIT_MS, TIMER_LEAP_ERASE, LEAP_ERASE_MS,
} from "./config";
import {
  STATE_FREE, STATE_HEARD, STATE_NO_KEY, STATE_WAIT_RESP, STATE_WAIT_CONFIRM, STATE_IDLE,
  F_LINKED, F_HELLO_DONE, F_PATH_KEY, F_REVOKED, F_SEL_FULL, F_REKEY, E_MODE, E_SEL_COUNT, E_SEL,
  E_HELLO_NONCE, E_PARTS_MASK, E_PARTS_TOTAL, E_NI, E_NR, E_CONFIRM_KEY, E_PENDING_KEY,
  E_LINK_KEY, E_PATH_KEY, E_TX_SEQ, E_RX_SEQ, E_RX_MASK, E_DEADLINE, E_PATH_ASKED, entryAt, entryId,
  entryState, setState, hasFlag, setFlag, clearFlag, findEntry, findOrAddEntry, wipeHandshake,
  dropLink, wipePathKey, wipeCounters, clearTable,
} from "./neighbours";
import { revokeFrame, discloseFrame, revokeBoot, keyRevoked, keyUsable, nodeRevoked }
  from "./revoke";

// Static buffers.
const tx = memory.data(FRAME_MAX + 1, 16);
const plain = memory.data(FRAME_MAX + 1, 16);
const ccmNonce = memory.data(16, 16);
const helloNonce = memory.data(NONCE_LEN, 8);
const material = memory.data(KEY_LEN, 16);
const keyTmp = memory.data(KEY_LEN, 16);
const kdfOut = memory.data(2 * KEY_LEN, 16);
const tagMsg = memory.data(1 + 8 + 2 * NONCE_LEN, 16); // direction | idI | idR | nI | nR
const tagOut = memory.data(KEY_LEN, 16);
/** The streamed q-composite KDF, and one 4-byte word for its fields and the LEAP contexts. */
const qCtx = memory.data(CMAC_CTX_LEN, 16);
const word = memory.data(4, 4);
/**
 * "qcomposite" with the KDF's 0x00 separator after it, "leap-node", "leap-pair": the scheme
 * labels of docs/schemes.md.
 */
const Q_LABEL = memory.data<u8>([0x71, 0x63, 0x6f, 0x6d, 0x70, 0x6f, 0x73, 0x69, 0x74, 0x65, 0]);
const Q_LABEL_LEN: i32 = 10;
const LEAP_NODE_LABEL = memory.data<u8>([0x6c, 0x65, 0x61, 0x70, 0x2d, 0x6e, 0x6f, 0x64, 0x65]);
const LEAP_NODE_LABEL_LEN: i32 = 9;
const LEAP_PAIR_LABEL = memory.data<u8>([0x6c, 0x65, 0x61, 0x70, 0x2d, 0x70, 0x61, 0x69, 0x72]);
const LEAP_PAIR_LABEL_LEN: i32 = 9;
/** Polypool KDF context: le32(pi, min, max) and up to LANES_MAX lane values. */
const POLY_CONTEXT_MAX: i32 = 12 + 4 * <i32>LANES_MAX;
const polyContext = memory.data(POLY_CONTEXT_MAX, 16);
/** "polypool-key": the polypool KDF label of docs/schemes.md. */
const POLY_LABEL = memory.data<u8>([0x70, 0x6f, 0x6c, 0x79, 0x70, 0x6f, 0x6f, 0x6c, 0x2d, 0x6b,
  0x65, 0x79]);
const POLY_LABEL_LEN: i32 = 12;
/** "predist link": the KDF label of link keys. */
const LINK_LABEL = memory.data<u8>([0x70, 0x72, 0x65, 0x64, 0x69, 0x73, 0x74, 0x20, 0x6c, 0x69,
  0x6e, 0x6b]);
const LINK_LABEL_LEN: i32 = 12;
const TRANSCRIPT_LEN: i32 = 8 + 2 * NONCE_LEN;
/** Scheme sets as bit masks over the scheme IDs, tested by inScheme. */
const LISTED_SCHEMES: u32 = (1 << SCHEME_EG) | (1 << SCHEME_QCOMPOSITE) | (1 << SCHEME_POLYPOOL);
const ONE_ID_SCHEMES: u32 = (1 << SCHEME_EG) | (1 << SCHEME_POLYPOOL);
const PEER_KEY_SCHEMES: u32 = (1 << SCHEME_FULL) | (1 << SCHEME_PAIRWISE);
const TAG_MSG_LEN: i32 = 1 + TRANSCRIPT_LEN;

/** Delivery queue: DELIVERY_SLOTS slots of src (u32) | len (u8) | payload. */
const SLOT_LEN: i32 = 5 + DATA_PAYLOAD_MAX;
const delivery = memory.data(DELIVERY_SLOTS * SLOT_LEN, 4);
let deliveryHead: i32 = 0;
let deliveryCount: i32 = 0;

// Counters for net_status.
export let framesSent: u32 = 0;
export let bytesSent: u32 = 0;
export let framesDropped: u32 = 0;
export let deliveryLost: u32 = 0;
export let lastError: i32 = 0;
let myId: u32 = 0;

/** True when this node's scheme is in the set `schemes` (a mask of 1 << scheme ID). */
function inScheme(schemes: u32): bool {
  return ((schemes >> ringScheme()) & 1) != 0;
}

// ---------------------------------------------------------------------------------------------
// Sending

function send(len: i32): i32 {
  framesSent++;
  bytesSent += <u32>len;
  return radioSend(tx, len) < 0 ? ERR_HAL : OK;
}

function putHeader(type: u32, dst: u32): void {
  store<u8>(tx, <u8>type);
  putU32(tx + 1, myId);
  putU32(tx + 5, dst);
}

function fresh(out: usize, len: i32): i32 {
  return randomFill(out, len) < 0 ? ERR_HAL : OK;
}

/** Header, nonce, scheme and part byte of HELLO frame `part` of `parts` into `tx`. */
function putHelloHeader(dst: u32, part: i32, parts: i32): void {
  putHeader(TYPE_HELLO, dst);
  copy(tx + <usize>HEADER_LEN, helloNonce, NONCE_LEN);
  store<u8>(tx + 17, <u8>ringScheme());
  store<u8>(tx + 18, <u8>((part << 4) | (parts - 1)));
}

/** Sends this node's HELLO to `dst`: its ring IDs (listed form) or only the header. */
function sendHello(dst: u32): i32 {
  const listed = inScheme(LISTED_SCHEMES);
  if (listed && ringSeeded()) {
    // Compact form: the draw count; the receiver regenerates the ring (docs/schemes.md).
    putHelloHeader(dst, 0, 1);
    putU32(tx + <usize>HELLO_FIXED_LEN, ringDraws());
    return send(HELLO_FIXED_LEN + 4);
  }
  const count = listed ? ringCount() : 0;
  let parts = (count + HELLO_IDS_MAX - 1) / HELLO_IDS_MAX;
  if (parts < 1) parts = 1;
  if (parts > HELLO_PARTS_MAX) parts = HELLO_PARTS_MAX;
  let status = OK;
  for (let part = 0; part < parts; part++) {
    putHelloHeader(dst, part, parts);
    const first = part * HELLO_IDS_MAX;
    const n = min(HELLO_IDS_MAX, count - first);
    for (let i = 0; i < n; i++) putU32(tx + <usize>(HELLO_FIXED_LEN + 4 * i), ringIdAt(first + i));
    const s = send(HELLO_FIXED_LEN + 4 * max(n, 0));
    if (s != OK) status = s;
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// Key schedule (docs/protocol.md, "Link handshake")

/** True when a q-composite selector of `count` IDs is empty or below the threshold q. */
function belowThreshold(count: i32): bool {
  return count < 1 || <u32>count < ringThreshold();
}

/** True when the entry's discovery result lets a pair key be derived. */
function hasMaterial(e: usize): bool {
  const scheme = ringScheme();
  const count = <u32>load<u8>(e + E_SEL_COUNT);
  if (inScheme(ONE_ID_SCHEMES)) return count >= 1;
  if (scheme == SCHEME_QCOMPOSITE) {
    return !belowThreshold(<i32>count) && !hasFlag(e, F_SEL_FULL);
  }
  if (inScheme(PEER_KEY_SCHEMES)) return ringFind(entryId(e)) >= 0;
  // LEAP+: the lower ID initiates and needs K_IN; the responder needs only its own key.
  if (scheme == SCHEME_LEAP) return myId > entryId(e) || leapInitialKey(0) == OK;
  return false;
}

/** Copies the ring key with ID `id` to `out`; ERR_NET_UNKNOWN_KEY when absent or revoked. */
function keyOf(id: u32, out: usize): i32 {
  if (!keyUsable(id)) return ERR_NET_UNKNOWN_KEY;
  return ringKeyAt(ringFind(id), out);
}

/** Feeds `v` as a big-endian u32 to the streamed q-composite KDF. */
function qWord(v: u32): void {
  putU32(word, v);
  cmacUpdate(qCtx, word, 4);
}

/** Writes the shared material S of the entry's link (mode and selector) to `material`. */
function deriveMaterial(e: usize, idI: u32): i32 {
  if (<u32>load<u8>(e + E_MODE) == MODE_PATH) {
    if (!hasFlag(e, F_PATH_KEY)) return ERR_NET_NO_SHARED_KEY;
    copy(material, e + E_PATH_KEY, KEY_LEN);
    return OK;
  }
  const scheme = ringScheme();
  const count = <i32>load<u8>(e + E_SEL_COUNT);
  if (scheme == SCHEME_EG) {
    if (count < 1) return ERR_NET_NO_SHARED_KEY;
    return keyOf(load<u32>(e + E_SEL), material);
  }
  if (scheme == SCHEME_QCOMPOSITE) {
    // Chan, Perrig & Song 2003, section 4.1, as docs/schemes.md fixes it: with every shared ID
    // s_1 < ... < s_c, S = KDF(K_s1, "qcomposite", le32(c) | le32(s_1..s_c) | K_s2 | ... | K_sc).
    // A 16-byte KDF output is one CMAC over [1]_32 | label | 0x00 | context | [128]_32, so the
    // keys are streamed from flash into the CMAC one at a time, never gathered in RAM.
    if (belowThreshold(count)) return ERR_NET_NO_SHARED_KEY;
    let status = keyOf(load<u32>(e + E_SEL), keyTmp);
    if (status != OK) return status;
    cmacInit(qCtx, keyTmp);
    qWord(1);
    cmacUpdate(qCtx, Q_LABEL, Q_LABEL_LEN + 1);
    store<u32>(word, <u32>count);
    cmacUpdate(qCtx, word, 4);
    cmacUpdate(qCtx, e + E_SEL, 4 * count);
    for (let i = 1; i < count && status == OK; i++) {
      status = keyOf(load<u32>(e + E_SEL + <usize>(4 * i)), keyTmp);
      cmacUpdate(qCtx, keyTmp, KEY_LEN);
    }
    qWord(8 * KEY_LEN);
    cmacFinal(qCtx, material);
    wipe(keyTmp, KEY_LEN);
    return status;
  }
  if (scheme == SCHEME_LEAP) {
    // LEAP+ (Zhu, Setia & Jajodia): K_uv = F(K_v, u) with v the responder, u the initiator.
    // The initiator computes K_v = F(K_IN, v) and needs K_IN; the responder uses its own K_v.
    const peer = entryId(e);
    if (myId == idI) {
      if (leapInitialKey(keyTmp) != OK) return ERR_NET_NO_SHARED_KEY;
      store<u32>(word, peer);
      kdf(keyTmp, LEAP_NODE_LABEL, LEAP_NODE_LABEL_LEN, word, 4, kdfOut, KEY_LEN);
      store<u32>(word, myId);
    } else {
      const index = ringFind(myId);
      if (index < 0 || ringKeyAt(index, kdfOut) != OK) return ERR_NET_NO_SHARED_KEY;
      store<u32>(word, peer);
    }
    kdf(kdfOut, LEAP_PAIR_LABEL, LEAP_PAIR_LABEL_LEN, word, 4, material, KEY_LEN);
    wipe(keyTmp, KEY_LEN);
    wipe(kdfOut, 2 * KEY_LEN);
    return OK;
  }
  if (inScheme(PEER_KEY_SCHEMES)) {
    const index = ringFind(entryId(e));
    if (index < 0) return ERR_NET_NO_SHARED_KEY;
    return ringKeyAt(index, material);
  }
  if (scheme == SCHEME_POLYPOOL) {
    // Liu & Ning: pi = the smallest shared polynomial ID; e_l = f_l(own, peer) per lane; then
    // K = KDF(le32(e_0..e_3), "polypool-key", le32(pi, min(u,v), max(u,v), e_0..e_(L-1))).
    if (count < 1) return ERR_NET_NO_SHARED_KEY;
    const poly = load<u32>(e + E_SEL);
    const index = ringFind(poly);
    if (index < 0) return ERR_NET_UNKNOWN_KEY;
    const peer = entryId(e);
    const lanes = <i32>ringLanes();
    store<u32>(polyContext, poly);
    store<u32>(polyContext + 4, min(myId, peer));
    store<u32>(polyContext + 8, max(myId, peer));
    evaluateLanes(index, peer, polyContext + 12);
    wipe(keyTmp, KEY_LEN);
    copy(keyTmp, polyContext + 12, 4 * min(lanes, 4));
    kdf(keyTmp, POLY_LABEL, POLY_LABEL_LEN, polyContext, 12 + 4 * lanes, material, KEY_LEN);
    wipe(keyTmp, KEY_LEN);
    wipe(polyContext, POLY_CONTEXT_MAX);
    return OK;
  }
  return ERR_NET_NO_SHARED_KEY;
}

/** Derives Kc and the pending link key of the entry from S and the transcript. */
function deriveKeys(e: usize, idI: u32, idR: u32): i32 {
  const status = deriveMaterial(e, idI);
  if (status != OK) {
    wipe(material, KEY_LEN);
    return status;
  }
  putTranscript(e, idI, idR);
  kdf(material, LINK_LABEL, LINK_LABEL_LEN, tagMsg + 1, TRANSCRIPT_LEN, kdfOut, 2 * KEY_LEN);
  wipe(material, KEY_LEN);
  // Kc then the link key: E_PENDING_KEY follows E_CONFIRM_KEY, so one copy fills both.
  copy(e + E_CONFIRM_KEY, kdfOut, 2 * KEY_LEN);
  wipe(kdfOut, 2 * KEY_LEN);
  return OK;
}

/** Writes idI | idR | nI | nR of the entry's handshake after the direction byte of `tagMsg`. */
function putTranscript(e: usize, idI: u32, idR: u32): void {
  putU32(tagMsg + 1, idI);
  putU32(tagMsg + 5, idR);
  copy(tagMsg + 9, e + E_NI, NONCE_LEN);
  copy(tagMsg + 17, e + E_NR, NONCE_LEN);
}

/**
 * The direction-bound confirmation tag into `tagOut` (first TAG_LEN bytes used). The transcript
 * is rebuilt from the entry every time: `tagMsg` is shared by all handshakes, and another one may
 * have run between this handshake's LINK_RESP and its LINK_CONFIRM.
 */
function confirmTag(e: usize, direction: u32, idI: u32, idR: u32): void {
  putTranscript(e, idI, idR);
  store<u8>(tagMsg, <u8>direction);
  cmac(e + E_CONFIRM_KEY, tagMsg, TAG_MSG_LEN, tagOut);
}

function linkUp(e: usize): void {
  copy(e + E_LINK_KEY, e + E_PENDING_KEY, KEY_LEN);
  wipeHandshake(e);
  wipeCounters(e);
  setFlag(e, F_LINKED);
  clearFlag(e, F_REKEY);
  setState(e, STATE_IDLE);
  if (<u32>load<u8>(e + E_MODE) == MODE_PATH) wipePathKey(e);
}

/**
 * Back to the state before a handshake: the old link (if any) stays as it was. A path key whose
 * handshake failed is wiped: the origin asks its next linked neighbour for a fresh one.
 */
function abandon(e: usize): void {
  wipeHandshake(e);
  if (<u32>load<u8>(e + E_MODE) == MODE_PATH) wipePathKey(e);
  if (hasFlag(e, F_LINKED)) setState(e, STATE_IDLE);
  else setState(e, hasMaterial(e) ? STATE_HEARD : STATE_NO_KEY);
}

function selectorCount(e: usize, mode: u32): i32 {
  if (mode == MODE_PATH) return 0;
  const scheme = ringScheme();
  const count = <i32>load<u8>(e + E_SEL_COUNT);
  if (inScheme(ONE_ID_SCHEMES)) return min(count, 1);
  if (scheme == SCHEME_QCOMPOSITE) return count;
  return 0;
}

/** Enters a waiting handshake state with the handshake deadline from now. */
function awaitAnswer(e: usize, state: u8): void {
  setState(e, state);
  store<u32>(e + E_DEADLINE, clockMs() + HANDSHAKE_TIMEOUT_MS);
}

/** Starts a handshake as initiator with the entry's neighbour. */
function initiate(e: usize, mode: u32): i32 {
  if (fresh(e + E_NI, NONCE_LEN) != OK) return ERR_HAL;
  store<u8>(e + E_MODE, <u8>mode);
  const count = selectorCount(e, mode);
  putHeader(TYPE_LINK_INIT, entryId(e));
  copy(tx + 9, e + E_NI, NONCE_LEN);
  store<u8>(tx + 17, <u8>mode);
  store<u8>(tx + 18, <u8>count);
  for (let i = 0; i < count; i++) {
    putU32(tx + <usize>(LINK_INIT_FIXED_LEN + 4 * i), load<u32>(e + E_SEL + <usize>(4 * i)));
  }
  awaitAnswer(e, STATE_WAIT_RESP);
  return send(LINK_INIT_FIXED_LEN + 4 * count);
}

/**
 * Inserts a shared key ID into the entry's selector, ascending, keeping the SELECT_MAX lowest;
 * F_SEL_FULL records that one was left out.
 */
function selectInsert(e: usize, id: u32): void {
  let count = <i32>load<u8>(e + E_SEL_COUNT);
  let at = count;
  for (let i = 0; i < count; i++) {
    const here = load<u32>(e + E_SEL + <usize>(4 * i));
    if (here == id) return;
    if (here > id) {
      at = i;
      break;
    }
  }
  if (count == SELECT_MAX) {
    setFlag(e, F_SEL_FULL);
    if (at == SELECT_MAX) return;
    count--;
  }
  for (let i = count; i > at; i--) {
    store<u32>(e + E_SEL + <usize>(4 * i), load<u32>(e + E_SEL + <usize>(4 * (i - 1))));
  }
  store<u32>(e + E_SEL + <usize>(4 * at), id);
  store<u8>(e + E_SEL_COUNT, <u8>(count + 1));
}

/** The entry whose HELLO is being read, for selectShared. */
let helloEntry: usize = 0;

/** Adds an announced ID to helloEntry's selection when this node holds it, unrevoked. */
function selectShared(id: u32): void {
  if (keyUsable(id)) selectInsert(helloEntry, id);
}

// ---------------------------------------------------------------------------------------------
// Handlers, one per message type

function onHello(f: usize, len: i32, src: u32, dst: u32): i32 {
  if (len < HELLO_FIXED_LEN || ((len - HELLO_FIXED_LEN) & 3) != 0) return ERR_NET_MALFORMED;
  if (<u32>load<u8>(f + 17) != ringScheme()) return ERR_NET_SCHEME;
  const partByte = <i32>load<u8>(f + 18);
  const part = partByte >> 4;
  const total = (partByte & 15) + 1;
  if (part >= total) return ERR_NET_MALFORMED;
  const scheme = ringScheme();
  const listed = inScheme(LISTED_SCHEMES);
  if (!listed && len != HELLO_FIXED_LEN) return ERR_NET_MALFORMED;
  const seeded = listed && ringSeeded();
  if (seeded && (len != HELLO_FIXED_LEN + 4 || total != 1)) return ERR_NET_MALFORMED;
  if (nodeRevoked(src)) return ERR_NET_REVOKED;
  const e = findOrAddEntry(src);
  if (e == 0) return ERR_NO_SPACE;
  const seenBefore = load<u16>(e + E_PARTS_MASK) != 0;
  if (!seenBefore || !constantTimeEqual(e + E_HELLO_NONCE, f + 9, NONCE_LEN)) {
    if (seenBefore) {
      // A new discovery round of that neighbour: it rebooted, or someone replays or forges its
      // HELLO (HELLO is not authenticated). A link stays until a new handshake replaces it, so
      // a forged HELLO costs a handshake, never the link; F_REKEY asks for that handshake.
      wipePathKey(e);
      clearFlag(e, F_HELLO_DONE);
      store<u32>(e + E_PATH_ASKED, 0);
      if (hasFlag(e, F_LINKED)) setFlag(e, F_REKEY);
      else setState(e, STATE_HEARD);
    }
    // The first HELLO of a neighbour may arrive after its LINK_INIT: a handshake under way stays.
    store<u8>(e + E_SEL_COUNT, 0);
    clearFlag(e, F_SEL_FULL);
    store<u16>(e + E_PARTS_MASK, 0);
    store<u8>(e + E_PARTS_TOTAL, <u8>total);
    copy(e + E_HELLO_NONCE, f + 9, NONCE_LEN);
  }
  if (<i32>load<u8>(e + E_PARTS_TOTAL) != total) return ERR_NET_MALFORMED;
  const mask = <u32>load<u16>(e + E_PARTS_MASK);
  if ((mask & (1 << part)) != 0) return ERR_NET_DUPLICATE;
  store<u16>(e + E_PARTS_MASK, <u16>(mask | (1 << part)));
  helloEntry = e;
  if (seeded) {
    if (!regenerateShared(src, getU32(f + <usize>HELLO_FIXED_LEN), selectShared)) {
      return ERR_NET_MALFORMED;
    }
  } else {
    for (let at = HELLO_FIXED_LEN; at < len; at += 4) selectShared(getU32(f + <usize>at));
  }
  if ((mask | (1 << part)) != <u32>((1 << total) - 1)) return OK;

  // The whole announcement is in.
  setFlag(e, F_HELLO_DONE);
  const shared = hasMaterial(e);
  // Answer so a late booter learns of this node; a LEAP+ node that erased K_IN answers a higher
  // ID too, since only that node (a later joiner holding K_IN) can initiate.
  if (dst == BROADCAST_ID && (src < myId || (scheme == SCHEME_LEAP && !shared))) sendHello(src);
  if (hasFlag(e, F_LINKED)) {
    // Re-key after a new round: the lower ID runs the handshake again, or its tick asks for a
    // new path key; the old link key serves until the new one is confirmed (linkUp clears
    // F_REKEY).
    if (!hasFlag(e, F_REKEY) || myId > src || entryState(e) != STATE_IDLE || !shared) return OK;
    return initiate(e, MODE_PAIR);
  }
  if (!shared) {
    if (entryState(e) == STATE_HEARD) setState(e, STATE_NO_KEY);
    return OK;
  }
  if (myId < src && entryState(e) != STATE_WAIT_RESP) return initiate(e, MODE_PAIR);
  return OK;
}

function onLinkInit(f: usize, len: i32, src: u32): i32 {
  if (len < LINK_INIT_FIXED_LEN) return ERR_NET_MALFORMED;
  const mode = <u32>load<u8>(f + 17);
  const count = <i32>load<u8>(f + 18);
  if (count > SELECT_MAX || len != LINK_INIT_FIXED_LEN + 4 * count) return ERR_NET_MALFORMED;
  if (mode != MODE_PAIR && mode != MODE_PATH) return ERR_NET_MALFORMED;
  // dispatch has refused a revoked src.
  const e = findOrAddEntry(src);
  if (e == 0) return ERR_NO_SPACE;
  // Both sides initiated: the lower ID's handshake wins.
  if (entryState(e) == STATE_WAIT_RESP && myId < src) return ERR_NET_STATE;

  // Check the selector against this node's own ring and the scheme's rule.
  const scheme = ringScheme();
  if (mode == MODE_PAIR) {
    let prev: u32 = 0;
    // Whether the selector differs from what this node found (checked below, after the rules).
    let differs = false;
    for (let i = 0; i < count; i++) {
      const id = getU32(f + <usize>(LINK_INIT_FIXED_LEN + 4 * i));
      if (i > 0 && id <= prev) return ERR_NET_MALFORMED;
      if (!keyUsable(id)) return ERR_NET_UNKNOWN_KEY;
      if (id != load<u32>(e + E_SEL + <usize>(4 * i))) differs = true;
      prev = id;
    }
    if (inScheme(ONE_ID_SCHEMES)) {
      if (count != 1) return ERR_NET_NO_SHARED_KEY;
    } else if (scheme == SCHEME_QCOMPOSITE) {
      if (belowThreshold(count)) return ERR_NET_NO_SHARED_KEY;
    } else if (count != 0) {
      return ERR_NET_MALFORMED;
    }
    // With the initiator's whole HELLO in, the selector must be exactly what this node found:
    // the lowest shared ID (eg, polypool) or every shared ID (q-composite), so an initiator (or
    // an attacker rewriting LINK_INIT) cannot pick a weaker subset.
    if (hasFlag(e, F_HELLO_DONE) &&
      (hasFlag(e, F_SEL_FULL) || count != selectorCount(e, MODE_PAIR) || differs)) {
      return ERR_NET_NO_SHARED_KEY;
    }
  } else if (count != 0 || !hasFlag(e, F_PATH_KEY)) {
    return ERR_NET_NO_SHARED_KEY;
  }

  // Restart the handshake as responder; an existing link stays until this one is confirmed.
  wipeHandshake(e);
  store<u8>(e + E_MODE, <u8>mode);
  if (mode == MODE_PAIR && !hasFlag(e, F_HELLO_DONE)) {
    // Without the initiator's HELLO the selector is all this node knows of the shared keys.
    store<u8>(e + E_SEL_COUNT, <u8>count);
    for (let i = 0; i < count; i++) {
      store<u32>(e + E_SEL + <usize>(4 * i), getU32(f + <usize>(LINK_INIT_FIXED_LEN + 4 * i)));
    }
  }
  copy(e + E_NI, f + 9, NONCE_LEN);
  if (fresh(e + E_NR, NONCE_LEN) != OK) return ERR_HAL;
  const status = deriveKeys(e, src, myId);
  if (status != OK) {
    abandon(e);
    return status;
  }
  confirmTag(e, DIR_RESPONDER, src, myId);
  putHeader(TYPE_LINK_RESP, src);
  copy(tx + 9, e + E_NR, NONCE_LEN);
  copy(tx + 17, tagOut, TAG_LEN);
  wipe(tagOut, KEY_LEN);
  awaitAnswer(e, STATE_WAIT_CONFIRM);
  return send(LINK_RESP_LEN);
}

/** The entry of `src` when it is in handshake state `state`, else 0. */
function entryIn(src: u32, state: u8): usize {
  const e = findEntry(src);
  return e != 0 && entryState(e) == state ? e : 0;
}

function onLinkResp(f: usize, len: i32, src: u32): i32 {
  if (len != LINK_RESP_LEN) return ERR_NET_MALFORMED;
  const e = entryIn(src, STATE_WAIT_RESP);
  if (e == 0) return ERR_NET_STATE;
  copy(e + E_NR, f + 9, NONCE_LEN);
  const status = deriveKeys(e, myId, src);
  if (status != OK) {
    abandon(e);
    return status;
  }
  confirmTag(e, DIR_RESPONDER, myId, src);
  const ok = constantTimeEqual(tagOut, f + 17, TAG_LEN);
  if (!ok) {
    // A forged or stale answer: keep waiting for the real one until the deadline.
    wipe(tagOut, KEY_LEN);
    wipeHandshake(e);
    return ERR_NET_TAG;
  }
  confirmTag(e, DIR_INITIATOR, myId, src);
  putHeader(TYPE_LINK_CONFIRM, src);
  copy(tx + 9, tagOut, TAG_LEN);
  wipe(tagOut, KEY_LEN);
  linkUp(e);
  return send(LINK_CONFIRM_LEN);
}

function onLinkConfirm(f: usize, len: i32, src: u32): i32 {
  if (len != LINK_CONFIRM_LEN) return ERR_NET_MALFORMED;
  const e = entryIn(src, STATE_WAIT_CONFIRM);
  if (e == 0) return ERR_NET_STATE;
  confirmTag(e, DIR_INITIATOR, src, myId);
  const ok = constantTimeEqual(tagOut, f + 9, TAG_LEN);
  wipe(tagOut, KEY_LEN);
  if (!ok) return ERR_NET_TAG;
  linkUp(e);
  return OK;
}

// ---------------------------------------------------------------------------------------------
// Secure frames

function buildNonce(src: u32, dst: u32, seq: u32): void {
  putU32(ccmNonce, src);
  putU32(ccmNonce + 4, dst);
  putU32(ccmNonce + 8, seq);
  store<u8>(ccmNonce + 12, <u8>CCM_LEVEL);
}

/** Seals `len` bytes at `payload` to the linked neighbour of entry `e` and sends the frame. */
function sealAndSend(e: usize, type: u32, payload: usize, len: i32): i32 {
  if (!hasFlag(e, F_LINKED)) return ERR_NET_NOT_LINKED;
  // `len` is PATH_PAYLOAD_LEN, or within 0 .. DATA_PAYLOAD_MAX (checked by netSend).
  const seq = load<u32>(e + E_TX_SEQ) + 1;
  if (seq == 0) {
    // The counter would wrap: the link must be re-keyed (docs/protocol.md).
    dropLink(e);
    abandon(e);
    return ERR_NET_NOT_LINKED;
  }
  store<u32>(e + E_TX_SEQ, seq);
  const dst = entryId(e);
  putHeader(type, dst);
  putU32(tx + 9, seq);
  buildNonce(myId, dst, seq);
  ccmSeal(e + E_LINK_KEY, ccmNonce, tx, HEADER_LEN + SEQ_LEN, payload, len, TAG_LEN,
    tx + <usize>(HEADER_LEN + SEQ_LEN));
  return send(SECURE_OVERHEAD + len);
}

/** Opens a secure frame into `plain`; returns the payload length or a negative status. */
function openSecure(e: usize, f: usize, len: i32, src: u32): i32 {
  const seq = getU32(f + 9);
  const high = load<u32>(e + E_RX_SEQ);
  const mask = load<u32>(e + E_RX_MASK);
  if (seq == 0) return -ERR_NET_REPLAY;
  if (seq <= high) {
    const behind = high - seq;
    if (behind >= REPLAY_WINDOW || (mask & (1 << behind)) != 0) return -ERR_NET_REPLAY;
  }
  buildNonce(src, myId, seq);
  const sealedLen = len - HEADER_LEN - SEQ_LEN;
  const status = ccmOpen(e + E_LINK_KEY, ccmNonce, f, HEADER_LEN + SEQ_LEN,
    f + <usize>(HEADER_LEN + SEQ_LEN), sealedLen, TAG_LEN, plain);
  if (status != OK) return -ERR_NET_TAG;
  if (seq > high) {
    const shift = seq - high;
    store<u32>(e + E_RX_MASK, (shift >= 32 ? 0 : mask << shift) | 1);
    store<u32>(e + E_RX_SEQ, seq);
  } else {
    store<u32>(e + E_RX_MASK, mask | (1 << (high - seq)));
  }
  return sealedLen - TAG_LEN;
}

function deliver(src: u32, len: i32): void {
  if (deliveryCount == DELIVERY_SLOTS) {
    // Full: the oldest is dropped so the newest data is kept.
    deliveryHead = (deliveryHead + 1) % DELIVERY_SLOTS;
    deliveryCount--;
    deliveryLost++;
  }
  const slot = delivery + <usize>(((deliveryHead + deliveryCount) % DELIVERY_SLOTS) * SLOT_LEN);
  store<u32>(slot, src);
  store<u8>(slot + 4, <u8>len);
  copy(slot + 5, plain, len);
  deliveryCount++;
}

function onSecure(f: usize, len: i32, src: u32, type: u32): i32 {
  if (len < SECURE_OVERHEAD) return ERR_NET_MALFORMED;
  const e = findEntry(src);
  if (e == 0 || !hasFlag(e, F_LINKED)) return ERR_NET_NOT_LINKED;
  const n = openSecure(e, f, len, src);
  if (n < 0) return -n;
  let status = OK;
  if (type == TYPE_DATA) deliver(src, n);
  else status = onPathKey(e, n);
  wipe(plain, FRAME_MAX);
  return status;
}

// ---------------------------------------------------------------------------------------------
// Path keys (docs/protocol.md, "Path keys")

function onPathKey(from: usize, n: i32): i32 {
  if (n != PATH_PAYLOAD_LEN) return ERR_NET_MALFORMED;
  const origin = getU32(plain + 4);
  const target = getU32(plain + 8);
  if (load<u8>(plain + 12) != 0 || origin == myId || origin == 0 || origin == BROADCAST_ID ||
    target == origin) {
    return ERR_NET_MALFORMED;
  }
  if (target != myId) {
    // The intermediary: only the origin itself asks, and the request goes to the target when it
    // is a linked neighbour, else nowhere. Nothing is flooded (docs/protocol.md, "Path keys").
    if (origin != entryId(from)) return ERR_NET_MALFORMED;
    const t = findEntry(target);
    if (t == 0) return ERR_NET_NOT_LINKED;
    // sealAndSend answers ERR_NET_NOT_LINKED for an unlinked target.
    return sealAndSend(t, TYPE_PATH_KEY, plain, PATH_PAYLOAD_LEN);
  }
  // The target: keep the key and initiate in mode 1, unless already linked to the origin and not
  // asked to re-key.
  if (nodeRevoked(origin)) return ERR_NET_REVOKED;
  const e = findOrAddEntry(origin);
  if (e == 0) return ERR_NO_SPACE;
  if (hasFlag(e, F_LINKED) && !hasFlag(e, F_REKEY)) return OK;
  copy(e + E_PATH_KEY, plain + 13, KEY_LEN);
  setFlag(e, F_PATH_KEY);
  return initiate(e, MODE_PATH);
}

/**
 * The origin's side: a fresh path key for `e`'s neighbour, sent to the first linked neighbour not
 * asked yet in this discovery round; at most one request per tick and per keyless neighbour, and
 * none when every linked neighbour has been asked.
 */
function pathRequest(e: usize, now: u32): i32 {
  const asked = load<u32>(e + E_PATH_ASKED);
  for (let i = 0; i < NEIGHBOURS_MAX; i++) {
    const via = entryAt(i);
    if (via == e || (asked & (1 << i)) != 0 || !hasFlag(via, F_LINKED)) continue;
    store<u32>(e + E_PATH_ASKED, asked | (1 << i));
    store<u32>(e + E_DEADLINE, now + PATH_WAIT_MS);
    if (fresh(plain, 4) != OK || fresh(e + E_PATH_KEY, KEY_LEN) != OK) return ERR_HAL;
    putU32(plain + 4, myId);
    putU32(plain + 8, entryId(e));
    store<u8>(plain + 12, 0);
    copy(plain + 13, e + E_PATH_KEY, KEY_LEN);
    setFlag(e, F_PATH_KEY);
    const status = sealAndSend(via, TYPE_PATH_KEY, plain, PATH_PAYLOAD_LEN);
    wipe(plain, FRAME_MAX);
    return status;
  }
  return OK;
}

// ---------------------------------------------------------------------------------------------
// Events

export function netBoot(): i32 {
  clearTable();
  deliveryHead = 0;
  deliveryCount = 0;
  const status = ringBoot();
  revokeBoot();
  if (status != OK) return status;
  myId = ringNodeId();
  if (fresh(helloNonce, NONCE_LEN) != OK) return ERR_HAL;
  if (ringScheme() == SCHEME_LEAP) {
    // K_IN lives until the discovery phase ends; a region not intact (erased, or torn by a power
    // cut during the erasure) is zeroed now (docs/image-format.md, "Erasable region").
    if (leapInitialKey(0) == OK) timerStart(TIMER_LEAP_ERASE, LEAP_ERASE_MS);
    else leapErase();
  }
  timerStart(TIMER_HELLO, HELLO_DELAY_MS);
  timerStart(TIMER_TICK, TICK_MS);
  return OK;
}

function dispatch(f: usize, len: i32): i32 {
  if (len < HEADER_LEN) return ERR_NET_MALFORMED;
  const type = <u32>load<u8>(f);
  const src = getU32(f + 1);
  const dst = getU32(f + 5);
  if (type == TYPE_REVOKE) return revokeFrame(f, len);
  if (type == TYPE_DISCLOSE) return discloseFrame(f, len);
  if (src == myId || src == 0 || src == BROADCAST_ID) return ERR_NET_NOT_FOR_US;
  if (dst != myId && dst != BROADCAST_ID) return ERR_NET_NOT_FOR_US;
  if (type == TYPE_HELLO) return onHello(f, len, src, dst);
  if (dst == BROADCAST_ID) return ERR_NET_MALFORMED;
  if (nodeRevoked(src)) return ERR_NET_REVOKED;
  if (type == TYPE_LINK_INIT) return onLinkInit(f, len, src);
  if (type == TYPE_LINK_RESP) return onLinkResp(f, len, src);
  if (type == TYPE_LINK_CONFIRM) return onLinkConfirm(f, len, src);
  if (type == TYPE_DATA || type == TYPE_PATH_KEY) return onSecure(f, len, src, type);
  return ERR_NET_UNKNOWN_TYPE;
}

export function netRadio(ptr: usize, len: i32): i32 {
  if (!ringReady()) return ERR_UNPROVISIONED;
  if (len > FRAME_MAX) return ERR_NET_MALFORMED;
  const status = dispatch(ptr, len);
  if (status != OK) {
    framesDropped++;
    lastError = status;
  }
  return status;
}

function tick(): i32 {
  const now = clockMs();
  for (let i = 0; i < NEIGHBOURS_MAX; i++) {
    const e = entryAt(i);
    const state = entryState(e);
    if (state == STATE_FREE) continue;
    if ((state == STATE_WAIT_RESP || state == STATE_WAIT_CONFIRM) &&
      <i32>(now - load<u32>(e + E_DEADLINE)) >= 0) {
      abandon(e);
      continue;
    }
    if (!hasFlag(e, F_HELLO_DONE) || hasFlag(e, F_REVOKED)) continue;
    const linked = hasFlag(e, F_LINKED);
    if (linked && !hasFlag(e, F_REKEY)) continue;
    // Retry a lost handshake; ask for a path key when nothing is shared (also to re-key a linked
    // neighbour that began a new round). A LEAP+ node that still holds K_IN also initiates
    // towards a lower ID: that node may be an old one that has erased K_IN and can only respond
    // (a later joiner, docs/protocol.md "LEAP+ key erasure").
    const lower = myId < entryId(e);
    const leapJoiner = ringScheme() == SCHEME_LEAP && leapInitialKey(0) == OK;
    if (state == STATE_HEARD && !linked && (lower || leapJoiner) && hasMaterial(e)) {
      initiate(e, MODE_PAIR);
    } else if ((state == STATE_NO_KEY || state == STATE_IDLE) && lower && !hasMaterial(e) &&
      <i32>(now - load<u32>(e + E_DEADLINE)) >= 0) {
      pathRequest(e, now);
    }
  }
  timerStart(TIMER_TICK, TICK_MS);
  return OK;
}

export function netTimer(timerId: i32): i32 {
  if (!ringReady()) return ERR_UNPROVISIONED;
  if (timerId == TIMER_HELLO) return sendHello(BROADCAST_ID);
  if (timerId == TIMER_TICK) return tick();
  if (timerId == TIMER_LEAP_ERASE) return leapErase();
  return OK;
}

// ---------------------------------------------------------------------------------------------
// Runtime side (assembly/net/exports.ts)

export function netSend(dest: u32, ptr: usize, len: i32): i32 {
  if (!ringReady()) return ERR_UNPROVISIONED;
  const e = findEntry(dest);
  if (e == 0) return ERR_NET_NOT_LINKED;
  if (len < 0 || len > DATA_PAYLOAD_MAX) return ERR_BAD_LENGTH;
  copy(plain, ptr, len);
  const status = sealAndSend(e, TYPE_DATA, plain, len);
  wipe(plain, FRAME_MAX);
  return status;
}

/** Moves the oldest delivered payload to `out` as src (u32 BE) | payload; returns its length. */
export function netRecv(out: usize, maxLen: i32): i32 {
  if (deliveryCount == 0) return 0;
  const slot = delivery + <usize>(deliveryHead * SLOT_LEN);
  const len = <i32>load<u8>(slot + 4);
  if (maxLen < 4 + len) return -ERR_BAD_LENGTH;
  putU32(out, load<u32>(slot));
  copy(out + 4, slot + 5, len);
  wipe(slot, SLOT_LEN);
  deliveryHead = (deliveryHead + 1) % DELIVERY_SLOTS;
  deliveryCount--;
  return 4 + len;
}

export function netMyId(): u32 {
  return myId;
}

/**
 * After a verified revocation: removes revoked key IDs from every entry's discovery result, drops
 * every link that used one (pair mode) or is with a revoked node, and puts each entry not linked
 * and not in a handshake back in HEARD or NO_KEY, so the next tick re-runs the handshake with
 * what is left, or asks for a path key. Returns how many links were dropped.
 */
export function dropRevokedLinks(): i32 {
  let dropped = 0;
  for (let i = 0; i < NEIGHBOURS_MAX; i++) {
    const e = entryAt(i);
    const state = entryState(e);
    if (state == STATE_FREE) continue;
    const revoked = nodeRevoked(entryId(e));
    const count = <i32>load<u8>(e + E_SEL_COUNT);
    // A pair-mode link used the lowest shared ID (eg, polypool) or every one (q-composite).
    const usesAll = ringScheme() == SCHEME_QCOMPOSITE;
    let usedRevoked = false;
    let kept = 0;
    for (let j = 0; j < count; j++) {
      const id = load<u32>(e + E_SEL + <usize>(4 * j));
      if (keyRevoked(id)) {
        if (j == 0 || usesAll) usedRevoked = true;
        continue;
      }
      store<u32>(e + E_SEL + <usize>(4 * kept), id);
      kept++;
    }
    store<u8>(e + E_SEL_COUNT, <u8>kept);
    if (<u32>load<u8>(e + E_MODE) != MODE_PAIR) usedRevoked = false;
    if (hasFlag(e, F_LINKED) && (revoked || usedRevoked)) {
      dropLink(e);
      store<u32>(e + E_PATH_ASKED, 0);
      dropped++;
    }
    if (revoked) {
      setFlag(e, F_REVOKED);
      wipeHandshake(e);
      wipePathKey(e);
      setState(e, STATE_NO_KEY);
    } else if (!hasFlag(e, F_LINKED) && state != STATE_WAIT_RESP && state != STATE_WAIT_CONFIRM) {
      abandon(e);
    }
  }
  return dropped;
}
