// Public API of @valise/crypto: the Valise v1 format (docs/format.md) on WebCrypto only, identical in browsers and Node.
export { CryptoError, type CryptoErrorCode, isCryptoError } from './errors.js';
export { type Bytes, concatBytes, constantTimeEqual, fromBase64Url, fromUtf8, randomBytes, toBase64Url, utf8 } from './encoding/encoding.js';
export {
  ID_LENGTH,
  ID_TEXT_LENGTH,
  type FileIdBytes,
  type IdBytes,
  type IdKind,
  type SlotIdBytes,
  type TransferIdBytes,
  idFromBytes,
  idFromText,
  idToText,
  newId,
} from './encoding/ids.js';
export { type Sha256, sha256 } from './primitives/digest.js';
export { hmacSha256, hmacSha512, hmacVerify } from './primitives/hmac.js';
export { hkdfExpand } from './primitives/hkdf-expand.js';
export { hkdfSha256 } from './primitives/hkdf.js';
export { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, type AeadKey, type ChunkAead, checkAeadKeyLength, checkNonce, checkSealedLength, webCryptoAead } from './primitives/aead.js';
export { COBBLESTONE_128, COBBLESTONE_256, type CobblestoneSuite } from './cobblestone/suite.js';
export {
  CHUNK_SIZE,
  COMMITMENT_SIZE,
  ENCRYPTED_CHUNK_SIZE,
  HEADER_SIZE,
  MAX_CHUNKS,
  MAX_PLAINTEXT_SIZE,
  SALT_SIZE,
  TAG_SIZE,
  chunkCiphertextOffset,
  chunkCount,
  plaintextSizeOf,
} from './cobblestone/layout.js';
export {
  type CobblestoneOptions,
  type Decryptor,
  type EncryptOptions,
  type Encryptor,
  type MessageKeys,
  createEncryptor,
  decryptMessage,
  deriveMessageKeys,
  encryptMessage,
  openDecryptor,
} from './cobblestone/cobblestone.js';
export { type DecryptStreamOptions, createDecryptStream, createEncryptStream } from './cobblestone/cobblestone-stream.js';
export {
  type ByteRange,
  CHUNKS_PER_PART,
  PART_CIPHERTEXT_SIZE,
  PART_PLAINTEXT_SIZE,
  ciphertextSize,
  decryptPart,
  encryptPart,
  expectedPartSize,
  partCiphertextRange,
  partCount,
  partPlaintextRange,
} from './transfer/parts.js';
export { CONTEXT_LABELS, type ContextLabel, encodeContext, fileContext, linkSlotContext, manifestContext } from './transfer/context.js';
export {
  type ClientKey,
  type FileKey,
  LINK_NONCE_SIZE,
  LINK_SLOT_SIZE,
  type LinkAuthKey,
  type LinkSecret,
  type LinkWrapKey,
  SECRET_LENGTH,
  type Secret,
  type SecretKind,
  type ServerShare,
  type TransferKey,
  deriveLinkAuthKey,
  deriveLinkWrapKey,
  deriveTransferKey,
  linkProof,
  newSecret,
  secretFromBase64Url,
  secretFromBytes,
  unwrapLinkSlot,
  verifyLinkProof,
  wrapLinkSlot,
} from './transfer/transfer-keys.js';
export {
  type Manifest,
  type ManifestFile,
  MAX_FILE_NAME_LENGTH,
  MAX_MANIFEST_FILES,
  decryptManifest,
  encryptManifest,
  parseManifest,
  partHash,
  serializeManifest,
  validateManifest,
} from './transfer/manifest.js';
// Member keys (docs/format.md §11–12): key records, certificates, bundles, unlock methods, slots, signatures.
export { type SigName, SIG_NAMES, SIG_PUBLIC_KEY_SIZE, SIGNATURE_SIZE, type SigningKey, generateSigKeyPair, importSigningKey, sigAvailable, sign, verifySignature } from './members/signing.js';
export {
  FINGERPRINT_SIZE,
  MAX_EMAIL_LENGTH,
  MEMBER_KEY_TYPE,
  type MemberKeyRecord,
  type NewMemberKeys,
  fingerprintText,
  generateMemberKeys,
  memberKeyFingerprint,
  parseMemberKeyRecord,
  preferredAlgorithms,
  serializeMemberKeyRecord,
} from './members/member-key.js';
export { type CertifiedMemberKey, ORG_PUBLIC_KEY_SIZE, certifyMemberKey, checkCertifiedMemberKey, orgPublicKeyFromText, verifyMemberCertificate } from './members/certificate.js';
export {
  ARGON2_MAX, ARGON2_MIN, ARGON2_SALT_SIZE, type Argon2Job, type Argon2Params, type Argon2Runner, MIN_PASSPHRASE_LENGTH, checkArgon2Params,
  runArgon2Here, setArgon2Runner,
} from './members/argon2.js';
export { RECOVERY_CODE_BYTES, decodeRecoveryCode, encodeRecoveryCode, newRecoveryCode } from './members/recovery-code.js';
export {
  ACCOUNT_KEY_WRAP_SIZE,
  type AccountKey,
  type UnlockKind,
  type UnlockSecret,
  type UnlockWrap,
  newAccountKey,
  passkeyPrfInput,
  unwrapAccountKey,
  wrapAccountKey,
} from './members/account-key.js';
export { type UnlockedMemberKeys, openKeyBundle, sealKeyBundle } from './members/key-bundle.js';
export { safetyNumber } from './members/safety-number.js';
export { memberSlotSize, openMemberSlot, sealMemberSlot } from './members/member-slot.js';
export { signManifest, verifyManifestSignature } from './members/manifest-signature.js';
export { type OrgKeyFile, createOrgKeyFile, orgKeyIdOf, parseOrgKeyFile, unlockOrgKey } from './members/org-key-file.js';
export { type MemberIdBytes, type OrgKeyIdBytes, type WrapIdBytes } from './encoding/ids.js';
export {
  HPKE_ENC_SIZE,
  HPKE_TAG_SIZE,
  KEM_NAMES,
  KEM_PUBLIC_KEY_SIZE,
  type KemName,
  type KemPrivateKey,
  generateKemKeyPair,
  hpkeOpen,
  hpkeSeal,
  importKemPrivateKey,
  kemAvailable,
  kemPublicKeyOf,
} from './members/hpke.js';
export {
  type BoxIdentity, type BoxKeyRecord, type BoxKeys, MAX_BOX_NAME_LENGTH, type NewDropBox, type VerifiedBoxKey, boxKeyFingerprint,
  boxLinkFragment, boxSlotSize, createDropBox, openBoxKeys, openBoxSlot, parseBoxKeyRecord, parseBoxLinkFragment, sealBoxKeysForOwner,
  sealBoxSlot, serializeBoxKeyRecord, verifyBoxKey,
} from './members/drop-box.js';
export { type KeyHolder, type SealTarget, keyHolder, sealTarget } from './members/key-holder.js';
export { addBoxEpoch } from './members/drop-box.js';
export {
  type CertifiedTeam, MAX_TEAM_NAME_LENGTH, type NewTeam, type TeamKeyRecord, type TeamKeys, type TeamRecord, type VerifiedTeamKey, addTeamEpoch,
  certifyTeam, checkCertifiedTeam, createTeam, openTeamKeys, openTeamSlot, parseTeamKeyRecord, parseTeamRecord, sealTeamKeysForMember, sealTeamSlot,
  serializeTeamKeyRecord, serializeTeamRecord, teamFingerprint, teamKeyFingerprint, teamSlotSize, verifyTeamKey,
} from './members/team.js';
