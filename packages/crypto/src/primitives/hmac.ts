// HMAC-SHA-256 / HMAC-SHA-512 (RFC 2104) through WebCrypto, with verification by subtle.verify.
import { CryptoError } from '../errors.js';
import { type Bytes, ownedBytes } from '../encoding/encoding.js';

export type HmacHash = 'SHA-256' | 'SHA-512';

/** Output length in bytes of each hash (RFC 6234). */
export const HASH_LENGTH: Readonly<Record<HmacHash, number>> = { 'SHA-256': 32, 'SHA-512': 64 };

/**
 * Imports raw bytes as a non-extractable HMAC key. WebCrypto rejects empty HMAC keys; RFC 2104 pads
 * short keys with zeros, so an empty key is replaced by one zero byte, which gives the same HMAC.
 */
export async function importHmacKey(hash: HmacHash, key: Uint8Array, usages: KeyUsage[] = ['sign']): Promise<CryptoKey> {
  const raw = key.length === 0 ? new Uint8Array(1) : ownedBytes(key);
  try {
    return await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash }, false, usages);
  } catch {
    throw new CryptoError('invalid_key', 'the HMAC key could not be imported');
  }
}

/** HMAC of `message` under a key that is already imported. */
export async function hmacWithKey(key: CryptoKey, message: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, ownedBytes(message)));
}

/** HMAC-SHA-256(key, message), 32 bytes. */
export async function hmacSha256(key: Uint8Array, message: Uint8Array): Promise<Bytes> {
  return hmacWithKey(await importHmacKey('SHA-256', key), message);
}

/** HMAC-SHA-512(key, message), 64 bytes. */
export async function hmacSha512(key: Uint8Array, message: Uint8Array): Promise<Bytes> {
  return hmacWithKey(await importHmacKey('SHA-512', key), message);
}

/**
 * Verifies a full-length HMAC tag with subtle.verify, whose comparison is constant-time. Returns false
 * for a wrong tag of the right length; a tag of the wrong length is a malformed input and throws.
 */
export async function hmacVerify(hash: HmacHash, key: Uint8Array, message: Uint8Array, tag: Uint8Array): Promise<boolean> {
  if (tag.length !== HASH_LENGTH[hash]) throw new CryptoError('invalid_length', `an HMAC-${hash} tag must be ${HASH_LENGTH[hash]} bytes`);
  const k = await importHmacKey(hash, key, ['verify']);
  return crypto.subtle.verify('HMAC', k, ownedBytes(tag), ownedBytes(message));
}
