// Two image slots and commit records in flash: atomic replacement of the provisioning image
// (docs/flash-protocol.md, "Flash layout"). A new image is staged in the inactive slot, verified
// there (MMO digest, CRC-32 and CMAC trailer), and becomes active only when a commit record
// naming its slot, length and digest is written. At boot the record with the highest seq whose
// slot still verifies wins, so a power cut at any instant leaves the old image or the new one.
// After a commit the superseded slot is erased, so keys the new image dropped leave the chip.
//
// Record area: RECORD_PAGES pages after the two slots, used as a ring of pages. Records are
// appended; when a page is full the next one is erased first. The page holding the newest
// record is never erased, so the newest record survives any power cut.
//
// Not protected: a chip readout (flash is not encrypted); flash that fails silently.

import { flashErase, flashPageCount, flashPageSize, flashRead, flashWrite } from "../hal";
import { OK } from "../status";
import { crc32, constantTimeEqual, wipe } from "../crypto/index";
import { copyBytes } from "../crypto/util";
import {
  ERR_FLASH, ERR_FLASH_GEOMETRY, ERR_IMAGE_SIZE, ERR_NOT_STAGED, ERR_DIGEST_MISMATCH,
  ERR_IMAGE_CRC, ERR_IMAGE_TAG, ERR_WRITE_RANGE,
} from "../status";
import {
  DIGEST_LEN, IMAGE_MAX_LEN, flashCrc, flashDigest, imageCrcValid, imageTagValid,
} from "./image";

/** One slot holds one image of at most IMAGE_MAX_LEN bytes. */
export const SLOT_LEN: i32 = IMAGE_MAX_LEN;
export const SLOT_NONE: i32 = -1;
const RECORD_PAGES: i32 = 2;

// Record layout (RECORD_LEN bytes, little-endian):
//   0 magic u32 | 4 seq u32 | 8 slot u8 | 9 kind u8 | 10 reserved u16 (0) | 12 image length u32
//   16 digest (16) | 32 CRC-32 of bytes 0..31 | 36..47 left erased (0xFF)
const RECORD_LEN: i32 = 48;
const RECORD_CHECKED: i32 = 32;
const RECORD_MAGIC: u32 = 0x31524350; // "PCR1"
/** A commit record: the slot holds a verified image. */
const KIND_COMMIT: u8 = 1;
/** A stage record: a transfer into the slot began (so it can resume after a reboot). */
const KIND_STAGE: u8 = 2;
const ERASED: u8 = 0xff;
const ERASED_WORD: u32 = 0xffffffff;
/** Above every u32 seq: the first boot pass admits every commit record. */
const SEQ_BOUND_NONE: u64 = 0x100000000;

const record = memory.data(RECORD_LEN, 16);
const scratch = memory.data(DIGEST_LEN, 16);

let pageSize: i32 = 0;
let slotPages: i32 = 0;
let recordsPerPage: i32 = 0;
let geometryOk = false;

// Literal initial values: a named one (SLOT_NONE) costs a start function.
let activeSlot: i32 = -1; // SLOT_NONE
let activeLen: i32 = 0;
let activeSeq: u32 = 0;
const activeDigestBuf = memory.data(DIGEST_LEN, 16);

let stagedSlot: i32 = -1; // SLOT_NONE
let stagedLen: i32 = 0;
const stagedDigestBuf = memory.data(DIGEST_LEN, 16);

/** Highest seq among valid records of any kind; the next record takes maxSeq + 1. */
let maxSeq: u32 = 0;
/** Record index (0 .. RECORD_PAGES * recordsPerPage - 1) of the record holding maxSeq, or -1. */
let newestIndex: i32 = -1;

function slotAddr(slot: i32): u32 {
  return <u32>(slot * slotPages * pageSize);
}

function recordAddr(index: i32): u32 {
  const page = index / recordsPerPage;
  const within = index % recordsPerPage;
  // The record pages follow the two slots.
  return slotAddr(2) + <u32>(page * pageSize + within * RECORD_LEN);
}

/** Reads record `index` into `record`; true when its magic and CRC hold. */
function readRecord(index: i32): bool {
  if (flashRead(recordAddr(index), record, RECORD_LEN) < 0) return false;
  if (load<u32>(record) != RECORD_MAGIC) return false;
  if (crc32(record, RECORD_CHECKED) != load<u32>(record, RECORD_CHECKED)) return false;
  const slot = <i32>load<u8>(record, 8);
  const kind = load<u8>(record, 9);
  const len = <i32>load<u32>(record, 12);
  return (slot == 0 || slot == 1) && (kind == KIND_COMMIT || kind == KIND_STAGE)
    && len > 0 && len <= SLOT_LEN;
}

/** True when the `len` bytes at `ptr` all read as erased flash (0xFF). */
function allErased(ptr: usize, len: i32): bool {
  let all: u32 = ERASED;
  for (let i = 0; i < len; i++) all &= load<u8>(ptr + <usize>i);
  return all == ERASED;
}

function recordBlank(index: i32): bool {
  return flashRead(recordAddr(index), record, RECORD_LEN) >= 0 && allErased(record, RECORD_LEN);
}

function recordCount(): i32 {
  return RECORD_PAGES * recordsPerPage;
}

/** True when slot `slot` holds an image of `len` bytes whose CRC-32 trailer holds. */
function slotVerifies(slot: i32, len: i32): bool {
  return imageCrcValid(slotAddr(slot), len);
}

function loadGeometry(): bool {
  pageSize = flashPageSize();
  const pages = flashPageCount();
  if (pageSize < RECORD_LEN || pageSize > SLOT_LEN || pages <= 0) return false;
  slotPages = (SLOT_LEN + pageSize - 1) / pageSize;
  if (pages < 2 * slotPages + RECORD_PAGES) return false;
  recordsPerPage = pageSize / RECORD_LEN;
  return true;
}

/** Reads the commit records and chooses the active slot; call once at boot. */
export function slotsInit(): i32 {
  activeSlot = SLOT_NONE;
  activeLen = 0;
  activeSeq = 0;
  stagedSlot = SLOT_NONE;
  stagedLen = 0;
  maxSeq = 0;
  newestIndex = -1;
  wipe(activeDigestBuf, DIGEST_LEN);
  wipe(stagedDigestBuf, DIGEST_LEN);
  geometryOk = loadGeometry();
  if (!geometryOk) return ERR_FLASH_GEOMETRY;

  // One pass per attempt: the highest commit record below the bound whose slot verifies; each
  // failure lowers the bound. The first pass also finds the newest record of any kind (it fixes
  // where the next record goes); its bound, 2^32, admits every seq.
  const count = recordCount();
  let activeIndex = -1;
  let bound: u64 = SEQ_BOUND_NONE;
  for (let attempt = 0; attempt < count; attempt++) {
    let best = -1;
    let bestSeq: u32 = 0;
    for (let i = 0; i < count; i++) {
      if (!readRecord(i)) continue;
      const seq = load<u32>(record, 4);
      if (attempt == 0 && (newestIndex < 0 || seq > maxSeq)) {
        maxSeq = seq;
        newestIndex = i;
      }
      if (load<u8>(record, 9) != KIND_COMMIT) continue;
      if (<u64>seq < bound && (best < 0 || seq > bestSeq)) {
        best = i;
        bestSeq = seq;
      }
    }
    if (best < 0) break;
    readRecord(best);
    const slot = <i32>load<u8>(record, 8);
    const len = <i32>load<u32>(record, 12);
    copyBytes(scratch, record + 16, DIGEST_LEN);
    if (slotVerifies(slot, len)) {
      activeSlot = slot;
      activeLen = len;
      activeSeq = bestSeq;
      copyBytes(activeDigestBuf, scratch, DIGEST_LEN);
      activeIndex = best;
      break;
    }
    bound = <u64>bestSeq;
  }

  // A stage record newer than the active commit, for the other slot: a transfer to resume.
  if (newestIndex >= 0 && readRecord(newestIndex) && load<u8>(record, 9) == KIND_STAGE) {
    const slot = <i32>load<u8>(record, 8);
    if (slot != activeSlot) {
      stagedSlot = slot;
      stagedLen = <i32>load<u32>(record, 12);
      copyBytes(stagedDigestBuf, record + 16, DIGEST_LEN);
    }
  }

  // After a fallback the active commit may lie in the older page, which the next page switch
  // erases: copy it into the newest page while that page has room (no erase needed).
  if (activeIndex >= 0 && activeIndex / recordsPerPage != newestIndex / recordsPerPage) {
    const page = newestIndex / recordsPerPage;
    for (let i = newestIndex + 1; i < (page + 1) * recordsPerPage; i++) {
      if (!recordBlank(i)) continue;
      if (writeRecord(i, KIND_COMMIT, activeSlot, activeLen, activeDigestBuf) == OK) {
        activeSeq = maxSeq;
      }
      break;
    }
  }
  return OK;
}

/** Writes a record at `index` with seq maxSeq + 1 and reads it back. */
function writeRecord(index: i32, kind: u8, slot: i32, len: i32, digest: usize): i32 {
  const seq = maxSeq + 1;
  // Bytes 36..47 stay erased: three words of 0xFF.
  store<u32>(record, ERASED_WORD, RECORD_CHECKED + 4);
  store<u32>(record, ERASED_WORD, RECORD_CHECKED + 8);
  store<u32>(record, ERASED_WORD, RECORD_CHECKED + 12);
  store<u32>(record, RECORD_MAGIC);
  store<u32>(record, seq, 4);
  store<u8>(record, <u8>slot, 8);
  store<u8>(record, kind, 9);
  store<u16>(record, 0, 10);
  store<u32>(record, <u32>len, 12);
  copyBytes(record + 16, digest, DIGEST_LEN);
  store<u32>(record, crc32(record, RECORD_CHECKED), RECORD_CHECKED);
  if (flashWrite(recordAddr(index), record, RECORD_LEN) < 0) return ERR_FLASH;
  // Read back: a record that does not read as written was not committed.
  if (!readRecord(index) || load<u32>(record, 4) != seq) return ERR_FLASH;
  maxSeq = seq;
  newestIndex = index;
  return OK;
}

/**
 * Appends a record after the newest one. When the current page is full the next page is erased
 * and the active commit record is copied into it first, so the page holding the active commit
 * is never the one erased (it is always the current page).
 */
function appendRecord(kind: u8, slot: i32, len: i32, digest: usize): i32 {
  const count = recordCount();
  const page = newestIndex < 0 ? 0 : newestIndex / recordsPerPage;
  let index = newestIndex < 0 ? 0 : newestIndex + 1;
  // Skip torn or foreign bytes within the current page.
  while (index < count && index / recordsPerPage == page && !recordBlank(index)) index++;
  if (index < count && index / recordsPerPage == page) {
    return writeRecord(index, kind, slot, len, digest);
  }
  const nextPage = newestIndex < 0 ? 0 : (page + 1) % RECORD_PAGES;
  index = nextPage * recordsPerPage;
  if (flashErase(<u32>(2 * slotPages + nextPage)) < 0) return ERR_FLASH;
  if (activeSlot != SLOT_NONE && kind == KIND_STAGE) {
    const copied = writeRecord(index, KIND_COMMIT, activeSlot, activeLen, activeDigestBuf);
    if (copied != OK) return copied;
    activeSeq = maxSeq;
    index++;
  }
  return writeRecord(index, kind, slot, len, digest);
}

/** Erases every page of `slot` that is not already blank. */
function eraseSlot(slot: i32): i32 {
  for (let p = 0; p < slotPages; p++) {
    const page = slot * slotPages + p;
    let blank = true;
    for (let at = 0; at < pageSize && blank; at += DIGEST_LEN) {
      if (flashRead(<u32>(page * pageSize + at), scratch, DIGEST_LEN) < 0) return ERR_FLASH;
      blank = allErased(scratch, DIGEST_LEN);
    }
    if (!blank && flashErase(<u32>page) < 0) return ERR_FLASH;
  }
  return OK;
}

/** Flash byte address of the active image, or 0xFFFFFFFF when there is none. */
export function activeImageAddr(): u32 {
  return activeSlot == SLOT_NONE ? 0xffffffff : slotAddr(activeSlot);
}

/** Length in bytes of the active image, 0 when there is none. */
export function activeImageLen(): i32 {
  return activeSlot == SLOT_NONE ? 0 : activeLen;
}

/** The active slot (0 or 1), or SLOT_NONE. */
export function activeSlotIndex(): i32 {
  return activeSlot;
}

/** Seq of the active commit record (0 when none). */
export function activeCommitSeq(): u32 {
  return activeSeq;
}

/** Copies the active image's 16-byte digest (as committed) to `out`; zeros when none. */
export function activeDigest(out: usize): void {
  copyBytes(out, activeDigestBuf, DIGEST_LEN);
}

/** Length of the image being staged, 0 when no transfer is staged. */
export function stagedImageLen(): i32 {
  return stagedSlot == SLOT_NONE ? 0 : stagedLen;
}

/** Copies the digest named when the staged transfer began (stageBeginFor) to `out`. */
export function stagedDigest(out: usize): void {
  copyBytes(out, stagedDigestBuf, DIGEST_LEN);
}

/**
 * Bytes of the staged slot that hold data: one past the last byte that is not 0xFF. The true
 * count may be larger (an image can contain 0xFF); rewriting equal bytes is harmless on NOR.
 */
export function stagedResumeOffset(): i32 {
  if (stagedSlot == SLOT_NONE) return 0;
  const base = slotAddr(stagedSlot);
  let end = stagedLen;
  while (end > 0) {
    const n = min(DIGEST_LEN, end);
    if (flashRead(base + <u32>(end - n), scratch, n) < 0) return 0;
    for (let i = n - 1; i >= 0; i--) {
      if (load<u8>(scratch + <usize>i) != ERASED) return end - n + i + 1;
    }
    end -= n;
  }
  return 0;
}

/** CRC-32 of the first `len` staged bytes, so the host can check a resumed prefix. */
export function stagedCrc(len: i32): u32 {
  if (stagedSlot == SLOT_NONE || len <= 0 || len > stagedLen) return 0;
  return flashCrc(slotAddr(stagedSlot), len);
}

/**
 * Erases the inactive slot and prepares it for an image of `len` bytes whose digest is at
 * `digest` (16 bytes); records the stage so the transfer can resume after a reboot.
 */
export function stageBeginFor(len: i32, digest: usize): i32 {
  if (!geometryOk) return ERR_FLASH_GEOMETRY;
  if (len <= 0 || len > SLOT_LEN) return ERR_IMAGE_SIZE;
  stagedSlot = SLOT_NONE;
  copyBytes(stagedDigestBuf, digest, DIGEST_LEN);
  const slot = activeSlot == 0 ? 1 : 0;
  const erased = eraseSlot(slot);
  if (erased != OK) return erased;
  const recorded = appendRecord(KIND_STAGE, slot, len, stagedDigestBuf);
  if (recorded != OK) return recorded;
  stagedSlot = slot;
  stagedLen = len;
  return OK;
}

/** Erases the inactive slot and prepares it for an image of `len` bytes. */
export function stageBegin(len: i32): i32 {
  wipe(scratch, DIGEST_LEN);
  return stageBeginFor(len, scratch);
}

/** Writes into the staged image at `offset`. */
export function stageWrite(offset: u32, ptr: usize, len: i32): i32 {
  if (stagedSlot == SLOT_NONE) return ERR_NOT_STAGED;
  if (len <= 0 || <u64>offset + <u64>len > <u64>stagedLen) return ERR_WRITE_RANGE;
  if (flashWrite(slotAddr(stagedSlot) + offset, ptr, len) < 0) return ERR_FLASH;
  return OK;
}

/**
 * Verifies the staged image against the 16-byte MMO digest at `digest` (then its CRC-32 and
 * CMAC trailer), then commits it: writes the commit record and erases the superseded slot.
 */
export function stageCommit(digest: usize): i32 {
  if (stagedSlot == SLOT_NONE) return ERR_NOT_STAGED;
  const base = slotAddr(stagedSlot);
  if (!flashDigest(base, stagedLen, scratch)) return ERR_FLASH;
  if (!constantTimeEqual(scratch, digest, DIGEST_LEN)) return ERR_DIGEST_MISMATCH;
  if (!imageCrcValid(base, stagedLen)) return ERR_IMAGE_CRC;
  if (!imageTagValid(base, stagedLen)) return ERR_IMAGE_TAG;
  const recorded = appendRecord(KIND_COMMIT, stagedSlot, stagedLen, digest);
  if (recorded != OK) return recorded;
  const old = activeSlot;
  activeSlot = stagedSlot;
  activeLen = stagedLen;
  activeSeq = maxSeq;
  copyBytes(activeDigestBuf, digest, DIGEST_LEN);
  stagedSlot = SLOT_NONE;
  stagedLen = 0;
  // The new image is committed; failing to erase the old one leaves keys behind, not a mix.
  if (old != SLOT_NONE) return eraseSlot(old);
  return OK;
}

/** Computes the MMO digest of the staged bytes into `out` (the read-back); false on error. */
export function stagedReadBack(out: usize): bool {
  if (stagedSlot == SLOT_NONE) return false;
  return flashDigest(slotAddr(stagedSlot), stagedLen, out);
}
