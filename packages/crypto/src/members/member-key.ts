// The member key record (§11.2): a member's two public keys, bound to their id and address; named by its fingerprint.
import { type Bytes, toBase64Url } from '../encoding/encoding.js';
import { ID_TEXT_LENGTH } from '../encoding/ids.js';
import { sha256 } from '../primitives/digest.js';
import { KEM_PUBLIC_KEY_SIZE, type KemName, generateKemKeyPair, kemAvailable } from './hpke.js';
import { SIG_PUBLIC_KEY_SIZE, type SigName, checkSigName, generateSigKeyPair, sigAvailable } from './signing.js';
import { bytesField, canonicalBytes, field, invalid, parseCanonicalObject, timestampField, versionOne } from './strict-json.js';

export const MEMBER_KEY_TYPE = 'valise/member-key';
export const MAX_EMAIL_LENGTH = 254;
export const FINGERPRINT_SIZE = 32;
const RECORD_KEYS = ['createdAt', 'email', 'kem', 'kemPublicKey', 'memberId', 'sig', 'sigPublicKey', 'type', 'v'];

export interface MemberKeyRecord {
  readonly v: 1;
  readonly type: typeof MEMBER_KEY_TYPE;
  readonly memberId: string;
  readonly email: string;
  readonly kem: KemName;
  readonly kemPublicKey: string;
  readonly sig: SigName;
  readonly sigPublicKey: string;
  readonly createdAt: string;
}

/** The record and the private halves made with it; the private halves go into a key bundle (§11.4) at once. */
export interface NewMemberKeys {
  readonly record: MemberKeyRecord;
  readonly kemPrivateKeyPkcs8: Bytes;
  readonly sigPrivateKeyPkcs8: Bytes;
}

export function checkKemName(value: unknown): KemName {
  if (value !== 'X25519' && value !== 'P-256') invalid('member key.kem', 'unknown KEM');
  return value;
}

/** X25519 + Ed25519 where this runtime has them, else P-256 + ECDSA P-256 (§11.1). */
export async function preferredAlgorithms(): Promise<{ kem: KemName; sig: SigName }> {
  const kem: KemName = (await kemAvailable('X25519')) ? 'X25519' : 'P-256';
  const sig: SigName = (await sigAvailable('Ed25519')) ? 'Ed25519' : 'ECDSA-P256';
  return { kem, sig };
}

/** Makes a member's two key pairs on their own client. */
export async function generateMemberKeys(
  memberId: string,
  email: string,
  options: { kem?: KemName; sig?: SigName; now?: Date } = {},
): Promise<NewMemberKeys> {
  const preferred = options.kem && options.sig ? { kem: options.kem, sig: options.sig } : await preferredAlgorithms();
  const kem = options.kem ?? preferred.kem;
  const sig = options.sig ?? preferred.sig;
  const kemPair = await generateKemKeyPair(kem);
  const sigPair = await generateSigKeyPair(sig);
  const record = checkMemberKeyRecord({
    v: 1,
    type: MEMBER_KEY_TYPE,
    memberId,
    email,
    kem,
    kemPublicKey: toBase64Url(kemPair.publicKey),
    sig,
    sigPublicKey: toBase64Url(sigPair.publicKey),
    createdAt: (options.now ?? new Date()).toISOString(),
  });
  return { record, kemPrivateKeyPkcs8: kemPair.privateKeyPkcs8, sigPrivateKeyPkcs8: sigPair.privateKeyPkcs8 };
}

function checkMemberKeyRecord(obj: Record<string, unknown> | MemberKeyRecord): MemberKeyRecord {
  const o = obj as Record<string, unknown>;
  const what = 'member key';
  versionOne(o, MEMBER_KEY_TYPE, what);
  const memberId = field(o, 'memberId', what);
  bytesField(o, 'memberId', what, 16);
  if (memberId.length !== ID_TEXT_LENGTH) invalid(`${what}.memberId`, 'must be a 22-character id');
  const email = field(o, 'email', what);
  if (email.length > MAX_EMAIL_LENGTH || !/^[^\s@]+@[^\s@]+$/.test(email) || email !== email.toLowerCase()) {
    invalid(`${what}.email`, 'must be a lowercase e-mail address');
  }
  const kem = checkKemName(o['kem']);
  bytesField(o, 'kemPublicKey', what, KEM_PUBLIC_KEY_SIZE[kem]);
  const sig = checkSigName(o['sig']);
  bytesField(o, 'sigPublicKey', what, SIG_PUBLIC_KEY_SIZE[sig]);
  const createdAt = timestampField(o, 'createdAt', what);
  return {
    v: 1, type: MEMBER_KEY_TYPE, memberId, email, kem,
    kemPublicKey: field(o, 'kemPublicKey', what), sig, sigPublicKey: field(o, 'sigPublicKey', what), createdAt,
  };
}

/** The exact bytes stored and sent: UTF-8 of the record's canonical JSON. */
export function serializeMemberKeyRecord(record: MemberKeyRecord): Bytes {
  return canonicalBytes(checkMemberKeyRecord(record));
}

/** Strict parse of a record's canonical JSON (text or bytes): exact keys, lengths, canonical form. */
export function parseMemberKeyRecord(textOrBytes: string | Uint8Array): MemberKeyRecord {
  return checkMemberKeyRecord(parseCanonicalObject(textOrBytes, 'member key', RECORD_KEYS));
}

/** fingerprint = SHA-256(UTF-8(JCS(record))), 32 bytes: the name of this exact record everywhere. */
export async function memberKeyFingerprint(record: MemberKeyRecord): Promise<Bytes> {
  return sha256(serializeMemberKeyRecord(record));
}

/** Short form for people: the fingerprint's first 16 bytes in eight groups of four hex digits. */
export function fingerprintText(fingerprint: Uint8Array): string {
  const hex = Array.from(fingerprint.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{4}/g)!.join(' ');
}
