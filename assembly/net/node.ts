// STUB: the node protocols (ring store, discovery, handshake, path keys, frames, revocation).
import { OK } from "../status";
export function netBoot(): i32 { return OK; }
export function netRadio(ptr: usize, len: i32): i32 { return OK; }
export function netTimer(timerId: i32): i32 { return OK; }
