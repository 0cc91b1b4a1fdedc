// The crypto core's public surface: AES-128 and what is built on it, nothing else. Every function
// works on caller-provided static memory (pointers into the one page); nothing allocates, and
// nothing checks pointers: exports.ts shows the validation a firmware export must do first.
// docs/crypto.md describes each primitive, its byte layouts and its limits.
export {
  AES_BLOCK_LEN, AES_KEY_LEN, AES_SCHEDULE_LEN, aesExpandKey, aesEncryptBlock, aesEncryptBlocks,
  aesBlockCount, aesBlockCountReset,
} from "./aes";
export {
  CMAC_CTX_LEN, CMAC_TAG_LEN, cmacInit, cmacUpdate, cmacFinal, cmac, cmacVerify,
} from "./cmac";
export { ctrXor } from "./ctr";
export {
  CCM_CTX_LEN, CCM_NONCE_LEN, CCM_AAD_MAX, CCM_DATA_MAX, CCM_TAG_MAX, ccmSeal, ccmOpen, ccmStart,
  ccmAad, ccmEncrypt, ccmDecrypt, ccmFinish, ccmVerify, ccmTagLen,
} from "./ccm";
export { KDF_OUT_MAX, kdf, kdfCounter } from "./kdf";
export { MMO_CTX_LEN, MMO_DIGEST_LEN, oneWay, mmoInit, mmoUpdate, mmoFinal } from "./mmo";
export { constantTimeEqual, wipe, crc32, crc32Update } from "./util";
