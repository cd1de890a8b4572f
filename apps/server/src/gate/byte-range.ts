// Parses an HTTP Range header (RFC 9110 §14) for one part: a single byte range, or nothing.
// Multipart ranges are refused (416): the client resumes one part at a time and never needs them.

export type RangeRequest =
  /** No Range header, or a unit other than bytes (which RFC 9110 §14.2 says to ignore): send the whole part. */
  | { readonly kind: 'whole' }
  /** Inclusive offsets, already clamped to the part. */
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const BYTES_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' };
  const text = header.trim();
  if (!/^bytes=/i.test(text)) return { kind: 'whole' };
  const match = BYTES_RANGE.exec(`bytes=${text.slice(6).trim()}`);
  if (!match) return { kind: 'unsatisfiable' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'unsatisfiable' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  if (last === '') return { kind: 'range', start, end: size - 1 };
  const end = Number(last);
  if (end < start) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: Math.min(end, size - 1) };
}
