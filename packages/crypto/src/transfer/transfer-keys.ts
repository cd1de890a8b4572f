// Keys of a transfer: CK, SS, FK, LS, the transfer key TK, the link slot wrapping CK, and the link-possession proof.
import { type EncryptOptions, decryptMessage, encryptMessage } from '../cobblestone/cobblestone.js';
import { encodeContext, linkSlotContext } from './context.js';
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, fromBase64Url, randomBytes, utf8 } from '../encoding/encoding.js';
import { hkdfSha256 } from '../primitives/hkdf.js';
import { hmacSha256, hmacVerify } from '../primitives/hmac.js';
import { ID_LENGTH, type SlotIdBytes, type TransferIdBytes } from '../encoding/ids.js';
import { HEADER_SIZE, TAG_SIZE } from '../cobblestone/layout.js';

/** Every secret of a transfer is 32 bytes (256 bits). */
export const SECRET_LENGTH = 32;
/** A link slot: Cobblestone-256 header (56) ‖ CK encrypted as one final chunk (32 + 16) = 104 bytes. */
export const LINK_SLOT_SIZE = HEADER_SIZE + SECRET_LENGTH + TAG_SIZE;
/** Server challenge for the link-possession proof. */
export const LINK_NONCE_SIZE = 32;

export type SecretKind = 'ClientKey' | 'ServerShare' | 'FileKey' | 'LinkSecret' | 'TransferKey' | 'LinkWrapKey' | 'LinkAuthKey';
/** 32 secret bytes branded by role, so that e.g. an FK cannot be passed as an LS. */
export type Secret<K extends SecretKind> = Bytes & { readonly __brand: K };
export type ClientKey = Secret<'ClientKey'>;
export type ServerShare = Secret<'ServerShare'>;
export type FileKey = Secret<'FileKey'>;
export type LinkSecret = Secret<'LinkSecret'>;
export type TransferKey = Secret<'TransferKey'>;
export type LinkWrapKey = Secret<'LinkWrapKey'>;
export type LinkAuthKey = Secret<'LinkAuthKey'>;

/** A fresh 32-byte secret from the CSPRNG (CK and LS by the sender's client, FK per file, SS by the server). */
export function newSecret<K extends 'ClientKey' | 'ServerShare' | 'FileKey' | 'LinkSecret'>(): Secret<K> {
  return randomBytes(SECRET_LENGTH) as Secret<K>;
}

/** Brands bytes as a secret after checking the length (a private copy is returned). */
export function secretFromBytes<K extends SecretKind>(bytes: Uint8Array): Secret<K> {
  if (bytes.length !== SECRET_LENGTH) throw new CryptoError('invalid_key', `a secret must be ${SECRET_LENGTH} bytes`);
  return new Uint8Array(bytes) as Secret<K>;
}

/** Parses a secret from its 43-character base64url form (FK in the manifest, LS in the URL fragment). */
export function secretFromBase64Url<K extends SecretKind>(text: string): Secret<K> {
  if (text.length !== 43) throw new CryptoError('invalid_encoding', 'a secret must be 43 base64url characters');
  return fromBase64Url(text, SECRET_LENGTH) as Secret<K>;
}

function checkIds(...ids: Uint8Array[]): void {
  for (const id of ids) if (id.length !== ID_LENGTH) throw new CryptoError('invalid_length', `ids must be ${ID_LENGTH} bytes`);
}

function checkSecret(...secrets: Uint8Array[]): void {
  for (const s of secrets) if (s.length !== SECRET_LENGTH) throw new CryptoError('invalid_key', `a secret must be ${SECRET_LENGTH} bytes`);
}

/**
 * TK = HKDF-SHA256(ikm = CK ‖ SS, salt = transferId, info = "valise/v1/transfer-key", L = 32).
 * Both halves are needed: the link alone (CK via LS) or the server alone (SS) derives nothing.
 */
export async function deriveTransferKey(ck: ClientKey, ss: ServerShare, transferId: TransferIdBytes): Promise<TransferKey> {
  checkSecret(ck, ss);
  checkIds(transferId);
  const ikm = concatBytes(ck, ss);
  try {
    return (await hkdfSha256(ikm, transferId, utf8('valise/v1/transfer-key'), SECRET_LENGTH)) as TransferKey;
  } finally {
    ikm.fill(0);
  }
}

/** W = HKDF-SHA256(ikm = LS, salt = transferId ‖ slotId, info = "valise/v1/link-wrap", L = 32). */
export async function deriveLinkWrapKey(ls: LinkSecret, transferId: TransferIdBytes, slotId: SlotIdBytes): Promise<LinkWrapKey> {
  checkSecret(ls);
  checkIds(transferId, slotId);
  return (await hkdfSha256(ls, concatBytes(transferId, slotId), utf8('valise/v1/link-wrap'), SECRET_LENGTH)) as LinkWrapKey;
}

/** slot = Cobblestone-256(W, ctx("valise/v1/link-slot", transferId, slotId), CK): 104 bytes, stored by the server. */
export async function wrapLinkSlot(
  ls: LinkSecret,
  transferId: TransferIdBytes,
  slotId: SlotIdBytes,
  ck: ClientKey,
  opts: Pick<EncryptOptions, 'salt' | 'aead'> = {},
): Promise<Bytes> {
  checkSecret(ck);
  const w = await deriveLinkWrapKey(ls, transferId, slotId);
  try {
    return await encryptMessage(w, linkSlotContext(transferId, slotId), ck, opts);
  } finally {
    w.fill(0);
  }
}

/**
 * Recovers CK from a link slot. The slot must be exactly 104 bytes; a wrong LS, transferId or slotId
 * changes W and fails the commitment check ('commitment_mismatch').
 */
export async function unwrapLinkSlot(ls: LinkSecret, transferId: TransferIdBytes, slotId: SlotIdBytes, slot: Uint8Array): Promise<ClientKey> {
  if (slot.length !== LINK_SLOT_SIZE) throw new CryptoError('invalid_length', `a link slot must be exactly ${LINK_SLOT_SIZE} bytes`);
  const w = await deriveLinkWrapKey(ls, transferId, slotId);
  try {
    return (await decryptMessage(w, linkSlotContext(transferId, slotId), slot)) as ClientKey;
  } finally {
    w.fill(0);
  }
}

/**
 * A = HKDF-SHA256(ikm = LS, salt = transferId ‖ slotId, info = "valise/v1/link-auth", L = 32), registered
 * with the server when the transfer is created. The server learns A, never LS or W (different info).
 */
export async function deriveLinkAuthKey(ls: LinkSecret, transferId: TransferIdBytes, slotId: SlotIdBytes): Promise<LinkAuthKey> {
  checkSecret(ls);
  checkIds(transferId, slotId);
  return (await hkdfSha256(ls, concatBytes(transferId, slotId), utf8('valise/v1/link-auth'), SECRET_LENGTH)) as LinkAuthKey;
}

function proofMessage(transferId: TransferIdBytes, nonce: Uint8Array): Bytes {
  if (nonce.length !== LINK_NONCE_SIZE) throw new CryptoError('invalid_length', `a link nonce must be ${LINK_NONCE_SIZE} bytes`);
  return concatBytes(encodeContext('valise/v1/link-proof', transferId), nonce);
}

/** proof = HMAC-SHA256(A, "valise/v1/link-proof" ‖ 0x00 ‖ transferId ‖ nonce), 32 bytes, answering a fresh server nonce. */
export async function linkProof(a: LinkAuthKey, transferId: TransferIdBytes, nonce: Uint8Array): Promise<Bytes> {
  checkSecret(a);
  return hmacSha256(a, proofMessage(transferId, nonce));
}

/**
 * Server side: checks a proof with subtle.verify (constant-time). Returns false for a wrong 32-byte
 * proof; throws 'invalid_length' for a proof or nonce of the wrong size (a malformed request).
 */
export async function verifyLinkProof(a: LinkAuthKey, transferId: TransferIdBytes, nonce: Uint8Array, proof: Uint8Array): Promise<boolean> {
  checkSecret(a);
  return hmacVerify('SHA-256', a, proofMessage(transferId, nonce), proof);
}
