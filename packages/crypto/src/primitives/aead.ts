// The per-chunk AEAD used by Cobblestone, as a pluggable interface, and its WebCrypto AES-GCM implementation.
import { CryptoError } from '../errors.js';
import { type Bytes, ownedBytes } from '../encoding/encoding.js';

declare const aeadKeyBrand: unique symbol;
/** An imported AEAD key. Opaque: only the ChunkAead that made it can use it. */
export type AeadKey = { readonly [aeadKeyBrand]: true };

/** AES-GCM nonce length used by Cobblestone (NIST SP 800-38D 96-bit IV). */
export const AEAD_NONCE_LENGTH = 12;
/** AES-GCM tag length used by Cobblestone (full 128-bit tag). */
export const AEAD_TAG_LENGTH = 16;

/**
 * AES-GCM with a 12-byte nonce, a 16-byte tag appended to the ciphertext, and empty AAD (C2SP
 * chunked-encryption: "The AEAD's AAD is not used and MUST be empty"). Implementations must accept
 * 16- and 32-byte keys, and `open` must not return any plaintext unless the tag verified; on failure
 * it throws CryptoError('authentication_failed').
 */
export interface ChunkAead {
  importKey(raw: Uint8Array): Promise<AeadKey>;
  seal(key: AeadKey, nonce: Uint8Array, plaintext: Uint8Array): Promise<Bytes>;
  open(key: AeadKey, nonce: Uint8Array, ciphertext: Uint8Array): Promise<Bytes>;
  /**
   * Optional: `seal` writing its output (plaintext.length + 16 bytes, the same bytes `seal` returns) into `out`,
   * sparing a fresh array and a copy per chunk.
   */
  sealInto?(key: AeadKey, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array): Promise<void>;
  /**
   * Optional: `open` writing the plaintext (ciphertext.length - 16 bytes) into `out`. `out` may hold unverified
   * bytes when this rejects: the caller must keep it private and wipe it then.
   */
  openInto?(key: AeadKey, nonce: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): Promise<void>;
}

/** Shared argument checks, so every ChunkAead rejects the same malformed inputs the same way. */
export function checkAeadKeyLength(raw: Uint8Array): void {
  if (raw.length !== 16 && raw.length !== 32) throw new CryptoError('invalid_key', 'an AES-GCM chunk key must be 16 or 32 bytes');
}

export function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== AEAD_NONCE_LENGTH) throw new CryptoError('invalid_length', `an AES-GCM nonce must be ${AEAD_NONCE_LENGTH} bytes`);
}

export function checkSealedLength(ciphertext: Uint8Array): void {
  if (ciphertext.length < AEAD_TAG_LENGTH) throw new CryptoError('truncated', 'an AEAD ciphertext is shorter than its tag');
}

/**
 * The default ChunkAead: WebCrypto AES-GCM. The key is imported once per message as a non-extractable
 * CryptoKey. WebCrypto's decrypt only resolves after the tag verified, so no plaintext leaks early.
 */
export const webCryptoAead: ChunkAead = {
  async importKey(raw) {
    checkAeadKeyLength(raw);
    const key = await crypto.subtle.importKey('raw', ownedBytes(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return key as unknown as AeadKey;
  },
  async seal(key, nonce, plaintext) {
    checkNonce(nonce);
    const params: AesGcmParams = { name: 'AES-GCM', iv: ownedBytes(nonce), tagLength: AEAD_TAG_LENGTH * 8 };
    return new Uint8Array(await crypto.subtle.encrypt(params, key as unknown as CryptoKey, ownedBytes(plaintext)));
  },
  async open(key, nonce, ciphertext) {
    checkNonce(nonce);
    checkSealedLength(ciphertext);
    const params: AesGcmParams = { name: 'AES-GCM', iv: ownedBytes(nonce), tagLength: AEAD_TAG_LENGTH * 8 };
    try {
      return new Uint8Array(await crypto.subtle.decrypt(params, key as unknown as CryptoKey, ownedBytes(ciphertext)));
    } catch {
      throw new CryptoError('authentication_failed', 'a chunk failed authentication');
    }
  },
};
