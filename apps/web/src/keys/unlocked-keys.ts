// The member's unlocked keys, kept only in this page's memory: never in storage, never sent anywhere. Cleared on
// sign-out (and gone when the tab closes or reloads); every page that needs them asks to unlock again then.
import type { UnlockedAccount } from '@valise/client';
import { member } from '../session.js';
import { createStore } from '../store.js';

/** null while locked. */
export const unlockedKeys = createStore<UnlockedAccount | null>(null);

export function getUnlocked(): UnlockedAccount | null {
  return unlockedKeys.get();
}

/** Forgets the unlocked keys (the account key's bytes are zeroed; the CryptoKeys go with the object). */
export function lockKeys(): void {
  const account = unlockedKeys.get();
  if (!account) return;
  unlockedKeys.set(null);
  try {
    account.uk.fill(0);
  } catch {
    // already zeroed or not a byte array: nothing more to wipe
  }
}

// Whoever signs out (or another member signs in) leaves no keys behind.
let signedInAs: string | null | undefined;
member.subscribe((who) => {
  const id = who ? who.id : null;
  if (signedInAs !== undefined && id !== signedInAs) lockKeys();
  signedInAs = id;
});
