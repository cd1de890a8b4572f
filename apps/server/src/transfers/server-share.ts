// The server share SS of a transfer: 32 random bytes made here, kept sealed under the share key of the day it was
// made (share-keys.ts). Once that day's key is destroyed, no copy of the sealed share opens again.
import { randomBytes } from 'node:crypto';
import type { Keystore } from '../keystore.js';
import { openSecret, sealSecret } from '../secret-box.js';

const PURPOSE = 'server-share';
export const SERVER_SHARE_BYTES = 32;

export interface SealedShare {
  readonly sealed: Uint8Array;
  readonly epoch: number;
}

/** A fresh SS and its sealed form (bound to the transfer id, so a sealed share cannot be moved to another row). */
export function newServerShare(keystore: Keystore, transferId: string): { share: Uint8Array; sealed: SealedShare } {
  const share = new Uint8Array(randomBytes(SERVER_SHARE_BYTES));
  const { epoch, key } = keystore.shareKeys.current();
  return { share, sealed: { sealed: sealSecret(key, PURPOSE, transferId, share), epoch } };
}

/** Throws ShareKeyGoneError when the epoch's key was destroyed (crypto-shredded). */
export function openServerShare(keystore: Keystore, transferId: string, sealed: SealedShare): Uint8Array {
  return openSecret(keystore.shareKeys.key(sealed.epoch), PURPOSE, transferId, sealed.sealed);
}
