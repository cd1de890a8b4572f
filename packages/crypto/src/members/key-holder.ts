// What HPKE boxes are sealed to (a member's key, or a team's key of one epoch) and who can open them, named by the
// fingerprint that every slot's and box's info binds.
import type { Bytes } from '../encoding/encoding.js';
import type { CertifiedMemberKey } from './certificate.js';
import type { KemName, KemPrivateKey } from './hpke.js';
import type { UnlockedMemberKeys } from './key-bundle.js';

/** A public KEM key to seal to (base64url), with the fingerprint of the record that carries it. */
export interface SealTarget {
  readonly kem: KemName;
  readonly kemPublicKey: string;
  readonly fingerprint: Uint8Array;
}

/** The private side, on a client that holds it. */
export interface KeyHolder {
  readonly kem: KemName;
  readonly kemKey: KemPrivateKey;
  readonly fingerprint: Bytes;
}

export function sealTarget(who: CertifiedMemberKey | SealTarget): SealTarget {
  return 'record' in who ? { kem: who.record.kem, kemPublicKey: who.record.kemPublicKey, fingerprint: who.fingerprint } : who;
}

export function keyHolder(who: UnlockedMemberKeys | KeyHolder): KeyHolder {
  return 'record' in who ? { kem: who.record.kem, kemKey: who.kemKey, fingerprint: who.fingerprint } : who;
}
