// Passkeys as an unlock method (docs/format.md §11.5): the WebAuthn PRF extension gives 32 bytes that only this
// passkey (and a touch or PIN) can produce, for an input bound to the wrap's id; those bytes open the account key.
// Made and used here only: the server stores the wrap and the credential id, never the PRF output.
import { type UnlockedAccount, unlockMemberKeys } from '@valise/client';
import { fromBase64Url, idToText, newId, passkeyPrfInput, randomBytes, toBase64Url, wrapAccountKey } from '@valise/crypto';
import { api } from '../api.js';
import { currentMe, pinnedOrgKey } from './trust.js';

/** Why a passkey could not be used: no WebAuthn, an authenticator without PRF, or the person cancelled. */
export class PasskeyError extends Error {
  override readonly name = 'PasskeyError';
  constructor(readonly code: 'unsupported' | 'no_prf' | 'cancelled' | 'failed') {
    super(`passkey: ${code}`);
  }
}

export function passkeysSupported(): boolean {
  return typeof PublicKeyCredential !== 'undefined' && typeof navigator.credentials?.create === 'function';
}

const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

/** navigator.credentials with the browser's refusals turned into PasskeyErrors. */
async function webauthn<T>(call: () => Promise<Credential | null>): Promise<T> {
  if (!passkeysSupported()) throw new PasskeyError('unsupported');
  let credential: Credential | null;
  try {
    credential = await call();
  } catch (e) {
    // NotAllowedError: cancelled, timed out, or no matching passkey; others: the browser refused.
    throw new PasskeyError(e instanceof DOMException && e.name === 'NotAllowedError' ? 'cancelled' : 'failed');
  }
  if (!credential) throw new PasskeyError('cancelled');
  return credential as T;
}

function prfFirst(credential: PublicKeyCredential): Uint8Array {
  const first = credential.getClientExtensionResults().prf?.results?.first;
  if (!first) throw new PasskeyError('no_prf');
  const bytes = new Uint8Array(ArrayBuffer.isView(first) ? first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength) : first);
  if (bytes.length !== 32) throw new PasskeyError('no_prf');
  return bytes;
}

/**
 * Registers a new passkey for this member and adds it as an unlock method of their (unlocked) keys: create the
 * credential with PRF enabled, then ask it for the PRF output of this wrap's input, and wrap UK under it.
 */
export async function addPasskey(account: UnlockedAccount): Promise<void> {
  const me = currentMe();
  const wrapId = idToText(newId<'WrapId'>());
  const created = await webauthn<PublicKeyCredential>(() => navigator.credentials.create({
    publicKey: {
      rp: { name: 'Valise' },
      user: { id: buffer(fromBase64Url(me.memberId)), name: me.email, displayName: me.email },
      challenge: buffer(randomBytes(32)), // nothing is verified by a server: the PRF output is what matters
      pubKeyCredParams: [{ type: 'public-key', alg: -8 }, { type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      extensions: { prf: {} },
    },
  }));
  if (created.getClientExtensionResults().prf?.enabled === false) throw new PasskeyError('no_prf');
  const credentialId = toBase64Url(new Uint8Array(created.rawId));
  const asserted = await webauthn<PublicKeyCredential>(() => navigator.credentials.get({
    publicKey: {
      challenge: buffer(randomBytes(32)),
      allowCredentials: [{ type: 'public-key', id: created.rawId }],
      userVerification: 'required',
      extensions: { prf: { eval: { first: buffer(passkeyPrfInput(wrapId)) } } },
    },
  }));
  const prfOutput = prfFirst(asserted);
  try {
    const wrap = await wrapAccountKey(account.uk, me.memberId, { kind: 'passkey', prfOutput, credentialId }, { wrapId });
    await api.addUnlockWrap({ wrap });
  } finally {
    prfOutput.fill(0);
  }
}

/** Unlocks the member's keys with one of their passkeys (the browser asks which, and for a touch or PIN). */
export async function unlockWithPasskey(): Promise<UnlockedAccount> {
  const me = currentMe();
  const stored = await api.getMyKeys();
  const passkeys = stored.wraps.filter((w) => w.kind === 'passkey' && w.credentialId !== null);
  if (passkeys.length === 0) throw new PasskeyError('unsupported');
  const asserted = await webauthn<PublicKeyCredential>(() => navigator.credentials.get({
    publicKey: {
      challenge: buffer(randomBytes(32)),
      allowCredentials: passkeys.map((w) => ({ type: 'public-key' as const, id: buffer(fromBase64Url(w.credentialId!)) })),
      userVerification: 'required',
      // Each passkey gets the input of its own wrap.
      extensions: { prf: { evalByCredential: Object.fromEntries(passkeys.map((w) => [w.credentialId!, { first: buffer(passkeyPrfInput(w.wrapId)) }])) } },
    },
  }));
  const prfOutput = prfFirst(asserted);
  try {
    return await unlockMemberKeys(api, me, { kind: 'passkey', prfOutput, credentialId: toBase64Url(new Uint8Array(asserted.rawId)) }, await pinnedOrgKey());
  } finally {
    prfOutput.fill(0);
  }
}
