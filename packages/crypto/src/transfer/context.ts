// Cobblestone contexts of Valise v1: a versioned label and fixed-length ids, so a ciphertext cannot be replayed in another role.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, utf8 } from '../encoding/encoding.js';
import { ID_LENGTH, type FileIdBytes, type SlotIdBytes, type TransferIdBytes } from '../encoding/ids.js';

/** Every context label of format v1, with the number of 16-byte ids that follow it. */
export const CONTEXT_LABELS = Object.freeze({
  'valise/v1/file': 2, // transferId, fileId — file bodies under FK
  'valise/v1/manifest': 1, // transferId — the manifest under TK
  'valise/v1/link-slot': 2, // transferId, slotId — CK wrapped under W
  'valise/v1/link-proof': 1, // transferId — prefix of the link-possession proof (then the 32-byte nonce)
  'valise/v1/key-bundle': 1, // memberId — a member's private keys under the account key UK
  'valise/v1/account-key': 2, // memberId, wrapId — UK wrapped under one unlock method's key
  'valise/v1/org-key': 1, // orgKeyId — the organisation's private key under its passphrase key
} as const);

export type ContextLabel = keyof typeof CONTEXT_LABELS;

/**
 * ctx(label, id1, id2, …) = UTF-8(label) ‖ 0x00 ‖ id1 ‖ id2 ‖ … . The label contains no 0x00 and every
 * id is exactly 16 bytes, and each label has a fixed id count, so the encoding is injective.
 */
export function encodeContext(label: ContextLabel, ...ids: Uint8Array[]): Bytes {
  const expected = CONTEXT_LABELS[label] as number | undefined;
  if (expected === undefined) throw new CryptoError('invalid_argument', 'unknown context label');
  if (ids.length !== expected) throw new CryptoError('invalid_argument', `context ${label} takes ${expected} ids`);
  for (const id of ids) {
    if (id.length !== ID_LENGTH) throw new CryptoError('invalid_length', `context ids must be ${ID_LENGTH} bytes`);
  }
  return concatBytes(utf8(label), Uint8Array.of(0), ...ids);
}

export const fileContext = (transferId: TransferIdBytes, fileId: FileIdBytes): Bytes => encodeContext('valise/v1/file', transferId, fileId);
export const manifestContext = (transferId: TransferIdBytes): Bytes => encodeContext('valise/v1/manifest', transferId);
export const linkSlotContext = (transferId: TransferIdBytes, slotId: SlotIdBytes): Bytes => encodeContext('valise/v1/link-slot', transferId, slotId);
