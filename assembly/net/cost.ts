// The node protocols' calls into the crypto core, each adding the AES block encryptions it costs
// to one counter (exported as `aes_blocks`, docs/hal.md). The counts follow the algorithms of
// assembly/crypto: CMAC = one subkey block per tag (cmacFinish) + one per 16-byte block of
// message (at least 1); the KDF = one CMAC per 16 bytes of output; CCM* = B_0, the AAD blocks
// (with their 2-byte length), the data blocks for CBC-MAC, the data blocks for CTR and A_0 for
// the tag; MMO = one per padded block. The counter is computed here, not inside AES, because
// assembly/crypto keeps no counter: if it gains one, `aes_blocks` should read that one instead.

import { cmac, kdf, ccmSeal, ccmOpen, oneWay, mmoInit, mmoUpdate, mmoFinal, cmacInit,
  cmacUpdate, cmacFinal } from "../crypto/index";

let blocks: u32 = 0;

function ceil16(len: i32): u32 {
  return <u32>((len + 15) >> 4);
}

export function aesBlocks(): u32 {
  return blocks;
}

export function countBlocks(n: u32): void {
  blocks += n;
}

function cmacBlocks(len: i32): u32 {
  return 1 + (len == 0 ? 1 : ceil16(len));
}

/** Message bytes of the streamed CMAC under way (one at a time: boot check, rewrite, KDF). */
let streamLen: i32 = 0;

export function netCmac(key: usize, ptr: usize, len: i32, tagOut: usize): void {
  blocks += cmacBlocks(len);
  cmac(key, ptr, len, tagOut);
}

export function netCmacInit(ctx: usize, key: usize): void {
  streamLen = 0;
  cmacInit(ctx, key);
}

export function netCmacUpdate(ctx: usize, ptr: usize, len: i32): void {
  streamLen += len;
  cmacUpdate(ctx, ptr, len);
}

/** Writes the tag and wipes the context. */
export function netCmacFinal(ctx: usize, tagOut: usize): void {
  blocks += cmacBlocks(streamLen);
  cmacFinal(ctx, tagOut);
}

export function netKdf(key: usize, label: usize, labelLen: i32, context: usize, contextLen: i32,
  out: usize, outLen: i32): i32 {
  blocks += ceil16(outLen) * cmacBlocks(4 + labelLen + 1 + contextLen + 4);
  return kdf(key, label, labelLen, context, contextLen, out, outLen);
}

function ccmBlocks(aadLen: i32, dataLen: i32): u32 {
  return 1 + ceil16(aadLen + 2) + 2 * ceil16(dataLen) + 1;
}

export function netSeal(key: usize, nonce: usize, aad: usize, aadLen: i32, data: usize,
  dataLen: i32, tagLen: i32, out: usize): i32 {
  blocks += ccmBlocks(aadLen, dataLen);
  return ccmSeal(key, nonce, aad, aadLen, data, dataLen, tagLen, out);
}

export function netOpen(key: usize, nonce: usize, aad: usize, aadLen: i32, sealed: usize,
  sealedLen: i32, tagLen: i32, out: usize): i32 {
  blocks += ccmBlocks(aadLen, sealedLen - tagLen);
  return ccmOpen(key, nonce, aad, aadLen, sealed, sealedLen, tagLen, out);
}

export function netOneWay(input: usize, output: usize): void {
  blocks += 1;
  oneWay(input, output);
}

let mmoLen: i32 = 0;

export function netMmoInit(ctx: usize): void {
  mmoLen = 0;
  mmoInit(ctx);
}

export function netMmoUpdate(ctx: usize, ptr: usize, len: i32): void {
  mmoLen += len;
  mmoUpdate(ctx, ptr, len);
}

export function netMmoFinal(ctx: usize, out: usize): void {
  blocks += ceil16(mmoLen + 9);
  mmoFinal(ctx, out);
}
