// Sizes and offsets of a Cobblestone ciphertext (C2SP chunked-encryption, "Implementation notes").
import { CryptoError } from '../errors.js';

/** Plaintext bytes per chunk; the final chunk is always shorter (possibly empty). */
export const CHUNK_SIZE = 16384;
/** AES-GCM tag appended to every chunk. */
export const TAG_SIZE = 16;
/** Encrypted size of every non-final chunk. */
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const SALT_SIZE = 24;
export const COMMITMENT_SIZE = 32;
/** salt(24) ‖ commitment(32). */
export const HEADER_SIZE = SALT_SIZE + COMMITMENT_SIZE;
/** C2SP: "the message MUST NOT exceed 2^38 chunks"; the counter must abort when it reaches 2^38. */
export const MAX_CHUNKS = 2 ** 38;
/** Largest plaintext whose chunk count (floor(n / 16384) + 1) stays within 2^38: 4 PiB − 1 byte. */
export const MAX_PLAINTEXT_SIZE = MAX_CHUNKS * CHUNK_SIZE - 1;

/** Throws unless `n` is a plaintext size the format can represent (an integer in [0, 4 PiB)). */
export function checkPlaintextSize(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new CryptoError('invalid_argument', 'a plaintext size must be a non-negative safe integer');
  if (n > MAX_PLAINTEXT_SIZE) throw new CryptoError('counter_overflow', 'a message may not exceed 2^38 chunks');
}

/** Number of chunks of an n-byte message: always floor(n / 16384) + 1 (a multiple of 16 KiB ends with an empty chunk). */
export function chunkCount(plaintextSize: number): number {
  checkPlaintextSize(plaintextSize);
  return Math.floor(plaintextSize / CHUNK_SIZE) + 1;
}

/** Total ciphertext size: 56 + 16 × chunkCount(n) + n. */
export function ciphertextSize(plaintextSize: number): number {
  return HEADER_SIZE + chunkCount(plaintextSize) * TAG_SIZE + plaintextSize;
}

/**
 * Inverse of ciphertextSize: the plaintext size a ciphertext of `size` bytes must carry. Throws
 * 'truncated' for the lengths the spec calls invalid (shorter than the header, ending on a full chunk,
 * or a final chunk shorter than its tag). Trailing data is only detectable by decrypting, or by
 * comparing with an authenticated size (the manifest's).
 */
export function plaintextSizeOf(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new CryptoError('invalid_argument', 'a ciphertext size must be a non-negative safe integer');
  if (size < HEADER_SIZE) throw new CryptoError('truncated', 'the ciphertext is shorter than the 56-byte header');
  const body = size - HEADER_SIZE;
  const fullChunks = Math.floor(body / ENCRYPTED_CHUNK_SIZE);
  const finalLength = body % ENCRYPTED_CHUNK_SIZE;
  if (finalLength < TAG_SIZE) throw new CryptoError('truncated', 'the ciphertext does not end with a short final chunk');
  const n = fullChunks * CHUNK_SIZE + finalLength - TAG_SIZE;
  checkPlaintextSize(n);
  return n;
}

/** Offset of chunk k inside a full ciphertext (header included). */
export function chunkCiphertextOffset(index: number): number {
  return HEADER_SIZE + index * ENCRYPTED_CHUNK_SIZE;
}
