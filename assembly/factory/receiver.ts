// The factory flash protocol receiver (docs/flash-protocol.md): SLIP frames with a CRC-32 arrive
// on the UART, are reassembled in one bounded buffer (a frame may span many on_uart calls), and
// are dispatched by the receiver's state: FLASH_IDLE until a HELLO, FLASH_READY after it,
// FLASH_RECEIVING while an image is staged. Every answer echoes the request's seq. A frame with a
// bad CRC, a bad escape or an overlong body is dropped without an answer (its seq cannot be
// trusted); a well-formed frame the state does not expect is answered ERR_UNEXPECTED_FRAME.
//
// The image goes to the inactive slot through assembly/storage/slots.ts and becomes active only
// on COMMIT, after the node has verified the digest, the CRC-32 and the CMAC trailer itself.
//
// Not protected: the link is not authenticated; anyone at the factory port can flash a node. The
// trailer's CMAC shows the image was made for the node key it carries, the end-of-line CHECK
// shows the host which keys the node holds.

import { uartWrite, flashRead } from "../hal";
import {
  OK, ERR_FLASH, ERR_IMAGE_SIZE, ERR_NOT_STAGED, ERR_PROTOCOL_VERSION, ERR_UNEXPECTED_FRAME,
  ERR_FRAME_LENGTH, ERR_UNKNOWN_COMMAND, ERR_OFFSET, ERR_INCOMPLETE, ERR_NO_IMAGE,
  ERR_RING_INDEX, ERR_DIGEST_MISMATCH,
} from "../status";
import {
  CMAC_CTX_LEN, cmacInit, cmacUpdate, cmacFinal, crc32, constantTimeEqual, wipe,
} from "../crypto/index";
import { copyBytes } from "../crypto/util";
import {
  SLOT_LEN, activeImageAddr, activeImageLen, activeDigest, activeCommitSeq, stagedImageLen,
  stagedDigest, stagedResumeOffset, stagedCrc, stageBeginFor, stageWrite, stageCommit,
  stagedReadBack,
} from "../storage/slots";
import { DIGEST_LEN, KEY_LEN, flashU32, imageNodeKey } from "../storage/image";

export const PROTOCOL_VERSION: u8 = 1;
export const FIRMWARE_VERSION: u16 = 0x0100;
/** Largest WRITE data: one default flash page. Reported in HELLO; the host never sends more. */
export const CHUNK_MAX: i32 = 1024;

// Commands (requests); a response carries the command | RESPONSE_BIT.
const CMD_HELLO: u8 = 0x01;
const CMD_BEGIN: u8 = 0x02;
const CMD_WRITE: u8 = 0x03;
const CMD_COMMIT: u8 = 0x04;
const CMD_CHECK: u8 = 0x05;
const RESPONSE_BIT: u8 = 0x80;

// SLIP (RFC 1055).
const SLIP_END: u8 = 0xc0;
const SLIP_ESC: u8 = 0xdb;
const SLIP_ESC_END: u8 = 0xdc;
const SLIP_ESC_ESC: u8 = 0xdd;

// Frame: cmd u8 | seq u8 | payload | CRC-32 (LE) of cmd..payload.
const HEADER_LEN: i32 = 2;
const CRC_LEN: i32 = 4;
const WRITE_FIXED: i32 = 4;
const FRAME_MAX: i32 = HEADER_LEN + WRITE_FIXED + CHUNK_MAX + CRC_LEN;
const RESPONSE_MAX: i32 = 64;
// Answer bodies after the status byte: a failure sends this many zeros (dispatchFrame).
const BEGIN_ANSWER_LEN: i32 = 9;
const WRITE_ANSWER_LEN: i32 = 4;
const COMMIT_ANSWER_LEN: i32 = DIGEST_LEN + 4;
const CHECK_ANSWER_LEN: i32 = 2 * DIGEST_LEN;

// Receiver states (one dispatch: dispatchFrame).
const FLASH_IDLE: i32 = 0;
const FLASH_READY: i32 = 1;
const FLASH_RECEIVING: i32 = 2;

// SLIP decoder states.
const RX_BODY: i32 = 0;
const RX_ESCAPE: i32 = 1;
/** An overlong body or a bad escape: drop bytes until the next END. */
const RX_DISCARD: i32 = 2;

const NODE_UNPROVISIONED: u8 = 0;
const NODE_PROVISIONED: u8 = 1;

/** BEGIN flags: bit 0 discards a staged transfer instead of resuming it. */
const BEGIN_RESTART: u8 = 1;
/** CHECK names at most this many ring records. */
const CHECK_INDEX_MAX: i32 = 8;
const CHALLENGE_LEN: i32 = 16;
const HEADER_RECORD_COUNT: u32 = 44;
const HEADER_RECORD_LEN: u32 = 48;
const HEADER_RING_OFFSET: u32 = 52;
const TRAILER_LEN: u32 = 20;
/** Bounded retries of a UART write the HAL takes only in part. */
const UART_WRITE_TRIES: i32 = 8;

const rxBuf = memory.data(FRAME_MAX, 16);
const txBody = memory.data(RESPONSE_MAX, 16);
const txFrame = memory.data(RESPONSE_MAX * 2 + 2, 16);
const digestBuf = memory.data(DIGEST_LEN, 16);
const keyBuf = memory.data(KEY_LEN, 16);
const cmacCtx = memory.data(CMAC_CTX_LEN, 16);
const recordChunk = memory.data(32, 16);
// "predist-eol" and "predist-ring": domain labels of the two CHECK tags.
const LABEL_EOL = memory.data<u8>([0x70, 0x72, 0x65, 0x64, 0x69, 0x73, 0x74, 0x2d, 0x65, 0x6f,
  0x6c]);
const LABEL_EOL_LEN: i32 = 11;
const LABEL_RING = memory.data<u8>([0x70, 0x72, 0x65, 0x64, 0x69, 0x73, 0x74, 0x2d, 0x72, 0x69,
  0x6e, 0x67]);
const LABEL_RING_LEN: i32 = 12;

// Literal initial values (FLASH_IDLE, RX_BODY, ...): a named one costs a start function.
let state: i32 = 0; // FLASH_IDLE
let rxState: i32 = 0; // RX_BODY
let rxLen: i32 = 0;
/** Next offset of the staged transfer this session knows; -1 when it must be read from flash. */
let rxOffset: i32 = -1;
let txLen: i32 = 0;

export function factoryBoot(): i32 {
  state = FLASH_IDLE;
  rxState = RX_BODY;
  rxLen = 0;
  rxOffset = -1;
  return OK;
}

/** The receiver's state (FLASH_IDLE 0, FLASH_READY 1, FLASH_RECEIVING 2), for tests. */
export function factoryState(): i32 {
  return state;
}

export function factoryUart(ptr: usize, len: i32): i32 {
  for (let i = 0; i < len; i++) {
    const byte = load<u8>(ptr + <usize>i);
    if (byte == SLIP_END) {
      if (rxState == RX_BODY && rxLen > 0) receiveFrame();
      rxState = RX_BODY;
      rxLen = 0;
      continue;
    }
    if (rxState == RX_DISCARD) continue;
    let value = byte;
    if (rxState == RX_ESCAPE) {
      rxState = RX_BODY;
      if (byte == SLIP_ESC_END) value = SLIP_END;
      else if (byte == SLIP_ESC_ESC) value = SLIP_ESC;
      else {
        rxState = RX_DISCARD;
        continue;
      }
    } else if (byte == SLIP_ESC) {
      rxState = RX_ESCAPE;
      continue;
    }
    if (rxLen >= FRAME_MAX) {
      rxState = RX_DISCARD;
      continue;
    }
    store<u8>(rxBuf + <usize>rxLen, value);
    rxLen++;
  }
  return OK;
}

/** The receiver arms no timers: SLIP END bytes delimit frames, the host owns every timeout. */
export function factoryTimer(timerId: i32): i32 {
  return OK;
}

/** Checks the CRC and answers the frame in rxBuf; drops it silently when the CRC fails. */
function receiveFrame(): void {
  if (rxLen < HEADER_LEN + CRC_LEN) return;
  const bodyLen = rxLen - CRC_LEN;
  if (crc32(rxBuf, bodyLen) != load<u32>(rxBuf + <usize>bodyLen)) return;
  const cmd = load<u8>(rxBuf);
  if ((cmd & RESPONSE_BIT) != 0) return;
  const payload = rxBuf + <usize>HEADER_LEN;
  const payloadLen = bodyLen - HEADER_LEN;
  // Response header: cmd | RESPONSE_BIT, the request's seq, then a status byte.
  store<u8>(txBody, cmd | RESPONSE_BIT);
  store<u8>(txBody, load<u8>(rxBuf, 1), 1);
  txLen = HEADER_LEN + 1;
  const status = dispatchFrame(cmd, payload, payloadLen);
  store<u8>(txBody, <u8>status, 2);
  sendResponse();
}

/**
 * The receiver's one dispatch: which commands each state accepts. A handler writes its answer
 * body only on success (and WRITE always); when it wrote nothing, the answer is its fixed length
 * in zeros, so every failure answers one size per command.
 */
function dispatchFrame(cmd: u8, payload: usize, len: i32): i32 {
  if (cmd == CMD_HELLO) return onHello(payload, len);
  if (cmd < CMD_HELLO || cmd > CMD_CHECK) return ERR_UNKNOWN_COMMAND;
  // READY takes BEGIN and CHECK; RECEIVING takes BEGIN, WRITE and COMMIT.
  if (state == FLASH_READY ? cmd != CMD_BEGIN && cmd != CMD_CHECK
    : state != FLASH_RECEIVING || cmd == CMD_CHECK) {
    return ERR_UNEXPECTED_FRAME;
  }
  let status: i32;
  let answerLen: i32;
  if (cmd == CMD_BEGIN) {
    status = onBegin(payload, len);
    answerLen = BEGIN_ANSWER_LEN;
  } else if (cmd == CMD_WRITE) {
    status = onWrite(payload, len);
    answerLen = WRITE_ANSWER_LEN;
  } else if (cmd == CMD_COMMIT) {
    status = onCommit(payload, len);
    answerLen = COMMIT_ANSWER_LEN;
  } else {
    status = onCheck(payload, len);
    answerLen = CHECK_ANSWER_LEN;
  }
  if (txLen == HEADER_LEN + 1) putZeros(answerLen);
  return status;
}

function putU8(value: u8): void {
  store<u8>(txBody + <usize>txLen, value);
  txLen += 1;
}

function putU16(value: u16): void {
  store<u16>(txBody + <usize>txLen, value);
  txLen += 2;
}

function putU32(value: u32): void {
  store<u32>(txBody + <usize>txLen, value);
  txLen += 4;
}

function putBytes(src: usize, len: i32): void {
  copyBytes(txBody + <usize>txLen, src, len);
  txLen += len;
}

function putZeros(len: i32): void {
  wipe(txBody + <usize>txLen, len);
  txLen += len;
}

/**
 * HELLO: versionMin u8, versionMax u8. Answer: version u8, firmware u16, node state u8,
 * slot size u32, chunk max u16, active length u32, active seq u32, active digest (16),
 * staged length u32. Sent whatever the status, so the host learns the node's version.
 */
function onHello(payload: usize, len: i32): i32 {
  const hasDigest = activeImageLen() > 0;
  putU8(PROTOCOL_VERSION);
  putU16(FIRMWARE_VERSION);
  putU8(hasDigest ? NODE_PROVISIONED : NODE_UNPROVISIONED);
  putU32(<u32>SLOT_LEN);
  putU16(<u16>CHUNK_MAX);
  putU32(<u32>activeImageLen());
  putU32(activeCommitSeq());
  activeDigest(digestBuf);
  putBytes(digestBuf, DIGEST_LEN);
  putU32(<u32>stagedImageLen());
  if (len != 2) return ERR_FRAME_LENGTH;
  const lowest = load<u8>(payload);
  const highest = load<u8>(payload, 1);
  if (PROTOCOL_VERSION < lowest || PROTOCOL_VERSION > highest) return ERR_PROTOCOL_VERSION;
  state = stagedImageLen() > 0 ? FLASH_RECEIVING : FLASH_READY;
  return OK;
}

/** Re-reads rxOffset from the staged slot when unknown or past `imageLen`. */
function syncOffset(imageLen: i32): void {
  if (rxOffset < 0 || rxOffset > imageLen) rxOffset = stagedResumeOffset();
}

/**
 * BEGIN: image length u32, digest (16), flags u8. Answer: next offset u32, CRC-32 of the staged
 * bytes before it u32, already-active u8. The same image already staged resumes; the active
 * image is not staged again (already-active 1); anything else erases the inactive slot.
 */
function onBegin(payload: usize, len: i32): i32 {
  if (len != 4 + DIGEST_LEN + 1) return ERR_FRAME_LENGTH;
  const imageLen = <i32>load<u32>(payload);
  const digest = payload + 4;
  const flags = load<u8>(payload, 4 + DIGEST_LEN);
  if (imageLen <= 0 || imageLen > SLOT_LEN) return ERR_IMAGE_SIZE;
  // The active image itself: nothing to transfer.
  activeDigest(digestBuf);
  if (activeImageLen() == imageLen && constantTimeEqual(digestBuf, digest, DIGEST_LEN)
    && (flags & BEGIN_RESTART) == 0) {
    putU32(<u32>imageLen);
    putU32(0);
    putU8(1);
    state = FLASH_READY;
    return OK;
  }
  // The same transfer already staged: resume at the node's offset.
  stagedDigest(digestBuf);
  if (stagedImageLen() == imageLen && constantTimeEqual(digestBuf, digest, DIGEST_LEN)
    && (flags & BEGIN_RESTART) == 0) {
    syncOffset(imageLen);
    putU32(<u32>rxOffset);
    putU32(stagedCrc(rxOffset));
    putU8(0);
    state = FLASH_RECEIVING;
    return OK;
  }
  rxOffset = -1;
  const status = stageBeginFor(imageLen, digest);
  if (status != OK) {
    state = FLASH_READY;
    return status;
  }
  // Next offset 0, CRC-32 0, not active: the nine zeros dispatchFrame sends for an empty body.
  rxOffset = 0;
  state = FLASH_RECEIVING;
  return OK;
}

/**
 * WRITE: offset u32, data (1 .. CHUNK_MAX). Answer: the node's next offset u32. A write at the
 * next offset is programmed; a repeat of bytes already written is acknowledged without touching
 * flash (a retry after a lost answer); anything else is ERR_OFFSET.
 */
function onWrite(payload: usize, len: i32): i32 {
  const imageLen = stagedImageLen();
  if (imageLen <= 0) return ERR_NOT_STAGED;
  syncOffset(imageLen);
  const dataLen = len - WRITE_FIXED;
  const offset = load<u32>(payload);
  const end = <u64>offset + <u64>dataLen;
  // Every answer is the node's next offset after this write.
  let status = OK;
  if (dataLen <= 0 || dataLen > CHUNK_MAX) status = ERR_FRAME_LENGTH;
  else if (end > <u64>imageLen) status = ERR_IMAGE_SIZE;
  else if (end > <u64>rxOffset) {
    if (offset != <u32>rxOffset) status = ERR_OFFSET;
    else {
      status = stageWrite(offset, payload + <usize>WRITE_FIXED, dataLen);
      if (status == OK) rxOffset += dataLen;
    }
  }
  putU32(<u32>rxOffset);
  return status;
}

/**
 * COMMIT: digest (16). Answer: read-back digest of the staged bytes (16), commit seq u32. The
 * node checks the digest, CRC-32 and CMAC trailer before it writes the commit record. A repeat
 * COMMIT of the image just committed is answered OK again (its answer may have been lost).
 */
function onCommit(payload: usize, len: i32): i32 {
  if (len != DIGEST_LEN) return ERR_FRAME_LENGTH;
  const imageLen = stagedImageLen();
  if (imageLen <= 0) return ERR_NOT_STAGED;
  syncOffset(imageLen);
  if (rxOffset < imageLen) return ERR_INCOMPLETE;
  stagedDigest(digestBuf);
  if (!constantTimeEqual(digestBuf, payload, DIGEST_LEN)) return ERR_DIGEST_MISMATCH;
  if (!stagedReadBack(digestBuf)) return ERR_FLASH;
  putBytes(digestBuf, DIGEST_LEN);
  const status = stageCommit(payload);
  putU32(activeCommitSeq());
  if (status == OK || stagedImageLen() == 0) {
    state = FLASH_READY;
    rxOffset = -1;
  }
  return status;
}

/** CMAC-absorbs `len` bytes of flash from `addr` through recordChunk; false on a read error. */
function cmacFlash(addr: u32, len: u32): bool {
  for (let at: u32 = 0; at < len; at += 32) {
    const n = <i32>min<u32>(32, len - at);
    if (flashRead(addr + at, recordChunk, n) < 0) return false;
    cmacUpdate(cmacCtx, recordChunk, n);
  }
  return true;
}

/** Starts a CHECK tag under the node key: its label, then `len` request bytes from `request`. */
function tagStart(label: usize, labelLen: i32, request: usize, len: i32): void {
  cmacInit(cmacCtx, keyBuf);
  cmacUpdate(cmacCtx, label, labelLen);
  cmacUpdate(cmacCtx, request, len);
}

/**
 * CHECK (end-of-line): challenge (16), count u8 (0 .. 8), count ring indices u16. Answer:
 * image tag = CMAC(K_node, "predist-eol" || challenge || active digest) (16), and ring proof =
 * CMAC(K_node, "predist-ring" || challenge || count || indices || the named ring records) (16).
 */
function onCheck(payload: usize, len: i32): i32 {
  if (len < CHALLENGE_LEN + 1) return ERR_FRAME_LENGTH;
  const count = <i32>load<u8>(payload, CHALLENGE_LEN);
  if (count > CHECK_INDEX_MAX || len != CHALLENGE_LEN + 1 + 2 * count) return ERR_FRAME_LENGTH;
  const addr = activeImageAddr();
  const imageLen = activeImageLen();
  if (imageLen <= 0 || !imageNodeKey(addr, imageLen, keyBuf)) return ERR_NO_IMAGE;
  const records = flashU32(addr + HEADER_RECORD_COUNT);
  const recordLen = flashU32(addr + HEADER_RECORD_LEN);
  const ringAt = flashU32(addr + HEADER_RING_OFFSET);
  const ringEnd = <u64>ringAt + <u64>records * <u64>recordLen;
  const indices = payload + <usize>(CHALLENGE_LEN + 1);
  let status = OK;
  if (ringEnd > <u64>(<u32>imageLen - TRAILER_LEN)) status = ERR_RING_INDEX;
  for (let i = 0; i < count && status == OK; i++) {
    if (<u32>load<u16>(indices + <usize>(2 * i)) >= records) status = ERR_RING_INDEX;
  }
  if (status != OK) {
    wipe(keyBuf, KEY_LEN);
    return status;
  }
  // Image tag over the challenge and the active digest.
  tagStart(LABEL_EOL, LABEL_EOL_LEN, payload, CHALLENGE_LEN);
  activeDigest(digestBuf);
  cmacUpdate(cmacCtx, digestBuf, DIGEST_LEN);
  cmacFinal(cmacCtx, digestBuf);
  putBytes(digestBuf, DIGEST_LEN);
  // Ring proof over the records the host named.
  tagStart(LABEL_RING, LABEL_RING_LEN, payload, CHALLENGE_LEN + 1 + 2 * count);
  let readOk = true;
  for (let i = 0; i < count && readOk; i++) {
    const index = <u32>load<u16>(indices + <usize>(2 * i));
    readOk = cmacFlash(addr + ringAt + index * recordLen, recordLen);
  }
  cmacFinal(cmacCtx, digestBuf);
  wipe(keyBuf, KEY_LEN);
  wipe(recordChunk, 32);
  if (!readOk) {
    wipe(digestBuf, DIGEST_LEN);
    txLen = HEADER_LEN + 1;
    return ERR_FLASH;
  }
  putBytes(digestBuf, DIGEST_LEN);
  wipe(digestBuf, DIGEST_LEN);
  return OK;
}

/** SLIP-encodes txBody with its CRC-32 and writes it to the UART. */
function sendResponse(): void {
  store<u32>(txBody + <usize>txLen, crc32(txBody, txLen));
  const bodyLen = txLen + CRC_LEN;
  let n = 0;
  store<u8>(txFrame, SLIP_END);
  n++;
  for (let i = 0; i < bodyLen; i++) {
    let byte = load<u8>(txBody + <usize>i);
    if (byte == SLIP_END || byte == SLIP_ESC) {
      store<u8>(txFrame + <usize>n, SLIP_ESC);
      n++;
      byte = byte == SLIP_END ? SLIP_ESC_END : SLIP_ESC_ESC;
    }
    store<u8>(txFrame + <usize>n, byte);
    n++;
  }
  store<u8>(txFrame + <usize>n, SLIP_END);
  n++;
  let sent = 0;
  for (let tries = 0; tries < UART_WRITE_TRIES && sent < n; tries++) {
    const accepted = uartWrite(txFrame + <usize>sent, n - sent);
    if (accepted < 0) break;
    sent += accepted;
  }
}
