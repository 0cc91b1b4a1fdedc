// Bounds checks for (pointer, length) pairs that arrive through exports.

/** True when 0 <= len <= max and [ptr, ptr + len) lies inside linear memory. */
export function validRegion(ptr: usize, len: i32, max: i32): bool {
  if (len < 0 || len > max) return false;
  const end = <u64>ptr + <u64>len;
  return end <= (<u64>memory.size() << 16);
}
