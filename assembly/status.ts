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

// 64-95: factory flash protocol (serial receiver, slots, end-of-line check).
