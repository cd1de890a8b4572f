// Strict reading of the small JSON objects of §11 (records, bundles, key files): exact keys, canonical bytes.
import canonicalize from 'canonicalize';
import { CryptoError } from '../errors.js';
import { type Bytes, fromBase64Url, fromUtf8, utf8 } from '../encoding/encoding.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Messages name the field, never its value.
export function invalid(what: string, why: string): never {
  throw new CryptoError('record_invalid', `${what}: ${why}`);
}

/** UTF-8 of the RFC 8785 canonical JSON of a value. */
export function canonicalBytes(value: unknown): Bytes {
  const json = canonicalize(value);
  if (json === undefined) throw new CryptoError('invalid_argument', 'value has no JSON form');
  return utf8(json);
}

/** Parses canonical JSON text into an object with exactly `keys` (sorted), rejecting any other encoding. */
export function parseCanonicalObject(bytesOrText: Uint8Array | string, what: string, keys: readonly string[]): Record<string, unknown> {
  const text = typeof bytesOrText === 'string' ? bytesOrText : fromUtf8(bytesOrText);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    invalid(what, 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(what, 'must be an object');
  const actual = Object.keys(value).sort();
  const expected = [...keys].sort();
  if (actual.length !== expected.length || actual.some((k, i) => k !== expected[i])) invalid(what, `must have exactly the keys ${expected.join(', ')}`);
  if (canonicalize(value) !== text) invalid(what, 'is not in RFC 8785 canonical form');
  return value as Record<string, unknown>;
}

export function field(obj: Record<string, unknown>, key: string, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string') invalid(`${what}.${key}`, 'must be a string');
  return v;
}

export function bytesField(obj: Record<string, unknown>, key: string, what: string, length?: number): Bytes {
  try {
    return fromBase64Url(field(obj, key, what), length);
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'record_invalid') throw e;
    invalid(`${what}.${key}`, length === undefined ? 'must be base64url' : `must be ${length} bytes of base64url`);
  }
}

export function timestampField(obj: Record<string, unknown>, key: string, what: string): string {
  const v = field(obj, key, what);
  if (!ISO_UTC.test(v) || Number.isNaN(Date.parse(v)) || new Date(v).toISOString() !== v) invalid(`${what}.${key}`, 'must be an ISO 8601 UTC timestamp');
  return v;
}

export function versionOne(obj: Record<string, unknown>, type: string, what: string): void {
  if (obj['v'] !== 1) invalid(`${what}.v`, 'must be 1');
  if (obj['type'] !== type) invalid(`${what}.type`, `must be "${type}"`);
}
