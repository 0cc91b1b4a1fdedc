// Big-endian loads and stores on raw addresses, and a byte copy: the only memory access helpers
// of the node protocols. Callers bound every address against their own buffer sizes.

// @ts-ignore: decorator
@inline export function getU16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}

// @ts-ignore: decorator
@inline export function putU16(p: usize, v: u32): void {
  store<u8>(p, <u8>(v >> 8));
  store<u8>(p + 1, <u8>v);
}

export function getU32(p: usize): u32 {
  return (getU16(p) << 16) | getU16(p + 2);
}

export function putU32(p: usize, v: u32): void {
  putU16(p, v >> 16);
  putU16(p + 2, v & 0xffff);
}

export function copy(dst: usize, src: usize, len: i32): void {
  for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
}

export function fill(dst: usize, value: u8, len: i32): void {
  for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, value);
}
