// Radio media: what a node's hal.radio_send hands its frame to, and what delivers frames to other
// nodes. A medium never calls a node's export directly from inside radio_send: it schedules the
// delivery as a later event, so exports are never re-entered (docs/hal.md, "Guarantees").
//
// RecordingMedium keeps every frame sent and delivers nothing (single-node tests).
// UnitDiskMedium (unit-disk.ts) broadcasts to every node within range with loss and delay.

import { HAL_ERR_LENGTH, HAL_OK, RADIO_FRAME_MAX } from "./hal.js";

/** A node as a medium sees it. */
export interface RadioEndpoint {
  readonly id: number;
  /** Hands a received frame to the node (the medium calls it from a scheduled event). */
  receiveFrame(frame: Uint8Array, from: number): void;
}

export interface Medium {
  attach(node: RadioEndpoint): void;
  /** Takes a copy of `frame` from `from`; returns a HAL status (HAL_OK or negative). */
  transmit(from: RadioEndpoint, frame: Uint8Array): number;
}

export interface SentFrame {
  readonly timeMs: number;
  readonly from: number;
  readonly frame: Uint8Array;
}

/** Records frames and delivers none. `now` gives the time stamp (the node's scheduler). */
export class RecordingMedium implements Medium {
  readonly frames: SentFrame[] = [];

  constructor(private readonly now: () => number = () => 0) {}

  attach(node: RadioEndpoint): void {
    void node;
  }

  transmit(from: RadioEndpoint, frame: Uint8Array): number {
    if (frame.length === 0 || frame.length > RADIO_FRAME_MAX) return HAL_ERR_LENGTH;
    this.frames.push({ timeMs: this.now(), from: from.id, frame: frame.slice() });
    return HAL_OK;
  }
}
