// Revocation by the key authority (docs/protocol.md, "Revocation"): REVOKE frames authenticated
// with a μTESLA one-way key chain and delayed key disclosure (SPINS, Perrig et al. 2001, section
// 5), anchored by K_0 in the image. REVOKEs are buffered until DISCLOSE publishes the interval's
// chain key; a disclosed key is accepted only if the one-way function maps it back to the last
// verified chain key. A verified revocation erases the revoked ring keys by rewriting the image
// without them through the slots API (the superseded slot is erased), and drops the links that
// used them or a revoked node.
//
// Threat model limits: μTESLA needs loose time synchronisation; the node only refuses REVOKEs of
// intervals it has itself seen disclosed (see docs/protocol.md).

import { flashRead } from "../hal";
import { OK, ERR_HAL, ERR_NO_SPACE, ERR_NET_MALFORMED, ERR_NET_STALE, ERR_NET_INTERVAL,
  ERR_NET_CHAIN, ERR_NET_TAG, ERR_NET_NOT_FOR_US } from "../status";
import { constantTimeEqual, wipe, cmac, cmacInit, cmacUpdate, cmacFinal, kdf, oneWay,
  CMAC_CTX_LEN } from "../crypto/index";
import { stageBegin, stageWrite, stageCommit, stagedCrc, stagedReadBack } from "../storage/slots";
import { getU32, putU32, copy } from "./bytes";
import { FRAME_MAX, KEY_LEN, TAG_LEN, REVOKE_FIXED_LEN, DISCLOSE_LEN, REVOKE_SLOTS,
  CHAIN_STEPS_MAX, AUTHORITY_ID, BROADCAST_ID } from "./config";
import { ringReady, ringBoot, ringAnchorAddr, ringFind, ringCount, ringIdAt, ringImageAddr,
  ringRecordLen, ringNodeKey, ringScheme, SCHEME_EG, SCHEME_QCOMPOSITE, TRAILER_LEN,
  TRAILER_TAG_LEN, TRAILER_CRC_LEN } from "../ring/store";
import { dropRevokedLinks } from "./node";

/**
 * Revoked node IDs, and revoked key IDs of this node's ring until the image rewrite that erases
 * them is committed (after it, the ring itself no longer holds them), remembered in RAM.
 */
export const REVOKED_MAX: i32 = 32;
const SLOT_LEN: i32 = FRAME_MAX + 1;

const chainKey = memory.data(KEY_LEN, 16);
const stepKey = memory.data(KEY_LEN, 16);
const tagKey = memory.data(KEY_LEN, 16);
const tag = memory.data(KEY_LEN, 16);
const intervalBytes = memory.data(4, 4);
const slots = memory.data(REVOKE_SLOTS * SLOT_LEN, 4);
const revokedNodes = memory.data(REVOKED_MAX * 4, 4);
const revokedKeys = memory.data(REVOKED_MAX * 4, 4);
/** "predist revoke": the KDF label of the REVOKE tag key. */
const REVOKE_LABEL = memory.data<u8>([0x70, 0x72, 0x65, 0x64, 0x69, 0x73, 0x74, 0x20, 0x72, 0x65,
  0x76, 0x6f, 0x6b, 0x65]);
const REVOKE_LABEL_LEN: i32 = 14;

let verifiedInterval: u32 = 0;
let revokedNodeCount: i32 = 0;
let revokedKeyCount: i32 = 0;
export let revocationsApplied: u32 = 0;
export let imageRewrites: u32 = 0;

export function revokeBoot(): void {
  wipe(slots, REVOKE_SLOTS * SLOT_LEN);
  verifiedInterval = 0;
  if (ringReady()) flashRead(ringAnchorAddr(), chainKey, KEY_LEN);
}

function listHas(list: usize, count: i32, id: u32): bool {
  for (let i = 0; i < count; i++) if (load<u32>(list + <usize>(4 * i)) == id) return true;
  return false;
}

export function nodeRevoked(id: u32): bool {
  return listHas(revokedNodes, revokedNodeCount, id);
}

export function keyRevoked(id: u32): bool {
  return listHas(revokedKeys, revokedKeyCount, id);
}

/** True when this node's ring holds key `id` and it is not revoked. */
export function keyUsable(id: u32): bool {
  return ringFind(id) >= 0 && !keyRevoked(id);
}

/** True when the frame at `f` goes from the authority to every node (REVOKE, DISCLOSE). */
function fromAuthority(f: usize): bool {
  return getU32(f + 1) == AUTHORITY_ID && getU32(f + 5) == BROADCAST_ID;
}

function checkRevoke(f: usize, len: i32): i32 {
  // netRadio has refused frames over FRAME_MAX.
  if (len < REVOKE_FIXED_LEN) return ERR_NET_MALFORMED;
  const a = <i32>load<u8>(f + 13);
  const b = <i32>load<u8>(f + 14);
  if (len != REVOKE_FIXED_LEN + 4 * (a + b)) return ERR_NET_MALFORMED;
  if (!fromAuthority(f)) return ERR_NET_NOT_FOR_US;
  return OK;
}

/** REVOKE: buffered until its interval's key is disclosed. */
export function revokeFrame(f: usize, len: i32): i32 {
  const status = checkRevoke(f, len);
  if (status != OK) return status;
  const interval = getU32(f + 9);
  if (interval <= verifiedInterval) return ERR_NET_STALE;
  // A disclosure further ahead could not be verified (CHAIN_STEPS_MAX), so neither could this.
  if (interval - verifiedInterval > <u32>CHAIN_STEPS_MAX) return ERR_NET_INTERVAL;
  // A free slot, else the one of the latest interval if this one is disclosed sooner: forged
  // REVOKEs far ahead cannot hold the buffer against the next interval's.
  let chosen: usize = 0;
  let latest = interval;
  for (let i = 0; i < REVOKE_SLOTS; i++) {
    const slot = slots + <usize>(i * SLOT_LEN);
    if (load<u8>(slot) == 0) {
      chosen = slot;
      break;
    }
    const held = getU32(slot + 10);
    if (held > latest) {
      latest = held;
      chosen = slot;
    }
  }
  if (chosen == 0) return ERR_NO_SPACE;
  store<u8>(chosen, <u8>len);
  copy(chosen + 1, f, len);
  return OK;
}

/** DISCLOSE: checks the chain key, then verifies and applies the buffered REVOKEs. */
export function discloseFrame(f: usize, len: i32): i32 {
  if (len != DISCLOSE_LEN) return ERR_NET_MALFORMED;
  if (!fromAuthority(f)) return ERR_NET_NOT_FOR_US;
  const interval = getU32(f + 9);
  if (interval <= verifiedInterval) return ERR_NET_STALE;
  const steps = interval - verifiedInterval;
  if (steps > <u32>CHAIN_STEPS_MAX) return ERR_NET_CHAIN;
  // F^(i-j)(K_i) must equal the last verified K_j.
  copy(stepKey, f + 13, KEY_LEN);
  for (let i: u32 = 0; i < steps; i++) oneWay(stepKey, stepKey);
  const ok = constantTimeEqual(stepKey, chainKey, KEY_LEN);
  wipe(stepKey, KEY_LEN);
  if (!ok) return ERR_NET_CHAIN;
  copy(chainKey, f + 13, KEY_LEN);
  verifiedInterval = interval;

  putU32(intervalBytes, interval);
  kdf(chainKey, REVOKE_LABEL, REVOKE_LABEL_LEN, intervalBytes, 4, tagKey, KEY_LEN);
  let result = OK;
  for (let i = 0; i < REVOKE_SLOTS; i++) {
    const slot = slots + <usize>(i * SLOT_LEN);
    const slotLen = <i32>load<u8>(slot);
    if (slotLen == 0) continue;
    const frame = slot + 1;
    if (getU32(frame + 9) == interval) {
      cmac(tagKey, frame, slotLen - TAG_LEN, tag);
      if (constantTimeEqual(tag, frame + <usize>(slotLen - TAG_LEN), TAG_LEN)) {
        const s = applyRevocation(frame);
        if (s != OK) result = s;
      } else {
        result = ERR_NET_TAG;
      }
    }
    // A REVOKE of this or an earlier interval can no longer be verified safely: drop it.
    if (getU32(frame + 9) <= interval) wipe(slot, SLOT_LEN);
  }
  wipe(tagKey, KEY_LEN);
  wipe(tag, KEY_LEN);
  return result;
}

function applyRevocation(frame: usize): i32 {
  const a = <i32>load<u8>(frame + 13);
  const b = <i32>load<u8>(frame + 14);
  for (let i = 0; i < a + b; i++) {
    const id = getU32(frame + <usize>(15 + 4 * i));
    if (i < a) {
      if (nodeRevoked(id)) continue;
      if (revokedNodeCount == REVOKED_MAX) return ERR_NO_SPACE;
      store<u32>(revokedNodes + <usize>(4 * revokedNodeCount), id);
      revokedNodeCount++;
    } else if (keyUsable(id)) {
      // A key outside the ring needs no memory: no selector can name it here.
      if (revokedKeyCount == REVOKED_MAX) return ERR_NO_SPACE;
      store<u32>(revokedKeys + <usize>(4 * revokedKeyCount), id);
      revokedKeyCount++;
    }
  }
  revocationsApplied++;
  dropRevokedLinks();
  const scheme = ringScheme();
  if (revokedKeyCount == 0 || (scheme != SCHEME_EG && scheme != SCHEME_QCOMPOSITE)) return OK;
  const status = rewriteImage();
  // Committed: the ring lacks the keys now. Not committed: the list keeps refusing them.
  if (status == OK) revokedKeyCount = 0;
  return status;
}

// ---------------------------------------------------------------------------------------------
// Image rewrite without the revoked keys (docs/image-format.md layout; slots API)

const CHUNK_LEN: i32 = 64;
const chunk = memory.data(CHUNK_LEN, 16);
const cmacCtx = memory.data(CMAC_CTX_LEN, 16);
const digest = memory.data(KEY_LEN, 16);
const nodeKey = memory.data(KEY_LEN, 16);
const OFF_IMAGE_LEN: i32 = 12;
const OFF_RING_SIZE: i32 = 24;
const OFF_RECORD_COUNT: i32 = 44;
const OFF_RING_OFFSET: usize = 52;
const HEADER_PATCH_END: i32 = 48;

let outAt: i32 = 0;
let writeStatus: i32 = 0; // OK, as a literal: a named initial value costs a start function

/** Appends `len` bytes at `ptr` to the staged image and feeds them to the trailer's CMAC. */
function emit(ptr: usize, len: i32): void {
  if (writeStatus == OK) writeStatus = stageWrite(<u32>outAt, ptr, len);
  cmacUpdate(cmacCtx, ptr, len);
  outAt += len;
}

/**
 * Stages the image without the revoked records (eg and q-composite: no erasable region), its
 * trailer recomputed (CRC-32 of the staged bytes from the slots API, CMAC streamed as written),
 * and commits it under the digest the slots API reads back; then re-reads the ring.
 */
function rewriteImage(): i32 {
  const oldAddr = ringImageAddr();
  const recordLen = ringRecordLen();
  const count = ringCount();
  let kept = 0;
  for (let i = 0; i < count; i++) if (!keyRevoked(ringIdAt(i))) kept++;
  if (flashRead(oldAddr, chunk, CHUNK_LEN) != 0 || !ringNodeKey(nodeKey)) return ERR_HAL;
  const ringOffset = <i32>load<u32>(chunk + OFF_RING_OFFSET);
  const newLen = ringOffset + kept * recordLen + TRAILER_LEN;
  outAt = 0;
  writeStatus = stageBegin(newLen);
  if (writeStatus != OK) {
    wipe(nodeKey, KEY_LEN);
    return writeStatus;
  }
  cmacInit(cmacCtx, nodeKey);
  wipe(nodeKey, KEY_LEN);

  // Header and fixed sections, with image length, ring size and record count patched.
  for (let at = 0; at < ringOffset; at += CHUNK_LEN) {
    const len = min(CHUNK_LEN, ringOffset - at);
    if (flashRead(oldAddr + <u32>at, chunk, len) != 0) writeStatus = ERR_HAL;
    if (at == 0 && len >= HEADER_PATCH_END) {
      store<u32>(chunk + <usize>OFF_IMAGE_LEN, <u32>newLen);
      store<u32>(chunk + <usize>OFF_RING_SIZE, <u32>kept);
      store<u32>(chunk + <usize>OFF_RECORD_COUNT, <u32>kept);
    }
    emit(chunk, len);
  }
  // Records, without the revoked ones.
  const ringAddr = oldAddr + <u32>ringOffset;
  for (let i = 0; i < count; i++) {
    if (flashRead(ringAddr + <u32>(i * recordLen), chunk, min(recordLen, CHUNK_LEN)) != 0) {
      writeStatus = ERR_HAL;
    }
    if (keyRevoked(load<u32>(chunk))) continue;
    emit(chunk, recordLen);
  }
  // Trailer: CRC-32 of what was staged, then the CMAC over everything before the tag.
  store<u32>(chunk, stagedCrc(newLen - TRAILER_LEN));
  emit(chunk, TRAILER_CRC_LEN);
  cmacFinal(cmacCtx, chunk);
  if (writeStatus == OK) writeStatus = stageWrite(<u32>outAt, chunk, TRAILER_TAG_LEN);
  wipe(chunk, CHUNK_LEN);
  if (writeStatus != OK) return writeStatus;
  if (!stagedReadBack(digest)) return ERR_HAL;
  const status = stageCommit(digest);
  if (status != OK) return status;
  imageRewrites++;
  // Re-read the new active image; the ring no longer holds the revoked keys.
  return ringBoot();
}
