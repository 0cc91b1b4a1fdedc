// Ring store: the node's view of its provisioning image (docs/image-format.md, format version 1)
// read in place from the active flash slot. At boot the header is checked and the image streamed
// once through CRC-32 and CMAC under the node key (the trailer, assembly/storage/image); until
// both hold, every key operation answers ERR_UNPROVISIONED. The node key is not kept in RAM. Key
// lookup by ID is a binary search over the sorted records in flash, one 4-byte ID read per step
// and one 16-byte key read at the end: the ring is never copied to RAM.
//
// Threat model limits: the trailer shows the image came from the holder of the node key (the
// authority) and was not corrupted; it does not hide keys from someone who reads the flash.

import { flashRead, flashWrite } from "../hal";
import { activeImageAddr, activeImageLen } from "../storage/slots";
import { OK, ERR_UNPROVISIONED, ERR_HAL } from "../status";
import { crc32Update, wipe } from "../crypto/index";
import { copyBytes } from "../crypto/util";
import { imageCrcValid, imageTagValid, imageNodeKey } from "../storage/image";
import { ERR_NET_IMAGE_FORMAT, ERR_NET_IMAGE_CRC, ERR_NET_IMAGE_TAG } from "../status";
import {
  IMAGE_MAGIC, IMAGE_VERSION, IMAGE_HEADER_LEN, IMAGE_MAX_LEN, TRAILER_LEN, KEY_RECORD_LEN,
  ANCHOR_LEN, ERASABLE_LEN, RING_KEY_LEN, SCHEME_FULL, SCHEME_POLYPOOL, SCHEME_LEAP,
  FLAG_SEEDED_RING, OFF_MAGIC, OFF_VERSION, OFF_SCHEME, OFF_FLAGS, OFF_NODE_ID, OFF_IMAGE_LEN,
  OFF_POOL_SIZE, OFF_THRESHOLD, OFF_LANES, OFF_RING_SEED, LANES_MAX, OFF_DRAWS, OFF_RECORD_COUNT,
  OFF_RECORD_LEN, OFF_RING_OFFSET, OFF_NODE_KEY_OFFSET, OFF_ANCHOR_OFFSET, OFF_ERASABLE_OFFSET,
  OFF_ERASABLE_LEN, NODE_KEY_OFF, ANCHOR_OFF, ERASABLE_OFF,
} from "../image-layout";

export {
  TRAILER_CRC_LEN, TRAILER_TAG_LEN, TRAILER_LEN, SCHEME_FULL, SCHEME_EG, SCHEME_QCOMPOSITE,
  SCHEME_PAIRWISE, SCHEME_POLYPOOL, SCHEME_LEAP, LANES_MAX,
} from "../image-layout";


const header = memory.data(IMAGE_HEADER_LEN, 8);
const idBuf = memory.data(4, 4);
/** A ring record: key ID u32, then the key (or a polypool share) at this offset. */
const RECORD_KEY_AT: i32 = 4;

let ready = false;
let imageAddr: u32 = 0;
let imageLen: i32 = 0;
let scheme: u32 = 0;
let flags: u32 = 0;
let nodeId: u32 = 0;
let recordCount: i32 = 0;
let recordLen: i32 = 0;
let threshold: u32 = 0;
let lanes: u32 = 0;
let erasableLen: i32 = 0;
/** ERR_UNPROVISIONED as a literal: a named initial value costs a start function. */
let bootStatus: i32 = 4;

function hdrU32(off: usize): u32 {
  return load<u32>(header + off);
}

/** Reads and checks the active image; returns OK or the first reason it is refused. */
function check(): i32 {
  imageAddr = activeImageAddr();
  imageLen = activeImageLen();
  const minLen = IMAGE_HEADER_LEN + RING_KEY_LEN + ANCHOR_LEN + TRAILER_LEN;
  if (imageAddr == 0xffffffff || imageLen < minLen || imageLen > IMAGE_MAX_LEN) {
    return ERR_UNPROVISIONED;
  }
  if (flashRead(imageAddr, header, IMAGE_HEADER_LEN) != 0) return ERR_UNPROVISIONED;
  if (hdrU32(OFF_MAGIC) != IMAGE_MAGIC) return ERR_NET_IMAGE_FORMAT;
  if (<u32>load<u16>(header + OFF_VERSION) != IMAGE_VERSION) return ERR_NET_IMAGE_FORMAT;
  if (hdrU32(OFF_IMAGE_LEN) != <u32>imageLen) return ERR_NET_IMAGE_FORMAT;
  scheme = <u32>load<u8>(header + OFF_SCHEME);
  flags = <u32>load<u8>(header + OFF_FLAGS);
  nodeId = hdrU32(OFF_NODE_ID);
  threshold = hdrU32(OFF_THRESHOLD);
  lanes = hdrU32(OFF_LANES);
  const poolSize = load<u64>(header + OFF_POOL_SIZE);
  const count = hdrU32(OFF_RECORD_COUNT);
  const rlen = hdrU32(OFF_RECORD_LEN);
  const ringOff = hdrU32(OFF_RING_OFFSET);
  if (scheme < SCHEME_FULL || scheme > SCHEME_LEAP) return ERR_NET_IMAGE_FORMAT;
  if (nodeId == 0 || nodeId == 0xffffffff) return ERR_NET_IMAGE_FORMAT;
  // Only the canonical layout (docs/image-format.md): every section offset is fixed by the
  // scheme, so none needs a range check.
  const eLen: u32 = scheme == SCHEME_LEAP ? <u32>ERASABLE_LEN : 0;
  if (hdrU32(OFF_NODE_KEY_OFFSET) != NODE_KEY_OFF || hdrU32(OFF_ANCHOR_OFFSET) != ANCHOR_OFF ||
    hdrU32(OFF_ERASABLE_LEN) != eLen ||
    hdrU32(OFF_ERASABLE_OFFSET) != (eLen != 0 ? ERASABLE_OFF : 0) ||
    ringOff != ERASABLE_OFF + eLen) {
    return ERR_NET_IMAGE_FORMAT;
  }
  if (scheme != SCHEME_POLYPOOL && rlen != <u32>KEY_RECORD_LEN) return ERR_NET_IMAGE_FORMAT;
  // Polypool record: ID, then lanes x (t + 1) share coefficients.
  if (scheme == SCHEME_POLYPOOL && (lanes < 1 || lanes > LANES_MAX ||
    <u64>rlen != 4 + 4 * <u64>lanes * (<u64>threshold + 1))) {
    return ERR_NET_IMAGE_FORMAT;
  }
  if ((flags & FLAG_SEEDED_RING) != 0 && (poolSize == 0 || poolSize > 0x100000000)) {
    return ERR_NET_IMAGE_FORMAT;
  }
  if (<u64>ringOff + <u64>count * <u64>rlen + <u64>TRAILER_LEN != <u64>imageLen) {
    return ERR_NET_IMAGE_FORMAT;
  }
  recordCount = <i32>count;
  recordLen = <i32>rlen;
  erasableLen = <i32>eLen;

  // Trailer: CRC-32 over [0, len - 20), CMAC under the node key over [0, len - 16), both with the
  // erasable region read as zeros (docs/image-format.md, "Trailer"): assembly/storage/image.
  if (!imageCrcValid(imageAddr, imageLen)) return ERR_NET_IMAGE_CRC;
  if (!imageTagValid(imageAddr, imageLen)) return ERR_NET_IMAGE_TAG;
  return OK;
}

/** Checks the active image; call at boot and after every image rewrite. */
export function ringBoot(): i32 {
  ready = false;
  const status = check();
  if (status != OK) {
    recordCount = 0;
    bootStatus = status;
    return status;
  }
  ready = true;
  bootStatus = OK;
  return OK;
}

export function ringReady(): bool {
  return ready;
}

/** Why the image was refused at the last check (OK when it was accepted). */
export function ringStatus(): i32 {
  return bootStatus;
}

export function ringScheme(): u32 {
  return scheme;
}

export function ringNodeId(): u32 {
  return ready ? nodeId : 0;
}

export function ringCount(): i32 {
  return ready ? recordCount : 0;
}

export function ringThreshold(): u32 {
  return threshold;
}

export function ringSeeded(): bool {
  return (flags & FLAG_SEEDED_RING) != 0;
}

/** Read from the header copy, like ringSeed. */
export function ringDraws(): u32 {
  return hdrU32(OFF_DRAWS);
}

export function ringLanes(): u32 {
  return lanes;
}

/** Pool size P (eg, q-composite) or polynomial count s (polypool). */
export function ringPoolSize(): u64 {
  return load<u64>(header + OFF_POOL_SIZE);
}

/** Address of the public ring seed in the header copy (seeded rings). */
export function ringSeed(): usize {
  return header + OFF_RING_SEED;
}

/** u32 word `word` after the ID of record `index` (a polypool share coefficient); 0 on error. */
export function ringWordAt(index: i32, word: i32): u32 {
  const at = RECORD_KEY_AT + 4 * word;
  if (word < 0 || at >= recordLen) return 0;
  return recordU32(index, at);
}

export function ringImageAddr(): u32 {
  return imageAddr;
}

export function ringImageLen(): i32 {
  return imageLen;
}

export function ringAnchorAddr(): u32 {
  return imageAddr + ANCHOR_OFF;
}

export function ringErasableLen(): i32 {
  return erasableLen;
}

export function ringRecordLen(): i32 {
  return recordLen;
}

/** Copies the node key (for rewriting the trailer) to `out`; false when not available. */
export function ringNodeKey(out: usize): bool {
  return ready && imageNodeKey(imageAddr, imageLen, out);
}

/** ID of record `index` (0 when out of range or unprovisioned). */
export function ringIdAt(index: i32): u32 {
  return recordU32(index, 0);
}

/** The u32 at byte `offset` of ring record `index` (0 when out of range or unprovisioned). */
function recordU32(index: i32, offset: i32): u32 {
  return recordRead(index, offset, idBuf, 4) ? load<u32>(idBuf) : 0;
}

/** Reads `len` bytes at byte `offset` of ring record `index` to `out`; false when not available. */
function recordRead(index: i32, offset: i32, out: usize, len: i32): bool {
  if (!ready || index < 0 || index >= recordCount) return false;
  // The ring follows the erasable region (check: ring offset = ERASABLE_OFF + erasable length).
  const ringAddr = imageAddr + ERASABLE_OFF + <u32>erasableLen;
  return flashRead(ringAddr + <u32>(index * recordLen + offset), out, len) == 0;
}

/** Index of the record with `id`, or -1: binary search, one 4-byte flash read per step. */
export function ringFind(id: u32): i32 {
  if (!ready) return -1;
  let lo = 0;
  let hi = recordCount - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const got = ringIdAt(mid);
    if (got == id) return mid;
    if (got < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Copies the 16-byte key of record `index` to `out`; ERR_UNPROVISIONED when not available. */
export function ringKeyAt(index: i32, out: usize): i32 {
  return recordRead(index, RECORD_KEY_AT, out, RING_KEY_LEN) ? OK : ERR_UNPROVISIONED;
}

const erasable = memory.data(ERASABLE_LEN, 16);

/**
 * LEAP+ K_IN from the erasable region (docs/image-format.md): copied to `out` (when not 0) if the
 * region is intact (its CRC-32 holds); ERR_UNPROVISIONED when absent, erased or damaged.
 */
export function leapInitialKey(out: usize): i32 {
  if (!ready || erasableLen != ERASABLE_LEN) return ERR_UNPROVISIONED;
  let status = ERR_UNPROVISIONED;
  if (flashRead(imageAddr + ERASABLE_OFF, erasable, ERASABLE_LEN) == 0) {
    let any: u32 = 0;
    for (let i = 0; i < 32; i++) any |= <u32>load<u8>(erasable + <usize>i);
    if (any != 0 && crc32Update(0, erasable, 32) == load<u32>(erasable + 32)) {
      if (out != 0) copyBytes(out, erasable, RING_KEY_LEN);
      status = OK;
    }
  }
  wipe(erasable, ERASABLE_LEN);
  return status;
}

/**
 * LEAP+: writes zeros over the whole erasable region in place (NOR flash clears bits without a
 * page erase; the trailer reads the region as zeros, so the image stays valid). OK or ERR_HAL.
 * Zeros over zeros change no cell, so finishing an erasure that was already done is harmless.
 */
export function leapErase(): i32 {
  if (!ready || erasableLen != ERASABLE_LEN) return OK;
  wipe(erasable, ERASABLE_LEN);
  return flashWrite(imageAddr + ERASABLE_OFF, erasable, ERASABLE_LEN) < 0 ? ERR_HAL : OK;
}
