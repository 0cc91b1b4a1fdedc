// Node firmware entry: the exports a runtime calls, one per event. The firmware is event driven:
// the runtime calls boot() once, then on_radio / on_uart / on_timer as events arrive, and the
// firmware answers through the hal imports. Exports take integers and (pointer, length) pairs,
// allocate nothing and never trap on bad arguments: they return a status code (assembly/status.ts).

import { RADIO_FRAME_MAX } from "./hal";
import { OK, ERR_BAD_ARGUMENT, ERR_BAD_LENGTH, ERR_BAD_POINTER } from "./status";
import { validRegion } from "./memory";
import { slotsInit } from "./storage/slots";
import { factoryBoot, factoryTimer, factoryUart } from "./factory/receiver";
import { netBoot, netRadio, netTimer } from "./net/node";
import { aesBlockCountReset } from "./crypto/index";

/** Node protocol exports: data to and from neighbours, counters (docs/protocol.md). */
export { net_send, net_recv, net_status, net_peer, aes_blocks } from "./net/exports";

/** Timer IDs 0-15 belong to the node protocols, 16-23 to the factory receiver. */
const FACTORY_TIMER_FIRST: i32 = 16;
const TIMER_LAST: i32 = 23;

/** Capacity of the inbox: the buffer a runtime may copy an incoming event's bytes into. */
const INBOX_LEN: i32 = 256;
const inboxBuffer = memory.data(INBOX_LEN, 16);

/** Address of the inbox, where the runtime places radio frames and UART bytes before a call. */
export function inbox(): usize {
  return inboxBuffer;
}

/** Called once after instantiation and after every reset. */
export function boot(): i32 {
  aesBlockCountReset();
  slotsInit();
  const status = factoryBoot();
  if (status != OK) return status;
  return netBoot();
}

/** A radio frame of `len` bytes at `ptr` was received. */
export function on_radio(ptr: usize, len: i32): i32 {
  if (len <= 0 || len > RADIO_FRAME_MAX) return ERR_BAD_LENGTH;
  if (!validRegion(ptr, len, RADIO_FRAME_MAX)) return ERR_BAD_POINTER;
  return netRadio(ptr, len);
}

/** `len` bytes at `ptr` arrived on the UART. */
export function on_uart(ptr: usize, len: i32): i32 {
  if (len <= 0 || len > INBOX_LEN) return ERR_BAD_LENGTH;
  if (!validRegion(ptr, len, INBOX_LEN)) return ERR_BAD_POINTER;
  return factoryUart(ptr, len);
}

/** Timer `timerId` armed with hal.timer_start fired. */
export function on_timer(timerId: i32): i32 {
  if (timerId < 0 || timerId > TIMER_LAST) return ERR_BAD_ARGUMENT;
  return timerId >= FACTORY_TIMER_FIRST ? factoryTimer(timerId) : netTimer(timerId);
}
