// The storage interface for encrypted file parts; keys are server-made random ids, never anything from a request.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/** Inclusive byte range, as in HTTP Range and S3 GetObject: { start: 0, end: 99 } is the first 100 bytes. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface BlobStore {
  /**
   * Stores exactly `size` bytes under a fresh `key` (keys are single-use), all or nothing: a failed, short or long
   * stream leaves no object behind (BlobSizeMismatchError for the wrong length).
   */
  put(key: string, stream: Readable, size: number): Promise<void>;
  /**
   * Streams the object, or an inclusive range of it (an end past the object is clamped to it). Throws
   * BlobNotFoundError, or BlobRangeError when the range starts at or after the end of the object.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object; removing a missing object is not an error (purge may run twice). */
  delete(key: string): Promise<void>;
  stat(key: string): Promise<{ size: number } | null>;
  /** Every stored key starting with `prefix` (hex), for consistency checks. */
  list(prefix?: string): AsyncIterable<string>;
  /** Throws when the storage cannot be reached (readiness checks). */
  ping(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(key: string) {
    super(`blob ${key} does not exist`);
    this.name = 'BlobNotFoundError';
  }
}

export class BlobSizeMismatchError extends Error {
  constructor(key: string, expected: number, actual: string) {
    super(`blob ${key}: expected ${expected} bytes, got ${actual}`);
    this.name = 'BlobSizeMismatchError';
  }
}

export class BlobRangeError extends RangeError {
  constructor(key: string) {
    super(`blob ${key}: the range starts past the end of the object`);
    this.name = 'BlobRangeError';
  }
}

export const KEY_PATTERN = /^[0-9a-f]{32}$/;
const PREFIX_PATTERN = /^[0-9a-f]{0,32}$/;

/** 128 random bits as 32 lowercase hex characters. */
export function newBlobKey(): string {
  return randomBytes(16).toString('hex');
}

// Every method checks its key, even though callers only pass keys they made: it is the last line before a path.
export function assertBlobKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw new TypeError('invalid blob key');
}

export function assertBlobPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) throw new TypeError('invalid blob key prefix');
}

export function assertSize(size: unknown): asserts size is number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new TypeError('invalid blob size');
}

export function assertRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError('invalid byte range');
  }
}
