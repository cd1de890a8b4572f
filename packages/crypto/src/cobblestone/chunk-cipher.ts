// Cobblestone raw mode: AEAD chunks at an index under a given key and base nonce. Internal (hazmat): not exported by index.ts.
import { type AeadKey, type ChunkAead } from '../primitives/aead.js';
import { CryptoError } from '../errors.js';
import { type Bytes } from '../encoding/encoding.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, MAX_CHUNKS, TAG_SIZE } from './layout.js';

/** Throws unless `index` is a chunk number in [0, 2^38). */
export function checkChunkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new CryptoError('invalid_argument', 'a chunk index must be a non-negative integer');
  // C2SP: "If the chunk counter reaches or exceeds 2^38 while encrypting or decrypting, implementations MUST abort."
  if (index >= MAX_CHUNKS) throw new CryptoError('counter_overflow', 'the chunk counter reached 2^38');
}

/**
 * nonce = baseNonce XOR index, the index as a big-endian integer as wide as the nonce (C2SP "AEAD
 * usage"; since index < 2^38, only the last 5 bytes change).
 */
export function chunkNonce(baseNonce: Uint8Array, index: number): Bytes {
  checkChunkIndex(index);
  const nonce = new Uint8Array(baseNonce);
  const low = index % 2 ** 32;
  const high = Math.floor(index / 2 ** 32); // < 2^6
  const n = nonce.length;
  nonce[n - 5] = nonce[n - 5]! ^ high;
  nonce[n - 4] = nonce[n - 4]! ^ (low >>> 24);
  nonce[n - 3] = nonce[n - 3]! ^ ((low >>> 16) & 0xff);
  nonce[n - 2] = nonce[n - 2]! ^ ((low >>> 8) & 0xff);
  nonce[n - 1] = nonce[n - 1]! ^ (low & 0xff);
  return nonce;
}

/** Plaintext length rule: non-final chunks are exactly 16 KiB, the final one strictly shorter. */
export function checkPlaintextChunk(plaintext: Uint8Array, isFinal: boolean): void {
  if (isFinal ? plaintext.length >= CHUNK_SIZE : plaintext.length !== CHUNK_SIZE) {
    throw new CryptoError('invalid_length', isFinal ? 'a final chunk must be shorter than 16384 bytes' : 'a non-final chunk must be exactly 16384 bytes');
  }
}

/**
 * Ciphertext length rule: non-final chunks are exactly 16400 bytes; the final one is 16..16399 bytes,
 * otherwise the message is truncated (C2SP "Message chunking").
 */
export function checkCiphertextChunk(ciphertext: Uint8Array, isFinal: boolean): void {
  if (isFinal) {
    if (ciphertext.length < TAG_SIZE || ciphertext.length >= ENCRYPTED_CHUNK_SIZE) {
      throw new CryptoError('truncated', 'the final chunk must be between 16 and 16399 bytes');
    }
  } else if (ciphertext.length < ENCRYPTED_CHUNK_SIZE) {
    throw new CryptoError('truncated', 'a non-final chunk is shorter than 16400 bytes');
  } else if (ciphertext.length > ENCRYPTED_CHUNK_SIZE) {
    throw new CryptoError('invalid_length', 'a non-final chunk is longer than 16400 bytes');
  }
}

export interface RawChunkCipher {
  sealChunk(index: number, plaintext: Uint8Array, isFinal: boolean): Promise<Bytes>;
  openChunk(index: number, ciphertext: Uint8Array, isFinal: boolean): Promise<Bytes>;
  /** sealChunk into `out` (plaintext.length + 16 bytes). */
  sealChunkInto(index: number, plaintext: Uint8Array, isFinal: boolean, out: Uint8Array): Promise<void>;
  /** openChunk into `out` (ciphertext.length - 16 bytes); `out` may hold unverified bytes if this rejects. */
  openChunkInto(index: number, ciphertext: Uint8Array, isFinal: boolean, out: Uint8Array): Promise<void>;
}

/**
 * Raw-mode chunk cipher over an imported key. The caller guarantees the (key, baseNonce) pair is
 * single-use (C2SP appendix "raw mode"); Cobblestone derives both from a fresh salt.
 */
export function rawChunkCipher(aead: ChunkAead, key: AeadKey, baseNonce: Uint8Array): RawChunkCipher {
  const base = new Uint8Array(baseNonce);
  return {
    async sealChunk(index, plaintext, isFinal) {
      checkPlaintextChunk(plaintext, isFinal);
      return aead.seal(key, chunkNonce(base, index), plaintext);
    },
    async openChunk(index, ciphertext, isFinal) {
      checkCiphertextChunk(ciphertext, isFinal);
      return aead.open(key, chunkNonce(base, index), ciphertext);
    },
    async sealChunkInto(index, plaintext, isFinal, out) {
      checkPlaintextChunk(plaintext, isFinal);
      if (out.length !== plaintext.length + TAG_SIZE) throw new CryptoError('invalid_length', 'the output must be the plaintext length plus the tag');
      if (aead.sealInto) await aead.sealInto(key, chunkNonce(base, index), plaintext, out);
      else out.set(await aead.seal(key, chunkNonce(base, index), plaintext));
    },
    async openChunkInto(index, ciphertext, isFinal, out) {
      checkCiphertextChunk(ciphertext, isFinal);
      if (out.length !== ciphertext.length - TAG_SIZE) throw new CryptoError('invalid_length', 'the output must be the ciphertext length minus the tag');
      if (aead.openInto) await aead.openInto(key, chunkNonce(base, index), ciphertext, out);
      else out.set(await aead.open(key, chunkNonce(base, index), ciphertext));
    },
  };
}
