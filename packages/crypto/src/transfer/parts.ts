// Parts: the unit of resumable upload and download, 512 Cobblestone chunks each (part 0 also carries the header).
import { type Decryptor, type Encryptor } from '../cobblestone/cobblestone.js';
import { CryptoError } from '../errors.js';
import { type Bytes, constantTimeEqual } from '../encoding/encoding.js';
import { forEachBounded } from '../cobblestone/concurrency.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, HEADER_SIZE, TAG_SIZE, chunkCount, ciphertextSize } from '../cobblestone/layout.js';

export { ciphertextSize } from '../cobblestone/layout.js';

/** Chunks per part: 512 × 16400 = 8,396,800 ciphertext bytes (+56 header bytes in part 0). */
export const CHUNKS_PER_PART = 512;
export const PART_CIPHERTEXT_SIZE = CHUNKS_PER_PART * ENCRYPTED_CHUNK_SIZE;
export const PART_PLAINTEXT_SIZE = CHUNKS_PER_PART * CHUNK_SIZE;

export interface ByteRange {
  /** Inclusive start offset. */
  readonly start: number;
  /** Exclusive end offset. */
  readonly end: number;
}

/** Number of parts: ceil(chunkCount / 512). A size that is a multiple of 8 MiB gets a last part holding only the empty final chunk. */
export function partCount(plaintextSize: number): number {
  return Math.ceil(chunkCount(plaintextSize) / CHUNKS_PER_PART);
}

function checkPart(plaintextSize: number, k: number): void {
  const count = partCount(plaintextSize);
  if (!Number.isSafeInteger(k) || k < 0 || k >= count) throw new CryptoError('invalid_argument', `part index must be in [0, ${count})`);
}

/** Ciphertext bytes of part k inside the whole file ciphertext; part 0 starts at 0 (header included). */
export function partCiphertextRange(plaintextSize: number, k: number): ByteRange {
  checkPart(plaintextSize, k);
  const start = k === 0 ? 0 : HEADER_SIZE + k * PART_CIPHERTEXT_SIZE;
  const end = Math.min(HEADER_SIZE + (k + 1) * PART_CIPHERTEXT_SIZE, ciphertextSize(plaintextSize));
  return { start, end };
}

/** Plaintext bytes covered by part k (empty for a last part holding only the empty final chunk). */
export function partPlaintextRange(plaintextSize: number, k: number): ByteRange {
  checkPart(plaintextSize, k);
  return { start: k * PART_PLAINTEXT_SIZE, end: Math.min((k + 1) * PART_PLAINTEXT_SIZE, plaintextSize) };
}

/** Exact ciphertext size of part k. */
export function expectedPartSize(plaintextSize: number, k: number): number {
  const { start, end } = partCiphertextRange(plaintextSize, k);
  return end - start;
}

/** A fresh array of `length` bytes, or the first `length` bytes of the caller's buffer. */
function partBuffer(length: number, into: Uint8Array | undefined): Bytes {
  if (into === undefined) return new Uint8Array(length);
  if (into.length < length) throw new CryptoError('invalid_length', `the output buffer must hold at least ${length} bytes`);
  return into.subarray(0, length) as Bytes;
}

/** Chunk indices [first, first + count) of part k, and whether its last chunk is the message's final one. */
function partChunks(plaintextSize: number, k: number): { first: number; count: number; finalIndex: number } {
  const total = chunkCount(plaintextSize);
  const first = k * CHUNKS_PER_PART;
  return { first, count: Math.min(CHUNKS_PER_PART, total - first), finalIndex: total - 1 };
}

/**
 * Encrypts part k of a file of `plaintextSize` bytes. Deterministic for a given encryptor (key and
 * salt), so a part can be re-sent after an interruption; the plaintext MUST be the same bytes as the
 * first time (crypto-notes §6: never resume if the source may have changed).
 * With `into` (at least `expectedPartSize` bytes, not overlapping the plaintext), the ciphertext is written there
 * and a view of it returned, so a caller can reuse one buffer per part in flight.
 */
export async function encryptPart(encryptor: Encryptor, plaintextSize: number, k: number, plaintextOfPart: Uint8Array, into?: Uint8Array): Promise<Bytes> {
  const range = partPlaintextRange(plaintextSize, k);
  if (plaintextOfPart.length !== range.end - range.start) {
    throw new CryptoError('invalid_length', `part ${k} must hold ${range.end - range.start} plaintext bytes`);
  }
  const { first, count, finalIndex } = partChunks(plaintextSize, k);
  const offset = k === 0 ? HEADER_SIZE : 0;
  const out = partBuffer(expectedPartSize(plaintextSize, k), into);
  if (k === 0) out.set(encryptor.header, 0);
  await forEachBounded(count, async (j) => {
    const chunk = plaintextOfPart.subarray(j * CHUNK_SIZE, Math.min((j + 1) * CHUNK_SIZE, plaintextOfPart.length));
    const at = offset + j * ENCRYPTED_CHUNK_SIZE;
    if (encryptor.encryptChunkInto) {
      await encryptor.encryptChunkInto(first + j, chunk, first + j === finalIndex, out.subarray(at, at + chunk.length + TAG_SIZE));
    } else {
      out.set(await encryptor.encryptChunk(first + j, chunk, first + j === finalIndex), at);
    }
  });
  return out;
}

/**
 * Decrypts part k. `plaintextSize` must come from the authenticated manifest: it fixes the exact part
 * length and which chunk is final, so truncation and extension are caught before any AEAD call. For
 * part 0, the embedded header must equal the one the decryptor was opened with. Plaintext is returned
 * only after every chunk of the part verified. With `into` (at least the part's plaintext length, not overlapping
 * the ciphertext), the plaintext is written there and a view of it returned; on failure that view is wiped.
 */
export async function decryptPart(decryptor: Decryptor, plaintextSize: number, k: number, ciphertextOfPart: Uint8Array, into?: Uint8Array): Promise<Bytes> {
  const expected = expectedPartSize(plaintextSize, k);
  if (ciphertextOfPart.length < expected) throw new CryptoError('truncated', `part ${k} is shorter than ${expected} bytes`);
  if (ciphertextOfPart.length > expected) throw new CryptoError('trailing_data', `part ${k} is longer than ${expected} bytes`);
  let body = ciphertextOfPart;
  if (k === 0) {
    if (!constantTimeEqual(ciphertextOfPart.subarray(0, HEADER_SIZE), decryptor.header)) {
      throw new CryptoError('commitment_mismatch', 'part 0 does not start with the header of this file');
    }
    body = ciphertextOfPart.subarray(HEADER_SIZE);
  }
  const { first, count, finalIndex } = partChunks(plaintextSize, k);
  const range = partPlaintextRange(plaintextSize, k);
  const out = partBuffer(range.end - range.start, into);
  try {
    await forEachBounded(count, async (j) => {
      const chunk = body.subarray(j * ENCRYPTED_CHUNK_SIZE, Math.min((j + 1) * ENCRYPTED_CHUNK_SIZE, body.length));
      const at = j * CHUNK_SIZE;
      if (decryptor.decryptChunkInto) {
        // A chunk shorter than its tag is refused (truncated) before anything is written.
        const into = chunk.length >= TAG_SIZE ? out.subarray(at, at + chunk.length - TAG_SIZE) : out.subarray(at, at);
        await decryptor.decryptChunkInto(first + j, chunk, first + j === finalIndex, into);
      } else {
        out.set(await decryptor.decryptChunk(first + j, chunk, first + j === finalIndex), at);
      }
    });
  } catch (error) {
    out.fill(0);
    throw error;
  }
  return out;
}
