// The server share SS of a transfer: 32 random bytes made here, kept sealed under the current share-epoch key.
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
  const epoch = keystore.currentShareEpoch;
  return { share, sealed: { sealed: sealSecret(shareKey(keystore, epoch), PURPOSE, transferId, share), epoch } };
}

export function openServerShare(keystore: Keystore, transferId: string, sealed: SealedShare): Uint8Array {
  return openSecret(shareKey(keystore, sealed.epoch), PURPOSE, transferId, sealed.sealed);
}

function shareKey(keystore: Keystore, epoch: number): Uint8Array {
  const key = keystore.shareKeys.get(epoch);
  // A missing epoch key means the share was crypto-shredded on purpose (or the keystore is not the right one).
  if (key === undefined) throw new Error(`no share key for epoch ${epoch}`);
  return key;
}
