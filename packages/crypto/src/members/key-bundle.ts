// A member's private key bundle (§11.4), sealed under the account key UK; unsealed only on the member's client.
import { decryptMessage, encryptMessage } from '../cobblestone/cobblestone.js';
import { CryptoError } from '../errors.js';
import { type Bytes, toBase64Url } from '../encoding/encoding.js';
import { idFromText } from '../encoding/ids.js';
import { encodeContext } from '../transfer/context.js';
import type { AccountKey } from './account-key.js';
import { type KemPrivateKey, importKemPrivateKey } from './hpke.js';
import { type MemberKeyRecord, type NewMemberKeys, checkKemName, memberKeyFingerprint } from './member-key.js';
import { type SigningKey, checkSigName, importSigningKey } from './signing.js';
import { bytesField, canonicalBytes, field, parseCanonicalObject, versionOne } from './strict-json.js';

const BUNDLE_TYPE = 'valise/member-private-keys';
const BUNDLE_KEYS = ['kem', 'kemPrivateKey', 'kemPublicKey', 'memberId', 'sig', 'sigPrivateKey', 'sigPublicKey', 'type', 'v'];

/** A member's keys, ready to use: private keys are non-extractable CryptoKeys from here on. */
export interface UnlockedMemberKeys {
  readonly record: MemberKeyRecord;
  readonly fingerprint: Bytes;
  readonly kemKey: KemPrivateKey;
  readonly signingKey: SigningKey;
}

const bundleContext = (memberId: string): Bytes => encodeContext('valise/v1/key-bundle', idFromText(memberId));

/**
 * bundleCt = Cob(UK, ctx("valise/v1/key-bundle", memberId), UTF-8(JCS(bundle))).
 * `cobblestoneSalt` fixes the 24-byte Cobblestone salt: for known-answer vectors only.
 */
export async function sealKeyBundle(uk: AccountKey, keys: NewMemberKeys, options: { cobblestoneSalt?: Uint8Array } = {}): Promise<Bytes> {
  const { record } = keys;
  const plaintext = canonicalBytes({
    v: 1, type: BUNDLE_TYPE, memberId: record.memberId,
    kem: record.kem, kemPublicKey: record.kemPublicKey, kemPrivateKey: toBase64Url(keys.kemPrivateKeyPkcs8),
    sig: record.sig, sigPublicKey: record.sigPublicKey, sigPrivateKey: toBase64Url(keys.sigPrivateKeyPkcs8),
  });
  try {
    const salt = options.cobblestoneSalt;
    return await encryptMessage(uk, bundleContext(record.memberId), plaintext, salt ? { salt } : {});
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Opens a bundle with UK and checks that its public keys are those of `record` — the member's own record,
 * as certified: a server that swapped the record or the bundle cannot make the member use keys it chose.
 */
export async function openKeyBundle(uk: AccountKey, record: MemberKeyRecord, bundleCt: Uint8Array): Promise<UnlockedMemberKeys> {
  const plaintext = await decryptMessage(uk, bundleContext(record.memberId), bundleCt);
  try {
    const b = parseCanonicalObject(plaintext, 'key bundle', BUNDLE_KEYS);
    versionOne(b, BUNDLE_TYPE, 'key bundle');
    const kem = checkKemName(b['kem']);
    const sig = checkSigName(b['sig']);
    if (field(b, 'memberId', 'key bundle') !== record.memberId || kem !== record.kem || sig !== record.sig
      || field(b, 'kemPublicKey', 'key bundle') !== record.kemPublicKey || field(b, 'sigPublicKey', 'key bundle') !== record.sigPublicKey) {
      throw new CryptoError('record_invalid', 'the key bundle does not match the member key record');
    }
    const kemPkcs8 = bytesField(b, 'kemPrivateKey', 'key bundle');
    const sigPkcs8 = bytesField(b, 'sigPrivateKey', 'key bundle');
    try {
      return {
        record,
        fingerprint: await memberKeyFingerprint(record),
        kemKey: await importKemPrivateKey(kem, kemPkcs8),
        signingKey: await importSigningKey(sig, sigPkcs8),
      };
    } finally {
      kemPkcs8.fill(0);
      sigPkcs8.fill(0);
    }
  } finally {
    plaintext.fill(0);
  }
}
