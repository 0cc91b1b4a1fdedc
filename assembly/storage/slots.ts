// STUB: two image slots and commit records in flash (atomic image replacement).
import { OK } from "../status";
/** Reads the commit records and chooses the active slot; call once at boot. */
export function slotsInit(): i32 { return OK; }
/** Flash byte address of the active image, or 0xFFFFFFFF when there is none. */
export function activeImageAddr(): u32 { return 0xffffffff; }
/** Length in bytes of the active image, 0 when there is none. */
export function activeImageLen(): i32 { return 0; }
/** Erases the inactive slot and prepares it for an image of `len` bytes. */
export function stageBegin(len: i32): i32 { return OK; }
/** Writes into the staged image at `offset`. */
export function stageWrite(offset: u32, ptr: usize, len: i32): i32 { return OK; }
/** Verifies the staged image against the 16-byte MMO digest at `digest`, then commits it. */
export function stageCommit(digest: usize): i32 { return OK; }
