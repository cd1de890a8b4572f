// Full HKDF-SHA-256 (RFC 5869, Extract then Expand) through WebCrypto, for Valise's own key derivations.
import { CryptoError } from '../errors.js';
import { type Bytes, ownedBytes } from '../encoding/encoding.js';

/**
 * HKDF-SHA-256(ikm, salt, info) → `length` bytes (RFC 5869 §2.2–2.3). Used for TK, W and A
 * (docs/format.md §5–6), whose input keying material is not a uniform PRK (CK ‖ SS, LS), so Extract runs.
 */
export async function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Bytes> {
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * 32) {
    throw new CryptoError('invalid_length', 'HKDF-SHA-256 output length must be between 0 and 8160 bytes');
  }
  const key = await crypto.subtle.importKey('raw', ownedBytes(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: ownedBytes(salt), info: ownedBytes(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}
