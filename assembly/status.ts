// Status codes returned by every firmware export and carried in protocol responses. One table for
// the whole firmware; host/status.ts translates each code to text. 0 is success; codes are
// grouped by area so each area can grow without renumbering the others.

export const OK: i32 = 0;

// 1-15: arguments and node state (any export).
export const ERR_BAD_POINTER: i32 = 1; // a (pointer, length) pair leaves linear memory
export const ERR_BAD_LENGTH: i32 = 2; // a length is zero where data is needed, or too large
export const ERR_BAD_ARGUMENT: i32 = 3; // an integer argument is out of its range
export const ERR_UNPROVISIONED: i32 = 4; // no valid provisioning image: no key operation
export const ERR_BUSY: i32 = 5; // the operation cannot start in the current state
export const ERR_NO_SPACE: i32 = 6; // a fixed-size table or buffer is full
export const ERR_HAL: i32 = 7; // a HAL call returned an error

// 16-31: crypto core.
export const ERR_INVALID_TAG: i32 = 16; // authentication failed; output wiped
export const ERR_CRYPTO_STATE: i32 = 17; // a streaming crypto call out of order or past its length

// 32-63: node protocols (ring store, discovery, handshake, path keys, frames, revocation).
export const ERR_NET_IMAGE_FORMAT: i32 = 32; // the active image's header or layout is not valid
export const ERR_NET_IMAGE_CRC: i32 = 33; // the active image's CRC-32 does not match
export const ERR_NET_IMAGE_TAG: i32 = 34; // the active image's trailer tag does not verify
export const ERR_NET_MALFORMED: i32 = 35; // a frame's length or fields do not match its type
export const ERR_NET_NOT_FOR_US: i32 = 36; // a frame for another node, or from this node's own ID
export const ERR_NET_SCHEME: i32 = 37; // a HELLO announces another scheme
export const ERR_NET_STATE: i32 = 38; // a handshake message out of order, stale or unexpected
export const ERR_NET_NO_SHARED_KEY: i32 = 39; // no (or too few) shared keys with the neighbour
export const ERR_NET_UNKNOWN_KEY: i32 = 40; // a selected key ID is not in this node's ring
export const ERR_NET_TAG: i32 = 41; // a handshake tag or secure frame did not verify
export const ERR_NET_REPLAY: i32 = 42; // a secure frame's seq was seen or is behind the window
export const ERR_NET_NOT_LINKED: i32 = 43; // no secure link with that neighbour
export const ERR_NET_REVOKED: i32 = 44; // the node or key is revoked
export const ERR_NET_CHAIN: i32 = 45; // a disclosed key does not hash to the verified chain
export const ERR_NET_STALE: i32 = 46; // a revocation for an interval already disclosed
export const ERR_NET_DUPLICATE: i32 = 47; // a frame already processed (path ID, HELLO part)
export const ERR_NET_UNKNOWN_TYPE: i32 = 48; // a frame type this node does not know
export const ERR_NET_INTERVAL: i32 = 49; // a revocation for an interval the chain cannot verify

// 64-95: factory flash protocol (serial receiver, slots, end-of-line check).
export const ERR_FLASH: i32 = 64; // a flash read, write or erase failed
export const ERR_FLASH_GEOMETRY: i32 = 65; // the flash cannot hold two slots and the records
export const ERR_IMAGE_SIZE: i32 = 66; // image length zero or larger than a slot
export const ERR_NOT_STAGED: i32 = 67; // no transfer begun: WRITE or COMMIT before BEGIN
export const ERR_WRITE_RANGE: i32 = 68; // a write past the staged image's length
export const ERR_DIGEST_MISMATCH: i32 = 69; // the staged bytes do not hash to the named digest
export const ERR_IMAGE_CRC: i32 = 70; // the image's CRC-32 trailer does not hold
export const ERR_IMAGE_TAG: i32 = 71; // the image's CMAC trailer does not verify
export const ERR_PROTOCOL_VERSION: i32 = 72; // the host asked for a protocol version not spoken
export const ERR_UNEXPECTED_FRAME: i32 = 73; // a command the receiver does not accept now
export const ERR_FRAME_LENGTH: i32 = 74; // a frame's length does not match its command
export const ERR_UNKNOWN_COMMAND: i32 = 75; // a command code the receiver does not know
export const ERR_OFFSET: i32 = 76; // a write not at the node's next offset
export const ERR_INCOMPLETE: i32 = 77; // COMMIT before every byte of the image arrived
export const ERR_NO_IMAGE: i32 = 78; // CHECK on a node with no active image
export const ERR_RING_INDEX: i32 = 79; // CHECK named a ring index outside the ring
