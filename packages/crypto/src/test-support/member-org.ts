// An organisation key and members whose keys it certified, made with the package itself: the set-up that the
// member, drop-box and team tests share.
import { idToText, newId } from '../encoding/ids.js';
import { newAccountKey } from '../members/account-key.js';
import { type CertifiedMemberKey, certifyMemberKey, checkCertifiedMemberKey } from '../members/certificate.js';
import { type UnlockedMemberKeys, openKeyBundle, sealKeyBundle } from '../members/key-bundle.js';
import { generateMemberKeys } from '../members/member-key.js';
import { type SigningKey, generateSigKeyPair, importSigningKey } from '../members/signing.js';

export interface TestOrg {
  readonly publicKey: Uint8Array;
  readonly key: SigningKey;
  /** A member with fresh keys, unlocked on their side and certified by this organisation. */
  member(email: string): Promise<{ unlocked: UnlockedMemberKeys; certified: CertifiedMemberKey }>;
}

export async function testOrg(): Promise<TestOrg> {
  const pair = await generateSigKeyPair('Ed25519');
  const key = await importSigningKey('Ed25519', pair.privateKeyPkcs8);
  return {
    publicKey: pair.publicKey,
    key,
    async member(email) {
      const memberId = idToText(newId());
      const keys = await generateMemberKeys(memberId, email);
      const uk = newAccountKey();
      const unlocked = await openKeyBundle(uk, keys.record, await sealKeyBundle(uk, keys));
      const certified = await checkCertifiedMemberKey(pair.publicKey, keys.record, await certifyMemberKey(key, keys.record), { memberId });
      return { unlocked, certified };
    },
  };
}
