// The HAL probe: a tiny hand-written WebAssembly module (WAT below) that drives each HAL import on
// command, for tests and benches of the runtime itself. It stands in for the firmware only where
// the real node.wasm does not yet call an import (its protocols are still being written); every
// test of the firmware's own behaviour uses build/node.wasm. Compiled with the `wabt` dev
// dependency, so it is for tests and benches only.
//
// on_uart(ptr, len): byte 0 is a command, the rest its arguments (little-endian u32 where noted);
// it returns the HAL status of the call it made. Results go out through uart_write.
//   0x01 id delay:u32      timer_start          0x07                    unreachable (a trap)
//   0x02 frame...          radio_send           0x08 level text...      log
//   0x03 addr:u32 data...  flash_write          0x09 addr:u32 n         flash_read n -> UART
//   0x04 page:u32          flash_erase          0x0a                    clock_ms -> UART (4 bytes)
//   0x05 n                 random_fill n -> UART 0x0b                   radio_send(70000, 10)
//   0x06 code:u32          panic                0x0c id                 timer_stop
// on_timer(id) writes the byte id to the UART; on_radio(ptr, len) echoes the frame to the UART.

import { compileFirmware, type Firmware } from "./firmware.js";

const SCRATCH = 2048;

export const PROBE_WAT = `
(module
  (import "hal" "radio_send" (func $radio_send (param i32 i32) (result i32)))
  (import "hal" "uart_write" (func $uart_write (param i32 i32) (result i32)))
  (import "hal" "flash_read" (func $flash_read (param i32 i32 i32) (result i32)))
  (import "hal" "flash_write" (func $flash_write (param i32 i32 i32) (result i32)))
  (import "hal" "flash_erase" (func $flash_erase (param i32) (result i32)))
  (import "hal" "clock_ms" (func $clock_ms (result i32)))
  (import "hal" "timer_start" (func $timer_start (param i32 i32)))
  (import "hal" "timer_stop" (func $timer_stop (param i32)))
  (import "hal" "random_fill" (func $random_fill (param i32 i32) (result i32)))
  (import "hal" "panic" (func $panic (param i32)))
  (import "hal" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1 1)
  (func (export "inbox") (result i32) (i32.const 1024))
  (func (export "boot") (result i32) (i32.const 0))
  (func (export "on_radio") (param $p i32) (param $n i32) (result i32)
    (drop (call $uart_write (local.get $p) (local.get $n))) (i32.const 0))
  (func (export "on_timer") (param $id i32) (result i32)
    (i32.store8 (i32.const ${SCRATCH}) (local.get $id))
    (drop (call $uart_write (i32.const ${SCRATCH}) (i32.const 1))) (i32.const 0))
  (func (export "on_uart") (param $p i32) (param $n i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const 1)) (then
      (call $timer_start (i32.load8_u offset=1 (local.get $p))
        (i32.load offset=2 align=1 (local.get $p)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 2)) (then
      (return (call $radio_send (i32.add (local.get $p) (i32.const 1))
        (i32.sub (local.get $n) (i32.const 1))))))
    (if (i32.eq (local.get $c) (i32.const 3)) (then
      (return (call $flash_write (i32.load offset=1 align=1 (local.get $p))
        (i32.add (local.get $p) (i32.const 5)) (i32.sub (local.get $n) (i32.const 5))))))
    (if (i32.eq (local.get $c) (i32.const 4)) (then
      (return (call $flash_erase (i32.load offset=1 align=1 (local.get $p))))))
    (if (i32.eq (local.get $c) (i32.const 5)) (then
      (drop (call $random_fill (i32.const ${SCRATCH}) (i32.load8_u offset=1 (local.get $p))))
      (drop (call $uart_write (i32.const ${SCRATCH}) (i32.load8_u offset=1 (local.get $p))))
      (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 6)) (then
      (call $panic (i32.load offset=1 align=1 (local.get $p))) (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 7)) (then unreachable))
    (if (i32.eq (local.get $c) (i32.const 8)) (then
      (call $log (i32.load8_u offset=1 (local.get $p)) (i32.add (local.get $p) (i32.const 2))
        (i32.sub (local.get $n) (i32.const 2)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 9)) (then
      (local.set $c (call $flash_read (i32.load offset=1 align=1 (local.get $p))
        (i32.const ${SCRATCH})
        (i32.load8_u offset=5 (local.get $p))))
      (if (i32.eqz (local.get $c)) (then
        (drop (call $uart_write (i32.const ${SCRATCH}) (i32.load8_u offset=5 (local.get $p))))))
      (return (local.get $c))))
    (if (i32.eq (local.get $c) (i32.const 10)) (then
      (i32.store (i32.const ${SCRATCH}) (call $clock_ms))
      (drop (call $uart_write (i32.const ${SCRATCH}) (i32.const 4)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 11)) (then
      (return (call $radio_send (i32.const 70000) (i32.const 10)))))
    (if (i32.eq (local.get $c) (i32.const 12)) (then
      (call $timer_stop (i32.load8_u offset=1 (local.get $p))) (return (i32.const 0))))
    (i32.const 3))
)`;

let probe: Firmware | undefined;

/** The probe, compiled once (needs the `wabt` dev dependency). */
export async function loadProbeFirmware(): Promise<Firmware> {
  if (probe !== undefined) return probe;
  const wabt = await (await import("wabt")).default();
  const parsed = wabt.parseWat("probe.wat", PROBE_WAT);
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  probe = compileFirmware(buffer, "hal-probe");
  return probe;
}

/** Little-endian u32 bytes, for probe commands. */
export function u32le(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}
