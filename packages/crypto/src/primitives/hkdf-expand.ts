// HKDF-Expand (RFC 5869 §2.3) built from WebCrypto HMAC, because WebCrypto's HKDF always runs Extract first.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes } from '../encoding/encoding.js';
import { HASH_LENGTH, type HmacHash, hmacWithKey, importHmacKey } from './hmac.js';

/**
 * OKM = T(1) ‖ T(2) ‖ … truncated to `length`, where T(0) = empty and
 * T(i) = HMAC-Hash(PRK, T(i-1) ‖ info ‖ i) with i as a single byte (RFC 5869 §2.3).
 * C2SP chunked-encryption uses this with the input key as PRK, skipping Extract (NIST SP 800-108 KDF).
 */
export async function hkdfExpand(hash: HmacHash, prk: Uint8Array, info: Uint8Array, length: number): Promise<Bytes> {
  const hashLength = HASH_LENGTH[hash];
  // RFC 5869 §2.3: L <= 255*HashLen, since the block counter is one byte.
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hashLength) {
    throw new CryptoError('invalid_length', `HKDF-Expand output length must be between 0 and ${255 * hashLength} bytes`);
  }
  const key = await importHmacKey(hash, prk);
  const blocks: Uint8Array[] = [];
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1; blocks.length * hashLength < length; i++) {
    previous = await hmacWithKey(key, concatBytes(previous, info, Uint8Array.of(i)));
    blocks.push(previous);
  }
  return concatBytes(...blocks).slice(0, length);
}
