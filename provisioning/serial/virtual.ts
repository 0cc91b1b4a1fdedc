// Virtual nodes: the real firmware (build/node.wasm in host/emulator's EmulatedNode) behind a
// byte pipe, with its flash in a file so a restart keeps what was flashed, and fault injection
// on the line and the flash (docs/flash-protocol.md, "Virtual nodes"):
//   line faults  - each byte in either direction is dropped, flipped or duplicated at a rate;
//   power cut    - the node loses power at its Nth flash write or erase, then boots again;
//   version      - the HELLO answer claims another protocol version (re-CRCed, so it parses);
//   garbage      - every answer is replaced by random bytes of the same length.
// The faults are seeded, so a failing test replays. The same VirtualNode backs `predist emulate`
// (over a pty) and the in-process tests (memoryLink).

import { EmulatedNode, Flash, Prng, STATUS_OFF, INBOX_LEN } from "../../host/emulator/index.js";
import { FrameDecoder, encodeFrame, type Frame } from "../flash/frame.js";
import type { Link } from "../flash/session.js";

export interface LineFaults {
  /** Probability per byte of each fault, 0..1. */
  drop?: number;
  flip?: number;
  duplicate?: number;
}

export interface VirtualNodeOptions {
  id?: number;
  /** Backing file of the node's flash (created erased when missing). */
  flashFile?: string;
  flash?: Flash;
  faults?: LineFaults;
  seed?: string;
  /** Cut power at this flash write or erase (1 = the first after boot); then reboot. */
  powerCutAt?: number;
  /** Claim this protocol version in HELLO answers. */
  fakeVersion?: number;
  /** Answer every frame with random bytes. */
  garbage?: boolean;
  /** Virtual boot delay after a power cut, ms of real time. */
  rebootDelayMs?: number;
  /**
   * Model a UART at this rate (8N1, 10 bits a byte): bytes reach the node, and the host, only
   * when they would have crossed the line. 0 (default) passes them as fast as the pipe goes.
   */
  lineRate?: number;
}

/** Bytes in flight in one direction of a paced line, delivered in order when due. */
class PacedLine {
  private freeAt = 0;
  private readonly queue: { due: number; bytes: Uint8Array }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly baud: number,
    private readonly deliver: (b: Uint8Array) => void,
  ) {}

  send(bytes: Uint8Array): void {
    const now = performance.now();
    this.freeAt = Math.max(now, this.freeAt) + (bytes.length * 10 * 1000) / this.baud;
    this.queue.push({ due: this.freeAt, bytes: bytes.slice() });
    this.pump();
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      this.deliver(this.queue.shift()!.bytes);
    }
    if (this.queue.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, this.queue[0]!.due - now),
    );
  }
}

const RESPONSE_HELLO = 0x81;
const FRAME_BODY_MAX = 2048;

/** One emulated node with a line between it and whoever writes to `input`. */
export class VirtualNode {
  readonly node: EmulatedNode;
  readonly flash: Flash;
  private readonly prng: Prng;
  private sink: ((bytes: Uint8Array) => void) | undefined;
  private readonly faults: Required<LineFaults>;
  private readonly rewriter: FrameDecoder | undefined;
  powerCuts = 0;
  private off = false;
  private readonly inbound: PacedLine | undefined;
  private readonly outbound: PacedLine | undefined;

  constructor(readonly options: VirtualNodeOptions = {}) {
    this.flash = options.flash ?? new Flash({ file: options.flashFile });
    this.prng = new Prng(options.seed ?? "predist-virtual", `line/${options.id ?? 0}`);
    this.faults = {
      drop: options.faults?.drop ?? 0,
      flip: options.faults?.flip ?? 0,
      duplicate: options.faults?.duplicate ?? 0,
    };
    if (options.fakeVersion !== undefined) {
      this.rewriter = new FrameDecoder(
        (frame) => this.emit(encodeFrame(this.rewrite(frame))),
        FRAME_BODY_MAX,
      );
    }
    if (options.lineRate !== undefined && options.lineRate > 0) {
      this.inbound = new PacedLine(options.lineRate, (bytes) => this.inputNow(bytes));
      this.outbound = new PacedLine(options.lineRate, (bytes) => this.sink?.(bytes));
    }
    this.node = new EmulatedNode({
      id: options.id ?? 0,
      flash: this.flash,
      uart: (bytes) => this.fromNode(bytes),
    });
    this.node.boot();
    if (options.powerCutAt !== undefined) this.flash.armPowerCut(options.powerCutAt);
  }

  /** Where the node's (faulted) output goes. */
  onOutput(sink: (bytes: Uint8Array) => void): void {
    this.sink = sink;
  }

  /** Bytes from the host side of the line. */
  input(bytes: Uint8Array): void {
    if (this.inbound !== undefined) this.inbound.send(bytes);
    else this.inputNow(bytes);
  }

  private inputNow(bytes: Uint8Array): void {
    if (this.off) return;
    const line = this.applyFaults(bytes);
    for (let at = 0; at < line.length; at += INBOX_LEN) {
      const status = this.node.deliverUart(line.subarray(at, at + INBOX_LEN));
      if (status === STATUS_OFF) {
        this.powerCut();
        return;
      }
    }
  }

  /** Flash writes and erases so far (the power-cut hook counts the same operations). */
  get flashOperations(): number {
    return this.flash.operations;
  }

  close(): void {
    this.flash.close();
  }

  private powerCut(): void {
    this.powerCuts++;
    this.off = true;
    const delay = this.options.rebootDelayMs ?? 0;
    const bootAgain = (): void => {
      this.off = false;
      this.node.boot();
    };
    if (delay > 0) setTimeout(bootAgain, delay);
    else bootAgain();
  }

  private fromNode(bytes: Uint8Array): void {
    if (this.options.garbage) {
      const noise = new Uint8Array(bytes.length);
      for (let i = 0; i < noise.length; i++) noise[i] = this.prng.int(256);
      this.emit(noise);
      return;
    }
    if (this.rewriter !== undefined) {
      this.rewriter.push(bytes);
      return;
    }
    this.emit(bytes);
  }

  private rewrite(frame: Frame): Frame {
    if (frame.cmd !== RESPONSE_HELLO || frame.payload.length < 2) return frame;
    const payload = frame.payload.slice();
    payload[1] = this.options.fakeVersion! & 0xff;
    return { ...frame, payload };
  }

  private emit(bytes: Uint8Array): void {
    const line = this.applyFaults(bytes);
    if (line.length === 0) return;
    if (this.outbound !== undefined) this.outbound.send(line);
    else this.sink?.(line);
  }

  private applyFaults(bytes: Uint8Array): Uint8Array {
    const { drop, flip, duplicate } = this.faults;
    if (drop === 0 && flip === 0 && duplicate === 0) return bytes;
    const out: number[] = [];
    for (const byte of bytes) {
      if (this.prng.next() < drop) continue;
      const value = this.prng.next() < flip ? byte ^ (1 << this.prng.int(8)) : byte;
      out.push(value);
      if (this.prng.next() < duplicate) out.push(value);
    }
    return Uint8Array.from(out);
  }
}

/** A Link straight to a VirtualNode in this process; bytes cross on the next macrotask. */
export function memoryLink(virtual: VirtualNode): Link {
  let listener: ((bytes: Uint8Array) => void) | undefined;
  let closed = false;
  virtual.onOutput((bytes) => {
    const copy = bytes.slice();
    setImmediate(() => {
      if (!closed) listener?.(copy);
    });
  });
  return {
    async write(bytes) {
      if (closed) throw new Error("link closed");
      const copy = bytes.slice();
      setImmediate(() => {
        if (!closed) virtual.input(copy);
      });
    },
    onData(fn) {
      listener = fn;
    },
    onClose() {},
    async close() {
      closed = true;
    },
  };
}
