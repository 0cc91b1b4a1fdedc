// The HAL contract in numbers: import names, WASM and WAMR signatures, HAL status codes, limits
// and the default flash geometry. docs/hal.md explains each entry; the emulator (node.ts) and a C
// host on WAMR implement the same table. Firmware statuses (>= 0) live in assembly/status.ts;
// HAL statuses are negative so the two can never be confused.

/** The one module name every firmware import comes from. */
export const HAL_MODULE = "hal";

/** HAL call succeeded. */
export const HAL_OK = 0;
/** A flash address, flash page or timer ID is outside its range. */
export const HAL_ERR_RANGE = -1;
/** A length is zero where data is needed, or larger than the call allows (radio > 127). */
export const HAL_ERR_LENGTH = -2;
/** Strict-NOR flash only: the write would set a bit from 0 to 1 (erase the page first). */
export const HAL_ERR_NOR = -3;
/** The radio or UART cannot take the bytes now (transmit queue full); retry later. */
export const HAL_ERR_BUSY = -4;
/** The storage behind the flash failed (the emulator's backing file, a real flash controller). */
export const HAL_ERR_IO = -5;
/** A flash write does not start or end on the flash's write granule. */
export const HAL_ERR_ALIGN = -6;

export const HAL_STATUS_TEXT: ReadonlyMap<number, string> = new Map([
  [HAL_OK, "ok"],
  [HAL_ERR_RANGE, "flash address, page or timer ID out of range"],
  [HAL_ERR_LENGTH, "length zero or too large for the call"],
  [HAL_ERR_NOR, "flash write would set a bit from 0 to 1 (page not erased)"],
  [HAL_ERR_BUSY, "radio or UART busy"],
  [HAL_ERR_IO, "storage behind the flash failed"],
  [HAL_ERR_ALIGN, "flash write not aligned to the write granule"],
]);

/** IEEE 802.15.4 aPhyMaxPacketSize: the largest PSDU, and so the largest radio frame. */
export const RADIO_FRAME_MAX = 127;
/** Size of the firmware's inbox (export `inbox()`): the most bytes one event can carry. */
export const INBOX_LEN = 256;
/** Timer IDs are 0 .. TIMER_COUNT - 1 (0-15 node protocols, 16-23 factory receiver). */
export const TIMER_COUNT = 24;
/** The firmware's linear memory: exactly one 64 KiB WebAssembly page. */
export const MEMORY_BYTES = 65_536;
/** Log text longer than this is cut; the firmware's lines are short. */
export const LOG_TEXT_MAX = 256;

export const LOG_ERROR = 0;
export const LOG_WARN = 1;
export const LOG_INFO = 2;
export const LOG_DEBUG = 3;
export const LOG_LEVEL_NAMES = ["error", "warn", "info", "debug"] as const;

/** Default flash page: 1 KiB, the erase unit of many Cortex-M0/M4 parts. */
export const DEFAULT_FLASH_PAGE_SIZE = 1_024;
/**
 * Default page count: two 32 KiB image slots (64 pages) plus 8 pages for commit records and node
 * state, 72 KiB in all.
 */
export const DEFAULT_FLASH_PAGE_COUNT = 72;

/** Exports the firmware must provide; the runtime refuses a module without them. */
export const REQUIRED_EXPORTS = ["memory", "inbox", "boot", "on_radio", "on_uart", "on_timer"];

/**
 * Optional export: `aes_blocks() -> i32`, the number of AES block encryptions since boot (a u32
 * that wraps). The emulator reads it when present to count crypto work per node.
 */
export const AES_COUNTER_EXPORT = "aes_blocks";

/** Each import: WASM signature, and the WAMR native signature string it is registered with. */
export const HAL_IMPORTS: readonly { name: string; wasm: string; wamr: string }[] = [
  { name: "radio_send", wasm: "(i32 ptr, i32 len) -> i32", wamr: "(*~)i" },
  { name: "uart_write", wasm: "(i32 ptr, i32 len) -> i32", wamr: "(*~)i" },
  { name: "flash_read", wasm: "(i32 addr, i32 ptr, i32 len) -> i32", wamr: "(i*~)i" },
  { name: "flash_write", wasm: "(i32 addr, i32 ptr, i32 len) -> i32", wamr: "(i*~)i" },
  { name: "flash_erase", wasm: "(i32 page) -> i32", wamr: "(i)i" },
  { name: "flash_page_size", wasm: "() -> i32", wamr: "()i" },
  { name: "flash_page_count", wasm: "() -> i32", wamr: "()i" },
  { name: "clock_ms", wasm: "() -> i32", wamr: "()i" },
  { name: "timer_start", wasm: "(i32 id, i32 delay_ms) -> ()", wamr: "(ii)" },
  { name: "timer_stop", wasm: "(i32 id) -> ()", wamr: "(i)" },
  { name: "random_fill", wasm: "(i32 ptr, i32 len) -> i32", wamr: "(*~)i" },
  { name: "panic", wasm: "(i32 code) -> ()", wamr: "(i)" },
  { name: "log", wasm: "(i32 level, i32 ptr, i32 len) -> ()", wamr: "(i*~)" },
];

/** Text for a HAL status code. */
export function halStatusText(code: number): string {
  return HAL_STATUS_TEXT.get(code) ?? `unknown HAL status ${code}`;
}
