// How a file's ciphertext is cut into parts: the server's only use of the Cobblestone size arithmetic.
import { expectedPartSize, partCount, plaintextSizeOf } from '@valise/crypto';

export interface FileLayout {
  readonly ciphertextSize: number;
  /** What the sender will learn back once decrypted; the server only uses it to check sizes and policy. */
  readonly plaintextSize: number;
  readonly partCount: number;
}

/**
 * The layout of a file of `ciphertextSize` bytes, or null when no Cobblestone message has that length (the server
 * refuses such a file at creation rather than after gigabytes of upload).
 */
export function fileLayout(ciphertextSize: number): FileLayout | null {
  let plaintextSize: number;
  try {
    plaintextSize = plaintextSizeOf(ciphertextSize);
  } catch {
    return null;
  }
  return { ciphertextSize, plaintextSize, partCount: partCount(plaintextSize) };
}

/** Exact byte length of part `index` of a file of `ciphertextSize` bytes; null when the file has no such part. */
export function partSize(ciphertextSize: number, index: number): number | null {
  const layout = fileLayout(ciphertextSize);
  if (layout === null || !Number.isSafeInteger(index) || index < 0 || index >= layout.partCount) return null;
  return expectedPartSize(layout.plaintextSize, index);
}
