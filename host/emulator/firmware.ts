// Loads the node firmware once: reads build/node.wasm, compiles it to one WebAssembly.Module and
// checks its imports and exports against the HAL contract (docs/hal.md). Every emulated node is
// a new instance of that one compiled module, so a thousand nodes cost one compilation.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AES_COUNTER_EXPORT, HAL_IMPORTS, HAL_MODULE, REQUIRED_EXPORTS } from "./hal.js";

/** build/node.wasm of this checkout (host/emulator -> repo root; also right from dist/host/...). */
export const DEFAULT_FIRMWARE_PATH = fileURLToPath(
  new URL(
    import.meta.url.includes("/dist/") ? "../../../build/node.wasm" : "../../build/node.wasm",
    import.meta.url,
  ),
);

/** Largest firmware image accepted: a microcontroller module is a few tens of KiB. */
const FIRMWARE_BYTES_MAX = 4 * 1024 * 1024;

export interface Firmware {
  readonly module: WebAssembly.Module;
  readonly path: string;
  readonly bytes: number;
  /** HAL imports the module uses (a subset of HAL_IMPORTS). */
  readonly imports: readonly string[];
  /** True when the module exports the optional AES block counter. */
  readonly hasAesCounter: boolean;
}

const cache = new Map<string, Firmware>();

/** Compiles (once per path) and checks the firmware at `path`. */
export function loadFirmware(path: string = DEFAULT_FIRMWARE_PATH): Firmware {
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(
      `firmware ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"}); ` +
        "run `npm run build:firmware` first",
    );
  }
  const firmware = compileFirmware(bytes, path);
  cache.set(path, firmware);
  return firmware;
}

/** Compiles and checks firmware bytes (not cached). */
export function compileFirmware(bytes: Uint8Array, path = "<bytes>"): Firmware {
  if (bytes.length > FIRMWARE_BYTES_MAX) {
    throw new RangeError(`firmware ${path}: ${bytes.length} bytes, over ${FIRMWARE_BYTES_MAX}`);
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    const reason = (error as Error).message;
    throw new Error(`firmware ${path}: not a valid WebAssembly module (${reason})`);
  }
  const known = new Set(HAL_IMPORTS.map((entry) => entry.name));
  const imports: string[] = [];
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.module !== HAL_MODULE || entry.kind !== "function" || !known.has(entry.name)) {
      throw new Error(
        `firmware ${path}: imports ${entry.kind} ${entry.module}.${entry.name}, which the HAL ` +
          "does not provide (docs/hal.md lists the imports)",
      );
    }
    imports.push(entry.name);
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const name of REQUIRED_EXPORTS) {
    const kind = name === "memory" ? "memory" : "function";
    if (exports.get(name) !== kind) {
      throw new Error(`firmware ${path}: missing export ${kind} ${name}`);
    }
  }
  return {
    module,
    path,
    bytes: bytes.length,
    imports,
    hasAesCounter: exports.get(AES_COUNTER_EXPORT) === "function",
  };
}
