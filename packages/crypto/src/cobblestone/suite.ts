// The two Cobblestone instantiations of C2SP chunked-encryption: AES-128-GCM or AES-256-GCM with HKDF-Expand-SHA-512.
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH } from '../primitives/aead.js';

export interface CobblestoneSuite {
  readonly name: 'Cobblestone-128' | 'Cobblestone-256';
  /** AEAD name from the IANA AEAD registry, part of the HKDF-Expand info. */
  readonly aead: 'AEAD_AES_128_GCM' | 'AEAD_AES_256_GCM';
  /** Input key, chunk key length (C2SP: the input key has the AEAD key size). */
  readonly keyLength: 16 | 32;
  readonly nonceLength: typeof AEAD_NONCE_LENGTH;
  readonly tagLength: typeof AEAD_TAG_LENGTH;
}

/** Cobblestone-128: the C2SP recommended instantiation (kept for the vectors and for interoperability). */
export const COBBLESTONE_128: CobblestoneSuite = Object.freeze({
  name: 'Cobblestone-128',
  aead: 'AEAD_AES_128_GCM',
  keyLength: 16,
  nonceLength: AEAD_NONCE_LENGTH,
  tagLength: AEAD_TAG_LENGTH,
});

/** Cobblestone-256: what Valise v1 uses for every symmetric object (docs/format.md §3). */
export const COBBLESTONE_256: CobblestoneSuite = Object.freeze({
  name: 'Cobblestone-256',
  aead: 'AEAD_AES_256_GCM',
  keyLength: 32,
  nonceLength: AEAD_NONCE_LENGTH,
  tagLength: AEAD_TAG_LENGTH,
});
