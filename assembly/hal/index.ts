// The hardware abstraction layer: every function the firmware imports, all from the one WASM
// module "hal". docs/hal.md is the contract a runtime (the TypeScript emulator, or a C host on
// WAMR) implements: each argument is an i32 or a (pointer, length) pair into the firmware's one
// page of linear memory, so WAMR can register each one with a bounds-checked native signature.

/** Sends one radio frame (at most RADIO_FRAME_MAX bytes); returns 0 or a negative HAL error. */
// @ts-ignore: decorator
@external("hal", "radio_send")
export declare function radioSend(ptr: usize, len: i32): i32;

/** Queues bytes for the UART; returns the count accepted or a negative HAL error. */
// @ts-ignore: decorator
@external("hal", "uart_write")
export declare function uartWrite(ptr: usize, len: i32): i32;

/** Copies `len` bytes of flash from byte address `addr` into memory; returns 0 or < 0. */
// @ts-ignore: decorator
@external("hal", "flash_read")
export declare function flashRead(addr: u32, ptr: usize, len: i32): i32;

/** Programs flash: each written bit can only go from 1 to 0 (NOR rules); returns 0 or < 0. */
// @ts-ignore: decorator
@external("hal", "flash_write")
export declare function flashWrite(addr: u32, ptr: usize, len: i32): i32;

/** Erases one page to 0xFF; returns 0 or < 0. */
// @ts-ignore: decorator
@external("hal", "flash_erase")
export declare function flashErase(page: u32): i32;

/** Bytes per erasable flash page. */
// @ts-ignore: decorator
@external("hal", "flash_page_size")
export declare function flashPageSize(): i32;

/** Number of flash pages reserved for the firmware's data. */
// @ts-ignore: decorator
@external("hal", "flash_page_count")
export declare function flashPageCount(): i32;

/** Milliseconds since the runtime started, wrapping at 2^32. */
// @ts-ignore: decorator
@external("hal", "clock_ms")
export declare function clockMs(): u32;

/** Arms timer `timerId` to fire `on_timer(timerId)` once after `delayMs`; re-arming replaces. */
// @ts-ignore: decorator
@external("hal", "timer_start")
export declare function timerStart(timerId: i32, delayMs: u32): void;

/** Disarms timer `timerId`; harmless when it is not armed. */
// @ts-ignore: decorator
@external("hal", "timer_stop")
export declare function timerStop(timerId: i32): void;

/** Fills memory with bytes from a cryptographically secure generator; returns 0 or < 0. */
// @ts-ignore: decorator
@external("hal", "random_fill")
export declare function randomFill(ptr: usize, len: i32): i32;

/** Reports an unrecoverable fault with a code from assembly/status.ts; does not return. */
// @ts-ignore: decorator
@external("hal", "panic")
export declare function panic(code: i32): void;

/** Emits one log line of UTF-8 text at a level (LOG_ERROR .. LOG_DEBUG). Never key bytes. */
// @ts-ignore: decorator
@external("hal", "log")
export declare function log(level: i32, ptr: usize, len: i32): void;

export const LOG_ERROR: i32 = 0;
export const LOG_WARN: i32 = 1;
export const LOG_INFO: i32 = 2;
export const LOG_DEBUG: i32 = 3;

/** IEEE 802.15.4 aPhyMaxPacketSize: the largest PSDU, and so the largest radio frame. */
export const RADIO_FRAME_MAX: i32 = 127;

/** Panic code for an AssemblyScript abort (a failed assert in the debug build). */
export const PANIC_ABORT: i32 = 1;

/**
 * Target of `--use abort=`: AssemblyScript's aborts (asserts in the debug build, bounds checks)
 * go to the HAL instead of an `env.abort` import. The source line is passed for diagnosis.
 */
export function onAbort(message: usize, fileName: usize, line: u32, column: u32): void {
  panic(PANIC_ABORT | (<i32>(line & 0xffff) << 8));
}
