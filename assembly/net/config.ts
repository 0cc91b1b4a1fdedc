// Build-time sizes, message types, timer IDs and protocol constants of the node protocols
// (docs/protocol.md). Every size the firmware's tables and buffers use is named here, so the RAM
// budget of the one 64 KiB page can be read off this file.

/** IEEE 802.15.4 aPhyMaxPacketSize. */
export const FRAME_MAX: i32 = 127;
export const HEADER_LEN: i32 = 9;
export const NONCE_LEN: i32 = 8;
export const TAG_LEN: i32 = 8;
export const SEQ_LEN: i32 = 4;
export const KEY_LEN: i32 = 16;
export const BROADCAST_ID: u32 = 0xffffffff;
/** Node ID 0 is never a node's (docs/image-format.md): the key authority's frames use it. */
export const AUTHORITY_ID: u32 = 0;

export const TYPE_HELLO: u32 = 0x01;
export const TYPE_LINK_INIT: u32 = 0x02;
export const TYPE_LINK_RESP: u32 = 0x03;
export const TYPE_LINK_CONFIRM: u32 = 0x04;
export const TYPE_DATA: u32 = 0x10;
export const TYPE_PATH_KEY: u32 = 0x11;
export const TYPE_REVOKE: u32 = 0x20;
export const TYPE_DISCLOSE: u32 = 0x21;

export const HELLO_FIXED_LEN: i32 = 19;
export const HELLO_IDS_MAX: i32 = 27;
export const HELLO_PARTS_MAX: i32 = 16;
export const LINK_INIT_FIXED_LEN: i32 = 19;
/**
 * Most shared key IDs a neighbour entry keeps and a LINK_INIT carries: one full frame
 * (19 + 4 * 27 = 127 bytes). q-composite hashes every shared key, so a pair sharing more cannot
 * link directly and falls back to a path key (docs/protocol.md, "Bounds").
 */
export const SELECT_MAX: i32 = 27;
export const LINK_RESP_LEN: i32 = 25;
export const LINK_CONFIRM_LEN: i32 = 17;
export const SECURE_OVERHEAD: i32 = HEADER_LEN + SEQ_LEN + TAG_LEN;
export const DATA_PAYLOAD_MAX: i32 = FRAME_MAX - SECURE_OVERHEAD;
export const PATH_PAYLOAD_LEN: i32 = 29;
export const REVOKE_FIXED_LEN: i32 = HEADER_LEN + 6 + TAG_LEN;
export const DISCLOSE_LEN: i32 = HEADER_LEN + 4 + KEY_LEN;
/** CCM* security level ENC-MIC-64, the last nonce byte. */
export const CCM_LEVEL: u32 = 0x06;
export const CCM_NONCE_LEN: i32 = 13;

export const MODE_PAIR: u32 = 0;
export const MODE_PATH: u32 = 1;
/** 'R' and 'I': the direction byte of the confirmation tags. */
export const DIR_RESPONDER: u32 = 0x52;
export const DIR_INITIATOR: u32 = 0x49;

/** Neighbour table entries (docs/protocol.md, Bounds). */
export const NEIGHBOURS_MAX: i32 = 32;
/** Frames behind the highest seq still accepted once. */
export const REPLAY_WINDOW: u32 = 32;
/** Delivered DATA payloads waiting for net_recv. */
export const DELIVERY_SLOTS: i32 = 4;
/** REVOKE frames buffered until their chain key is disclosed. */
export const REVOKE_SLOTS: i32 = 2;
/** Most one-way steps from a disclosed key back to the last verified chain key. */
export const CHAIN_STEPS_MAX: i32 = 64;

/** Timer IDs 0-15 belong to the node protocols (assembly/index.ts). */
export const TIMER_HELLO: i32 = 0;
export const TIMER_TICK: i32 = 1;
export const TIMER_LEAP_ERASE: i32 = 2;
/** Delay before the first HELLO: lets the runtime finish booting the other nodes. */
export const HELLO_DELAY_MS: u32 = 10;
/** Period of the housekeeping tick that expires handshakes and starts path-key requests. */
export const TICK_MS: u32 = 500;
/** A handshake not finished within this is abandoned (entry back to HEARD). */
export const HANDSHAKE_TIMEOUT_MS: u32 = 2000;
/**
 * How long the origin of a path-key request waits for the target's LINK_INIT before it asks its
 * next linked neighbour: one tick. The answer takes two frames and one handshake message, a few
 * milliseconds on air, so a request not answered by the next tick found no path.
 */
export const PATH_WAIT_MS: u32 = TICK_MS;
/** LEAP+: K_IN is erased this long after boot (the discovery phase). */
export const LEAP_ERASE_MS: u32 = 10000;
