// Strict structural validation of a Valise v1 manifest: exact key sets, types, and sizes consistent with parts.ts.
import { CryptoError } from '../errors.js';
import { fromBase64Url } from '../encoding/encoding.js';
import { ID_TEXT_LENGTH } from '../encoding/ids.js';
import { MAX_PLAINTEXT_SIZE, ciphertextSize } from '../cobblestone/layout.js';
import { partCount } from './parts.js';

export interface ManifestFile {
  /** 16-byte id, base64url (22 characters). */
  readonly fileId: string;
  /** FK, 32 bytes, base64url (43 characters). */
  readonly key: string;
  /** Display name chosen by the sender, 1..1024 UTF-16 code units. Not sanitised for any filesystem. */
  readonly name: string;
  /** MIME type ("type/subtype" with optional parameters), "application/octet-stream" when unknown. */
  readonly type: string;
  /** Plaintext size in bytes. */
  readonly size: number;
  /** Must equal 56 + 16 × (floor(size / 16384) + 1) + size. */
  readonly ciphertextSize: number;
  /** base64url SHA-256 of each ciphertext part, in order; exactly partCount(size) entries. */
  readonly partHashes: readonly string[];
}

export interface Manifest {
  readonly v: 1;
  readonly transferId: string;
  /** ISO 8601 UTC, exactly as Date#toISOString prints it: YYYY-MM-DDTHH:MM:SS.sssZ. */
  readonly createdAt: string;
  readonly message: string | null;
  readonly files: readonly ManifestFile[];
}

export const MAX_MANIFEST_FILES = 10_000;
export const MAX_FILE_NAME_LENGTH = 1024;
export const MAX_MIME_TYPE_LENGTH = 255;

const MANIFEST_KEYS = ['createdAt', 'files', 'message', 'transferId', 'v'];
const FILE_KEYS = ['ciphertextSize', 'fileId', 'key', 'name', 'partHashes', 'size', 'type'];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// RFC 6838 §4.2 restricted names for type and subtype; parameters are printable ASCII.
const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(;[\x20-\x7e]*)?$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Messages name the offending field only, never its value: names and messages are user secrets.
function invalid(path: string, why: string): never {
  throw new CryptoError('manifest_invalid', `manifest ${path}: ${why}`);
}

function plainObject(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, 'must be an object');
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) invalid(path, 'must be a plain object');
  const actual = Object.keys(value).sort();
  if (actual.length !== keys.length || actual.some((k, i) => k !== keys[i])) invalid(path, `must have exactly the keys ${keys.join(', ')}`);
  return value as Record<string, unknown>;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') invalid(path, 'must be a string');
  if (LONE_SURROGATE.test(value)) invalid(path, 'must be well-formed Unicode');
  return value;
}

function base64url(value: unknown, path: string, length: number, bytes: number): string {
  const s = text(value, path);
  if (s.length !== length) invalid(path, `must be ${length} base64url characters`);
  try {
    fromBase64Url(s, bytes);
  } catch {
    invalid(path, 'must be canonical base64url');
  }
  return s;
}

function sizeField(value: unknown, path: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) invalid(path, 'must be an integer in range');
  return value;
}

function validateFile(value: unknown, path: string): ManifestFile {
  const f = plainObject(value, path, FILE_KEYS);
  const fileId = base64url(f['fileId'], `${path}.fileId`, ID_TEXT_LENGTH, 16);
  const key = base64url(f['key'], `${path}.key`, 43, 32);
  const name = text(f['name'], `${path}.name`);
  if (name.length < 1 || name.length > MAX_FILE_NAME_LENGTH) invalid(`${path}.name`, `must be 1 to ${MAX_FILE_NAME_LENGTH} UTF-16 code units`);
  const type = text(f['type'], `${path}.type`);
  if (type.length > MAX_MIME_TYPE_LENGTH || !MIME.test(type)) invalid(`${path}.type`, 'must be a MIME type');
  const size = sizeField(f['size'], `${path}.size`, MAX_PLAINTEXT_SIZE);
  const ctSize = sizeField(f['ciphertextSize'], `${path}.ciphertextSize`, Number.MAX_SAFE_INTEGER);
  if (ctSize !== ciphertextSize(size)) invalid(`${path}.ciphertextSize`, 'does not match size');
  const hashes = f['partHashes'];
  if (!Array.isArray(hashes)) invalid(`${path}.partHashes`, 'must be an array');
  if (hashes.length !== partCount(size)) invalid(`${path}.partHashes`, 'must have one hash per part');
  const partHashes = hashes.map((h, i) => base64url(h, `${path}.partHashes[${i}]`, 43, 32));
  return { fileId, key, name, type, size, ciphertextSize: ctSize, partHashes };
}

/**
 * Validates a manifest value (parsed JSON or a caller-built object) and returns a fresh copy. With
 * `expectedTransferId`, the manifest must name that transfer.
 */
export function validateManifest(value: unknown, expectedTransferId?: string): Manifest {
  const m = plainObject(value, '', MANIFEST_KEYS);
  if (m['v'] !== 1) invalid('v', 'must be 1');
  const transferId = base64url(m['transferId'], 'transferId', ID_TEXT_LENGTH, 16);
  if (expectedTransferId !== undefined && transferId !== expectedTransferId) invalid('transferId', 'is not the expected transfer');
  const createdAt = text(m['createdAt'], 'createdAt');
  if (!ISO_UTC.test(createdAt) || Number.isNaN(Date.parse(createdAt)) || new Date(createdAt).toISOString() !== createdAt) {
    invalid('createdAt', 'must be an ISO 8601 UTC timestamp (YYYY-MM-DDTHH:MM:SS.sssZ)');
  }
  const message = m['message'] === null ? null : text(m['message'], 'message');
  const files = m['files'];
  if (!Array.isArray(files)) invalid('files', 'must be an array');
  if (files.length > MAX_MANIFEST_FILES) invalid('files', `must list at most ${MAX_MANIFEST_FILES} files`);
  const validated = files.map((f, i) => validateFile(f, `files[${i}]`));
  const ids = new Set(validated.map((f) => f.fileId));
  if (ids.size !== validated.length) invalid('files', 'fileIds must be unique');
  return { v: 1, transferId, createdAt, message, files: validated };
}
