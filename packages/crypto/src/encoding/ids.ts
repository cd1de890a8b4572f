// Identifiers of Valise objects (transferId, fileId, slotId): 16 random bytes, 22-character base64url text.
import { CryptoError } from '../errors.js';
import { type Bytes, fromBase64Url, randomBytes, toBase64Url } from './encoding.js';

/** Length in bytes of every Valise id (128 random bits: collisions are negligible without coordination). */
export const ID_LENGTH = 16;
/** Length of the text form: base64url of 16 bytes, unpadded. */
export const ID_TEXT_LENGTH = 22;

export type IdKind = 'TransferId' | 'FileId' | 'SlotId' | 'MemberId' | 'WrapId' | 'OrgKeyId';
/** Id bytes branded by kind, so a fileId cannot be passed where a transferId is expected. */
export type IdBytes<K extends IdKind> = Bytes & { readonly __brand: K };
export type TransferIdBytes = IdBytes<'TransferId'>;
export type FileIdBytes = IdBytes<'FileId'>;
export type SlotIdBytes = IdBytes<'SlotId'>;
export type MemberIdBytes = IdBytes<'MemberId'>;
export type WrapIdBytes = IdBytes<'WrapId'>;
export type OrgKeyIdBytes = IdBytes<'OrgKeyId'>;

/** A fresh random id from the CSPRNG. */
export function newId<K extends IdKind>(): IdBytes<K> {
  return randomBytes(ID_LENGTH) as IdBytes<K>;
}

/** Brands existing bytes as an id after checking the length. */
export function idFromBytes<K extends IdKind>(bytes: Uint8Array): IdBytes<K> {
  if (bytes.length !== ID_LENGTH) throw new CryptoError('invalid_length', `an id must be ${ID_LENGTH} bytes, got ${bytes.length}`);
  return new Uint8Array(bytes) as IdBytes<K>;
}

/** Parses the 22-character text form strictly (canonical base64url, exactly 16 bytes). */
export function idFromText<K extends IdKind>(text: string): IdBytes<K> {
  if (text.length !== ID_TEXT_LENGTH) throw new CryptoError('invalid_encoding', `an id must be ${ID_TEXT_LENGTH} base64url characters`);
  return fromBase64Url(text, ID_LENGTH) as IdBytes<K>;
}

/** The 22-character text form of an id. */
export function idToText(id: Uint8Array): string {
  if (id.length !== ID_LENGTH) throw new CryptoError('invalid_length', `an id must be ${ID_LENGTH} bytes, got ${id.length}`);
  return toBase64Url(id);
}
