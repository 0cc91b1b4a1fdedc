// build/crypto.wasm for the crypto tests: one instance per call, and CryptoWasm, a bump allocator
// over the module's exported scratch buffer with a guard band after every allocation.

import { existsSync, readFileSync } from "node:fs";

/** Bytes after every allocation that must keep their sentinel value. */
const GUARD_LEN = 16;
const GUARD_BYTE = 0xa5;

export type Fn = (...args: number[]) => number;

/** A fresh instance of build/crypto.wasm (its own memory and AES block counter). */
export function instantiateCryptoWasm(): WebAssembly.Instance {
  const url = new URL("../../build/crypto.wasm", import.meta.url);
  if (!existsSync(url)) {
    throw new Error("build/crypto.wasm is missing: run `npm run build:firmware` first");
  }
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(url)), {});
}

/** build/crypto.wasm with a bump allocator over its exported scratch buffer. */
export class CryptoWasm {
  readonly fn: Record<string, Fn>;
  private readonly memory: WebAssembly.Memory;
  private readonly exportsAll: Record<string, unknown>;
  private readonly base: number;
  private readonly end: number;
  private next: number;

  constructor() {
    const instance = instantiateCryptoWasm();
    this.exportsAll = instance.exports as Record<string, unknown>;
    this.fn = instance.exports as unknown as Record<string, Fn>;
    this.memory = this.exportsAll.memory as WebAssembly.Memory;
    this.base = this.fn.scratch();
    this.end = this.base + this.fn.scratchLen();
    this.next = this.base;
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  constant(name: string): number {
    return (this.exportsAll[name] as WebAssembly.Global).value as number;
  }

  reset(): void {
    this.next = this.base;
  }

  /** Reserves `len` bytes filled with `fill`, followed by a guard band. */
  alloc(len: number, fill = 0): number {
    const at = this.next;
    this.next += len + GUARD_LEN;
    if (this.next > this.end) throw new RangeError("test scratch exhausted");
    this.bytes.fill(fill, at, at + len);
    this.bytes.fill(GUARD_BYTE, at + len, at + len + GUARD_LEN);
    return at;
  }

  put(data: Uint8Array): number {
    const at = this.alloc(data.length);
    this.bytes.set(data, at);
    return at;
  }

  get(at: number, len: number): Uint8Array {
    return this.bytes.slice(at, at + len);
  }

  guardIntact(at: number, len: number): boolean {
    return this.bytes.subarray(at + len, at + len + GUARD_LEN).every((b) => b === GUARD_BYTE);
  }
}
