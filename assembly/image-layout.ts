// The provisioning image's layout (docs/image-format.md, format version 1): every offset and
// length the firmware reads it by, in one place for the ring store and the slots' image checks.
// All integers are little-endian.

export const IMAGE_MAGIC: u32 = 0x494b4450;
export const IMAGE_VERSION: u32 = 1;
export const IMAGE_HEADER_LEN: i32 = 96;
export const IMAGE_MAX_LEN: i32 = 32768;
export const TRAILER_CRC_LEN: i32 = 4;
export const TRAILER_TAG_LEN: i32 = 16;
export const TRAILER_LEN: i32 = TRAILER_CRC_LEN + TRAILER_TAG_LEN;
export const KEY_RECORD_LEN: i32 = 20;
export const ANCHOR_LEN: i32 = 32;
export const ERASABLE_LEN: i32 = 36;
export const RING_KEY_LEN: i32 = 16;

export const SCHEME_FULL: u32 = 1;
export const SCHEME_EG: u32 = 2;
export const SCHEME_QCOMPOSITE: u32 = 3;
export const SCHEME_PAIRWISE: u32 = 4;
export const SCHEME_POLYPOOL: u32 = 5;
export const SCHEME_LEAP: u32 = 6;
export const FLAG_SEEDED_RING: u32 = 0x01;

// Header offsets (docs/image-format.md, "Header"); the image is little-endian.
export const OFF_MAGIC: usize = 0;
export const OFF_VERSION: usize = 4;
export const OFF_SCHEME: usize = 6;
export const OFF_FLAGS: usize = 7;
export const OFF_NODE_ID: usize = 8;
export const OFF_IMAGE_LEN: usize = 12;
export const OFF_POOL_SIZE: usize = 16;
export const OFF_RING_SIZE: usize = 24;
export const OFF_THRESHOLD: usize = 28;
export const OFF_LANES: usize = 32;
export const OFF_RING_SEED: usize = 72;
/** Most polypool lanes (host/authority LANES_MAX). */
export const LANES_MAX: u32 = 16;
export const OFF_DRAWS: usize = 40;
export const OFF_RECORD_COUNT: usize = 44;
export const OFF_RECORD_LEN: usize = 48;
export const OFF_RING_OFFSET: usize = 52;
export const OFF_NODE_KEY_OFFSET: usize = 56;
export const OFF_ANCHOR_OFFSET: usize = 60;
export const OFF_ERASABLE_OFFSET: usize = 64;
export const OFF_ERASABLE_LEN: usize = 68;
// The canonical section offsets (docs/image-format.md, "Layout").
export const NODE_KEY_OFF: u32 = 96;
export const ANCHOR_OFF: u32 = 112;
export const ERASABLE_OFF: u32 = 144;

/** Header, node key, anchor and trailer: the shortest image the format allows. */
export const IMAGE_MIN_LEN: i32 = 164;
