// STUB: the factory flash protocol receiver on the UART.
import { OK } from "../status";
export function factoryBoot(): i32 { return OK; }
export function factoryUart(ptr: usize, len: i32): i32 { return OK; }
export function factoryTimer(timerId: i32): i32 { return OK; }
