// The host side of one flash session (docs/flash-protocol.md, "Session"): request and answer
// with a seq, bounded retries, timeouts scaled by payload size, and the flashing procedure
// HELLO -> BEGIN (resume or fresh) -> WRITE... -> COMMIT (read-back digest) -> CHECK (end-of-line
// proof). It runs over any Link (a serial port, or an emulated node in-process), so the tests
// and the CLI share it. Failures are FlashError with a stable class that maps to an exit code.
//
// Not protected: a node that lies about its digest and holds the node key would pass; the
// end-of-line CHECK shows key possession, not the absence of other firmware.

import { randomBytes } from "node:crypto";
import { crc32, mmoHash } from "../../host/crypto/index.js";
import { EXIT, type ExitCode } from "../errors.js";
import { FrameDecoder, encodeFrame, type Frame, CRC_LEN, HEADER_LEN } from "./frame.js";
import {
  CMD,
  CMD_NAME,
  CHECK_INDEX_MAX,
  CHALLENGE_LEN,
  PROTOCOL_VERSION,
  STATUS,
  WRITE_FIXED,
  beginRequest,
  checkRequest,
  commitRequest,
  describeStatus,
  expectedImageTag,
  expectedRingProof,
  helloRequest,
  parseBegin,
  parseCheck,
  parseCommit,
  parseHello,
  parseWrite,
  writeRequest,
  type Hello,
} from "./protocol.js";

/** A byte pipe to one node: a serial port, or an emulated node in the same process. */
export interface Link {
  write(bytes: Uint8Array): Promise<void>;
  /** Registers the one receiver of incoming bytes. */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Registers a listener for the link going away (cable pulled, port closed). */
  onClose(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

/**
 * Timeouts and retries. Every timeout is base + the wire time of request and answer at `baud`
 * times WIRE_MARGIN + the node's flash time for the command; all of it times `scale`.
 */
export interface Timing {
  /** Line rate used to scale timeouts by payload size (a pty ignores it). */
  baud: number;
  /** Fixed allowance per exchange for OS and USB-serial latency and the node's dispatch. */
  baseMs: number;
  /** Multiplies every timeout (slow adapters, debug builds). */
  scale: number;
  /** Attempts per request before the session gives up. */
  attempts: number;
  /** Flash allowances on the node: erase per page, program per KiB, hash per KiB. */
  eraseMsPerPage: number;
  programMsPerKiB: number;
  hashMsPerKiB: number;
}

/** Wire time counts 10 bits per byte (8N1) and is doubled for the slower of two clocks. */
const BITS_PER_BYTE = 10;
const WIRE_MARGIN = 2;
/** Smallest WRITE the host shrinks to after lost answers; halved per failed attempt. */
export const CHUNK_MIN = 16;
/** Times a session re-syncs with a node that reset mid-transfer before it gives up. */
const RESYNC_MAX = 3;
/** Successful WRITEs in a row before the chunk doubles again. */
const CHUNK_GROW_AFTER = 4;
/** Erasable pages of one 32 KiB slot at the 1 KiB page the HAL documents as default. */
const SLOT_PAGES_ASSUMED = 32;
/** Answer bytes the host allows for in a timeout (HELLO's is the longest, 45 + SLIP). */
const ANSWER_BYTES_MAX = 96;

export const DEFAULT_TIMING: Timing = {
  baud: 115_200,
  baseMs: 400,
  scale: 1,
  attempts: 8,
  // NOR parts: 20-40 ms per 1 KiB page erase, ~10 ms to program 1 KiB (nRF52, STM32F1 data).
  eraseMsPerPage: 40,
  programMsPerKiB: 10,
  // AES-MMO on a Cortex-M0 at 16 MHz runs at about 200 KiB/s: 5 ms per KiB.
  hashMsPerKiB: 5,
};

export type ErrorClass =
  | "no-device"
  | "sync-failed"
  | "transfer-failed"
  | "verify-mismatch"
  | "node-refused"
  | "invalid-input";

export const ERROR_EXIT: Readonly<Record<ErrorClass, ExitCode>> = {
  "no-device": EXIT.NO_DEVICE,
  "sync-failed": EXIT.SYNC_FAILED,
  "transfer-failed": EXIT.TRANSFER_FAILED,
  "verify-mismatch": EXIT.VERIFY_MISMATCH,
  "node-refused": EXIT.NODE_REFUSED,
  "invalid-input": EXIT.INVALID_INPUT,
};

export class FlashError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "FlashError";
  }
}

export interface SessionStats {
  requests: number;
  roundTrips: number;
  retries: number;
  timeouts: number;
  bytesOut: number;
  bytesIn: number;
  crcErrors: number;
}

export type TraceSink = (line: string) => void;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function short(bytes: Uint8Array): string {
  return hex(bytes.subarray(0, 8));
}

/** Request / answer over a Link with seq matching, timeouts and retries. */
export class Session {
  readonly stats: SessionStats = {
    requests: 0,
    roundTrips: 0,
    retries: 0,
    timeouts: 0,
    bytesOut: 0,
    bytesIn: 0,
    crcErrors: 0,
  };
  private seq = 0;
  private waiting: { seqs: Set<number>; cmd: number; resolve: (frame: Frame) => void } | undefined;
  private closed: string | undefined;
  private closeWaiter: ((reason: string) => void) | undefined;
  private readonly decoder: FrameDecoder;
  private readonly started = performance.now();
  /** Raw bytes received that never formed a valid frame (garbage, noise). */
  rawBytesIn = 0;

  constructor(
    readonly link: Link,
    readonly timing: Timing = DEFAULT_TIMING,
    private readonly trace?: TraceSink,
  ) {
    this.decoder = new FrameDecoder(
      (frame) => this.onFrame(frame),
      HEADER_LEN + 1 + ANSWER_BYTES_MAX + CRC_LEN,
    );
    link.onData((bytes) => {
      this.stats.bytesIn += bytes.length;
      this.rawBytesIn += bytes.length;
      const before = this.decoder.stats.crcErrors;
      this.decoder.push(bytes);
      this.stats.crcErrors += this.decoder.stats.crcErrors - before;
    });
    link.onClose((reason) => {
      this.closed = reason;
      this.closeWaiter?.(reason);
    });
  }

  get validFrames(): number {
    return this.decoder.stats.frames;
  }

  /** Timeout of one exchange: base + wire time of both frames + the node's flash time. */
  timeoutMs(requestBytes: number, nodeMs: number): number {
    const wireMs = ((requestBytes + ANSWER_BYTES_MAX) * BITS_PER_BYTE * 1000) / this.timing.baud;
    return Math.ceil((this.timing.baseMs + wireMs * WIRE_MARGIN + nodeMs) * this.timing.scale);
  }

  private log(line: string): void {
    if (this.trace === undefined) return;
    const ms = (performance.now() - this.started).toFixed(3).padStart(10);
    this.trace(`[${ms} ms] ${line}`);
  }

  private onFrame(frame: Frame): void {
    this.rawBytesIn = 0;
    if (this.trace !== undefined) {
      const name = CMD_NAME.get(frame.cmd & 0x7f) ?? `0x${frame.cmd.toString(16)}`;
      this.log(`< ${name} seq=${frame.seq} ${hex(frame.payload)}`);
    }
    const waiting = this.waiting;
    if (
      waiting === undefined ||
      frame.cmd !== (waiting.cmd | 0x80) ||
      !waiting.seqs.has(frame.seq)
    ) {
      this.log(`  (not awaited: dropped)`);
      return;
    }
    this.waiting = undefined;
    waiting.resolve(frame);
  }

  /**
   * Sends `payload` for `cmd` and waits for the answer; retries on timeout with a fresh seq.
   * `payloadFor(attempt)` may shrink the payload per attempt (WRITE). Returns undefined after
   * the last attempt timed out.
   */
  async request(
    cmd: number,
    payloadFor: (attempt: number) => Uint8Array,
    nodeMs: number,
    attempts = this.timing.attempts,
  ): Promise<{ frame: Frame; attempt: number } | undefined> {
    const seqs = new Set<number>();
    this.stats.requests++;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (this.closed !== undefined) {
        throw new FlashError(
          "transfer-failed",
          `the port closed: ${this.closed}`,
          "check the cable and the node's power, then run the same command again to resume",
        );
      }
      if (attempt > 0) this.stats.retries++;
      const payload = payloadFor(attempt);
      const seq = this.seq;
      this.seq = (this.seq + 1) & 0xff;
      seqs.add(seq);
      const bytes = encodeFrame({ cmd, seq, payload });
      const timeout = this.timeoutMs(bytes.length, nodeMs);
      if (this.trace !== undefined) {
        this.log(`> ${CMD_NAME.get(cmd)} seq=${seq} ${this.describePayload(cmd, payload)}`);
      }
      const answer = new Promise<Frame | undefined>((resolve) => {
        const timer = setTimeout(() => {
          this.waiting = undefined;
          this.closeWaiter = undefined;
          resolve(undefined);
        }, timeout);
        this.closeWaiter = () => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve(undefined);
        };
        this.waiting = {
          seqs,
          cmd,
          resolve: (frame) => {
            clearTimeout(timer);
            this.closeWaiter = undefined;
            resolve(frame);
          },
        };
      });
      this.decoder.reset();
      this.stats.bytesOut += bytes.length;
      try {
        await this.link.write(bytes);
      } catch (error) {
        this.closed = (error as Error).message;
      }
      const frame = await answer;
      if (frame !== undefined) {
        this.stats.roundTrips++;
        return { frame, attempt };
      }
      this.stats.timeouts++;
      this.log(`  timeout after ${timeout} ms`);
    }
    if (this.closed !== undefined) {
      throw new FlashError(
        "transfer-failed",
        `the port closed: ${this.closed}`,
        "check the cable and the node's power, then run the same command again to resume",
      );
    }
    return undefined;
  }

  /** Image data is traced by length and digest only; everything else in hex. */
  private describePayload(cmd: number, payload: Uint8Array): string {
    if (cmd === CMD.WRITE && payload.length > WRITE_FIXED) {
      const offset = new DataView(payload.buffer, payload.byteOffset).getUint32(0, true);
      const data = payload.subarray(WRITE_FIXED);
      return `offset=${offset} data ${data.length} bytes mmo=${short(mmoHash(data))}`;
    }
    return hex(payload);
  }
}

export interface FlashEvents {
  onProgress?: (offset: number, total: number) => void;
  onPhase?: (phase: string) => void;
}

export interface FlashResult {
  digest: Uint8Array;
  imageLen: number;
  resumedFrom: number;
  alreadyActive: boolean;
  commitSeq: number;
  chunkMax: number;
  firmwareVersion: number;
  checked: boolean;
  stats: SessionStats;
}

export interface FlashOptions {
  /** Skip the end-of-line CHECK (tests of the transfer alone). */
  skipCheck?: boolean;
  /** Ask for this protocol version range in HELLO (tests of version mismatch). */
  versions?: [number, number];
  /** Largest chunk the host uses, below the node's own limit. */
  chunkMax?: number;
}

/** HELLO: synchronises, negotiates the version and reads the node's state. */
export async function hello(
  session: Session,
  versions: [number, number] = [PROTOCOL_VERSION, PROTOCOL_VERSION],
): Promise<Hello> {
  const answer = await session.request(CMD.HELLO, () => helloRequest(...versions), 0);
  if (answer === undefined) {
    if (session.rawBytesIn > 0 || session.stats.crcErrors > 0) {
      throw new FlashError(
        "sync-failed",
        `the device answered ${session.stats.bytesIn} bytes but no valid flash protocol frame`,
        "check that the node runs predist firmware and that the port is the right one",
      );
    }
    throw new FlashError(
      "sync-failed",
      `no answer to HELLO after ${session.timing.attempts} attempts`,
      "check that a node is connected and powered, or raise --retries / --timeout-scale",
    );
  }
  const info = parseHello(answer.frame);
  if (info.status === STATUS.ERR_PROTOCOL_VERSION || info.version !== PROTOCOL_VERSION) {
    throw new FlashError(
      "sync-failed",
      `the node speaks flash protocol version ${info.version}; this host speaks ` +
        `${versions[0]}..${versions[1]}`,
      "use a predist release that speaks the node's version, or reflash its firmware",
    );
  }
  if (info.status !== STATUS.OK) {
    throw new FlashError("node-refused", `the node refused HELLO: ${describeStatus(info.status)}`);
  }
  return info;
}

function readU32(image: Uint8Array, at: number): number {
  return new DataView(image.buffer, image.byteOffset, image.length).getUint32(at, true);
}

/** Picks up to CHECK_INDEX_MAX distinct ring indices at random (none for an empty ring). */
function pickIndices(records: number): number[] {
  const count = Math.min(CHECK_INDEX_MAX, records);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(randomBytes(4).readUInt32LE(0) % records);
  return [...chosen];
}

/**
 * BEGIN: resumes when the node holds a prefix of the same image whose CRC-32 matches ours,
 * else restarts the transfer (flag bit 0).
 */
async function beginTransfer(
  session: Session,
  image: Uint8Array,
  digest: Uint8Array,
  nodeMs: number,
): Promise<{ offset: number; alreadyActive: boolean }> {
  let restart = false;
  for (;;) {
    const answer = await session.request(
      CMD.BEGIN,
      () => beginRequest(image.length, digest, restart),
      nodeMs,
    );
    if (answer === undefined) {
      throw new FlashError(
        "transfer-failed",
        `no answer to BEGIN after ${session.timing.attempts} attempts`,
      );
    }
    const begin = parseBegin(answer.frame);
    if (begin.status !== STATUS.OK) {
      throw new FlashError(
        "node-refused",
        `the node refused BEGIN: ${describeStatus(begin.status)}`,
      );
    }
    if (begin.alreadyActive || begin.offset === 0 || restart) {
      return { offset: restart ? 0 : begin.offset, alreadyActive: begin.alreadyActive };
    }
    const prefix = image.subarray(0, begin.offset);
    if (begin.offset <= image.length && begin.prefixCrc === crc32(prefix)) {
      return { offset: begin.offset, alreadyActive: false };
    }
    restart = true;
  }
}

/** Flashes `image` (a complete provisioning image) over an open session. */
export async function flashImage(
  session: Session,
  image: Uint8Array,
  events: FlashEvents = {},
  options: FlashOptions = {},
): Promise<FlashResult> {
  const timing = session.timing;
  const digest = mmoHash(image);
  events.onPhase?.("hello");
  const info = await hello(session, options.versions);
  if (image.length > info.slotSize) {
    throw new FlashError(
      "invalid-input",
      `image of ${image.length} bytes is larger than the node's slot of ${info.slotSize} bytes`,
    );
  }
  const nodeChunk = Math.min(info.chunkMax, options.chunkMax ?? info.chunkMax);
  if (nodeChunk < 1) throw new FlashError("sync-failed", `the node reports a chunk of 0 bytes`);

  // One pass: BEGIN (fresh or resumed), WRITEs, COMMIT. A node that lost its session (it reset:
  // a power cut, a watchdog) answers 73 or 67; the host then syncs again and resumes, at most
  // RESYNC_MAX times.
  const eraseMs = timing.eraseMsPerPage * SLOT_PAGES_ASSUMED;
  const hashMs = (timing.hashMsPerKiB * image.length) / 1024;
  let resumedFrom = 0;
  let alreadyActive = false;
  let commitSeq = info.activeSeq;
  let chunk = nodeChunk;
  for (let resync = 0; ; resync++) {
    if (resync > RESYNC_MAX) {
      throw new FlashError(
        "transfer-failed",
        `the node lost the session ${RESYNC_MAX + 1} ` + "times (it keeps resetting)",
        "check the node's power supply, then run again",
      );
    }
    if (resync > 0) {
      events.onPhase?.("resync");
      const again = await hello(session, options.versions);
      if (equal(again.activeDigest, digest) && again.activeLen === image.length) {
        commitSeq = again.activeSeq;
        break;
      }
    }
    const begun = await beginTransfer(session, image, digest, eraseMs + hashMs);
    alreadyActive = begun.alreadyActive;
    if (resync === 0) resumedFrom = begun.offset;
    if (alreadyActive) break;
    let offset = begun.offset;
    let lost = false;

    // WRITE: sequential chunks; the chunk halves after a lost answer and grows back after a run.
    let streak = 0;
    events.onPhase?.("write");
    events.onProgress?.(offset, image.length);
    while (offset < image.length) {
      let sent = 0;
      const at = offset;
      const answer = await session.request(
        CMD.WRITE,
        (attempt) => {
          if (attempt > 0) chunk = Math.max(CHUNK_MIN, chunk >> 1);
          sent = Math.min(chunk, image.length - at);
          return writeRequest(at, image.subarray(at, at + sent));
        },
        (timing.programMsPerKiB * nodeChunk) / 1024,
      );
      if (answer === undefined) {
        throw new FlashError(
          "transfer-failed",
          `no answer to WRITE at offset ${at} of ${image.length} after ${timing.attempts} ` +
            "attempts",
          "check the line; running the same command again resumes the transfer",
        );
      }
      if (answer.attempt === 0 && ++streak >= CHUNK_GROW_AFTER && chunk < nodeChunk) {
        chunk = Math.min(nodeChunk, chunk * 2);
        streak = 0;
      } else if (answer.attempt > 0) {
        streak = 0;
      }
      const write = parseWrite(answer.frame);
      if (write.status === STATUS.ERR_UNEXPECTED_FRAME || write.status === STATUS.ERR_NOT_STAGED) {
        lost = true;
        break;
      }
      if (write.status !== STATUS.OK && write.status !== STATUS.ERR_OFFSET) {
        throw new FlashError(
          "node-refused",
          `the node refused WRITE at offset ${at}: ${describeStatus(write.status)}`,
        );
      }
      if (write.offset > image.length) {
        throw new FlashError(
          "transfer-failed",
          `the node reports offset ${write.offset} past ` + `the image's ${image.length} bytes`,
        );
      }
      offset = write.offset;
      events.onProgress?.(offset, image.length);
    }
    if (lost) continue;

    // COMMIT: the node verifies digest, CRC and trailer, then answers its read-back digest.
    events.onPhase?.("commit");
    const answer = await session.request(
      CMD.COMMIT,
      () => commitRequest(digest),
      hashMs * 3 + eraseMs,
    );
    if (answer === undefined) {
      throw new FlashError(
        "transfer-failed",
        `no answer to COMMIT after ${timing.attempts} attempts`,
      );
    }
    const commit = parseCommit(answer.frame);
    if (commit.status === STATUS.OK) {
      if (!equal(commit.readBack, digest)) {
        throw new FlashError(
          "verify-mismatch",
          `read-back digest ${short(commit.readBack)} differs from the image's ${short(digest)}`,
        );
      }
      commitSeq = commit.seq;
      break;
    }
    if (commit.status === STATUS.ERR_UNEXPECTED_FRAME || commit.status === STATUS.ERR_NOT_STAGED) {
      // Either a retried COMMIT whose first answer was lost (already committed) or a node that
      // reset: the resync's HELLO tells which.
      continue;
    }
    if (commit.status === STATUS.ERR_DIGEST_MISMATCH) {
      throw new FlashError(
        "verify-mismatch",
        `the node's staged image does not hash to ${short(digest)}: ` +
          describeStatus(commit.status),
        "run the command again; the transfer restarts",
      );
    }
    throw new FlashError(
      "node-refused",
      `the node refused COMMIT: ${describeStatus(commit.status)}`,
    );
  }

  // CHECK: fresh challenge; the node proves the active digest and the ring records we name.
  let checked = false;
  const records = readU32(image, 44);
  if (!options.skipCheck) {
    events.onPhase?.("check");
    await endOfLineCheck(session, image, digest, records, hashMs);
    checked = true;
  }
  return {
    digest,
    imageLen: image.length,
    resumedFrom,
    alreadyActive,
    commitSeq,
    chunkMax: nodeChunk,
    firmwareVersion: info.firmwareVersion,
    checked,
    stats: session.stats,
  };
}

async function endOfLineCheck(
  session: Session,
  image: Uint8Array,
  digest: Uint8Array,
  records: number,
  hashMs: number,
): Promise<void> {
  const recordLen = readU32(image, 48);
  const ringAt = readU32(image, 52);
  const keyAt = readU32(image, 56);
  const challenge = new Uint8Array(randomBytes(CHALLENGE_LEN));
  const indices = pickIndices(records);
  const payload = checkRequest(challenge, indices);
  const answer = await session.request(CMD.CHECK, () => payload, hashMs);
  if (answer === undefined) {
    throw new FlashError(
      "transfer-failed",
      `no answer to CHECK after ${session.timing.attempts} ` + "attempts",
    );
  }
  const check = parseCheck(answer.frame);
  if (check.status !== STATUS.OK) {
    throw new FlashError("node-refused", `the node refused CHECK: ${describeStatus(check.status)}`);
  }
  const nodeKey = image.slice(keyAt, keyAt + 16);
  const tag = expectedImageTag(nodeKey, challenge, digest);
  const ring = indices.map((i) =>
    image.subarray(ringAt + i * recordLen, ringAt + (i + 1) * recordLen),
  );
  const proof = expectedRingProof(nodeKey, payload, ring);
  nodeKey.fill(0);
  if (!equal(tag, check.imageTag)) {
    throw new FlashError(
      "verify-mismatch",
      "end-of-line check failed: the node's image tag does not match the image sent",
    );
  }
  if (!equal(proof, check.ringProof)) {
    throw new FlashError(
      "verify-mismatch",
      `end-of-line check failed: the node's ring proof over indices ${indices.join(",")} ` +
        "does not match",
    );
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
