// The emulator's public surface: one import for tests, benches, the simulator and the CLI.

export * from "./hal.js";
export * from "./flash.js";
export * from "./scheduler.js";
export * from "./random.js";
export * from "./firmware.js";
export * from "./medium.js";
export * from "./node.js";
export * from "./unit-disk.js";
export * from "./emulator.js";
