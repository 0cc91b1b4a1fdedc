// The crypto core's public surface: AES-128 and what is built on it, nothing else. Every function
// works on caller-provided static memory (pointers into the one page); nothing allocates.
export {
  AES_SCHEDULE_LEN, aesExpandKey, aesEncryptBlock,
} from "./aes";
export { CMAC_CTX_LEN, cmacInit, cmacUpdate, cmacFinal, cmac } from "./cmac";
export { ctrXor } from "./ctr";
export { ccmSeal, ccmOpen } from "./ccm";
export { kdf } from "./kdf";
export { MMO_CTX_LEN, oneWay, mmoInit, mmoUpdate, mmoFinal } from "./mmo";
export { constantTimeEqual, wipe, crc32, crc32Update } from "./util";
