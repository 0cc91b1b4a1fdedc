// Big-endian u32 loads and stores on raw addresses (radio frames are big-endian; the image and
// the neighbour table native little-endian), and the byte copy of the node protocols, shared with
// the crypto core. Callers bound every address against their own buffer sizes.

export { copyBytes as copy } from "../crypto/util";

export function getU32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

export function putU32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}
