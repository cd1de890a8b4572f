// Member certificates (§11.3): the organisation's Ed25519 signature over a member key record's fingerprint.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, fromBase64Url, utf8 } from '../encoding/encoding.js';
import { type MemberKeyRecord, FINGERPRINT_SIZE, memberKeyFingerprint } from './member-key.js';
import { type SigningKey, SIGNATURE_SIZE, sign, verifySignature } from './signing.js';

export const ORG_PUBLIC_KEY_SIZE = 32;

function certificateMessage(fingerprint: Uint8Array): Bytes {
  if (fingerprint.length !== FINGERPRINT_SIZE) throw new CryptoError('invalid_length', `a fingerprint is ${FINGERPRINT_SIZE} bytes`);
  return concatBytes(utf8('valise/v1/member-certificate'), Uint8Array.of(0), fingerprint);
}

/** Parses the organisation public key from its configuration text (43 base64url characters). */
export function orgPublicKeyFromText(text: string): Bytes {
  try {
    return fromBase64Url(text.trim(), ORG_PUBLIC_KEY_SIZE);
  } catch {
    throw new CryptoError('invalid_key', `an organisation public key is ${ORG_PUBLIC_KEY_SIZE} bytes of base64url`);
  }
}

/** certificate = Ed25519-Sign(orgKey, "valise/v1/member-certificate" ‖ 0x00 ‖ fingerprint), 64 bytes. */
export async function certifyMemberKey(orgKey: SigningKey, record: MemberKeyRecord): Promise<Bytes> {
  if (orgKey.sig !== 'Ed25519') throw new CryptoError('invalid_key', 'the organisation key is Ed25519');
  return sign(orgKey, certificateMessage(await memberKeyFingerprint(record)));
}

/** True only when `certificate` is the organisation's signature over this exact record. */
export async function verifyMemberCertificate(orgPublicKey: Uint8Array, record: MemberKeyRecord, certificate: Uint8Array): Promise<boolean> {
  if (certificate.length !== SIGNATURE_SIZE) return false;
  return verifySignature('Ed25519', orgPublicKey, certificateMessage(await memberKeyFingerprint(record)), certificate);
}

/** What a client needs before using anyone's key: the record, certified, for the member it asked for. */
export interface CertifiedMemberKey {
  readonly record: MemberKeyRecord;
  readonly fingerprint: Bytes;
}

/**
 * Checks a member key served by the server: certified by the pinned organisation key, and for the member
 * expected (by id and/or address). Throws 'signature_invalid' for an unsigned or wrongly signed key and
 * 'record_invalid' when the record names someone else: a server cannot substitute a key it made.
 */
export async function checkCertifiedMemberKey(
  orgPublicKey: Uint8Array,
  record: MemberKeyRecord,
  certificate: Uint8Array | null,
  expected: { memberId?: string; email?: string },
): Promise<CertifiedMemberKey> {
  if (expected.memberId !== undefined && record.memberId !== expected.memberId) throw new CryptoError('record_invalid', 'the key belongs to another member');
  if (expected.email !== undefined && record.email !== expected.email.toLowerCase()) throw new CryptoError('record_invalid', 'the key belongs to another address');
  if (!certificate || !(await verifyMemberCertificate(orgPublicKey, record, certificate))) {
    throw new CryptoError('signature_invalid', 'the member key is not signed by the organisation key');
  }
  return { record, fingerprint: await memberKeyFingerprint(record) };
}
