// Test-only helpers (Node): load Wycheproof and Valise vectors, hex, and stream collection. Never imported by library code.
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { CryptoError, type CryptoErrorCode } from '../errors.js';

// dist/test-support/ → dist → packages/crypto → packages → main → /work, where shared/ lives.
const WYCHEPROOF_DIR = new URL('../../../../../shared/test-vectors/wycheproof/', import.meta.url);
export const VALISE_VECTORS_URL = new URL('../../test-vectors/valise-v1.json', import.meta.url);

export interface WycheproofFile<T> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: ReadonlyArray<Record<string, unknown> & { readonly tests: readonly T[] }>;
}

export interface ChunkedVector {
  readonly tcId: number;
  readonly comment: string;
  readonly key: string;
  readonly ctx: string;
  readonly ct: string;
  readonly aeadKey?: string;
  readonly baseNonce?: string;
  readonly msgLength?: number;
  readonly msgSha512?: string;
  readonly result: 'valid' | 'invalid';
  readonly flags: readonly string[];
}

export function loadWycheproof<T>(name: string): WycheproofFile<T> {
  return JSON.parse(readFileSync(new URL(name, WYCHEPROOF_DIR), 'utf8')) as WycheproofFile<T>;
}

/** All tests of a Wycheproof file with their group attributes merged in. */
export function allTests<T>(file: WycheproofFile<T>): Array<T & { group: Record<string, unknown> }> {
  return file.testGroups.flatMap((group) => group.tests.map((t) => ({ ...t, group })));
}

export function hex(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The ciphertext of a chunked-encryption vector: hex, then zlib (see c2sp_chunked_encryption.md). */
export function chunkedCiphertext(v: ChunkedVector): Uint8Array<ArrayBuffer> {
  return new Uint8Array(inflateSync(Buffer.from(v.ct, 'hex')));
}

export function sha512Hex(bytes: Uint8Array): string {
  return createHash('sha512').update(bytes).digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Asserts that `promise` rejects with a CryptoError (of `code`, if given) and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code?: CryptoErrorCode | readonly CryptoErrorCode[]): Promise<CryptoError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof CryptoError, `expected a CryptoError, got ${String(caught)}`);
  if (code !== undefined) {
    const codes = typeof code === 'string' ? [code] : code;
    assert.ok(codes.includes(caught.code), `expected code ${codes.join('|')}, got ${caught.code}: ${caught.message}`);
  }
  return caught;
}

export interface Collected {
  readonly output: Uint8Array;
  readonly error: unknown;
}

/**
 * Writes `input` into a TransformStream in pieces of `pieceSize` bytes, reads everything it emits, and
 * returns what was emitted before an error (if any). After an error, checks that reads keep failing.
 */
export async function pipeThrough(stream: TransformStream<Uint8Array, Uint8Array>, input: Uint8Array, pieceSize: number): Promise<Collected> {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const writing = (async () => {
    for (let i = 0; i < input.length; i += pieceSize) await writer.write(input.slice(i, i + pieceSize));
    await writer.close();
  })().catch(() => undefined); // write errors surface on the readable side too
  const pieces: Uint8Array[] = [];
  let error: unknown;
  for (;;) {
    try {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(value);
    } catch (e) {
      error = e;
      break;
    }
  }
  await writing;
  if (error !== undefined) {
    // "must keep returning an error (rather than e.g. a clean end-of-message signal) if reads continue"
    await assert.rejects(reader.read());
    await assert.rejects(reader.read());
  }
  return { output: Buffer.concat(pieces), error };
}
