// Signed manifests (§12.2): a member sender signs the canonical manifest bytes it encrypts.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, utf8 } from '../encoding/encoding.js';
import { ID_LENGTH, type TransferIdBytes } from '../encoding/ids.js';
import { sha256 } from '../primitives/digest.js';
import type { CertifiedMemberKey } from './certificate.js';
import type { UnlockedMemberKeys } from './key-bundle.js';
import { fromBase64Url } from '../encoding/encoding.js';
import { sign, verifySignature } from './signing.js';

async function signatureMessage(transferId: TransferIdBytes, senderFingerprint: Uint8Array, manifestBytes: Uint8Array): Promise<Bytes> {
  if (transferId.length !== ID_LENGTH) throw new CryptoError('invalid_length', `ids are ${ID_LENGTH} bytes`);
  return concatBytes(utf8('valise/v1/manifest-signature'), Uint8Array.of(0), transferId, senderFingerprint, await sha256(manifestBytes));
}

export async function signManifest(sender: UnlockedMemberKeys, transferId: TransferIdBytes, manifestBytes: Uint8Array): Promise<Bytes> {
  return sign(sender.signingKey, await signatureMessage(transferId, sender.fingerprint, manifestBytes));
}

/** True only when `signature` is the certified sender's signature of exactly these manifest bytes. */
export async function verifyManifestSignature(
  sender: CertifiedMemberKey,
  transferId: TransferIdBytes,
  manifestBytes: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const message = await signatureMessage(transferId, sender.fingerprint, manifestBytes);
  return verifySignature(sender.record.sig, fromBase64Url(sender.record.sigPublicKey), message, signature);
}
