// File names from an untrusted manifest, made safe to create inside an output folder on any platform.
// The manifest is authenticated, but a sender may still be hostile: `../x`, `/etc/passwd`, `C:\x`, control
// characters and bidi overrides (`\u202Egnp.exe` renders as "exe.png") must never reach the filesystem as-is.

/** Used when nothing usable is left of a name. */
export const FALLBACK_FILE_NAME = 'file';

/** Longest name we create, in UTF-8 bytes (ext4, NTFS and APFS allow 255; leaves room for " (n)" suffixes). */
export const MAX_FILE_NAME_BYTES = 200;

// C0 controls and DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates and marks.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
// Characters Windows refuses in names (the separators are handled before).
const WINDOWS_FORBIDDEN = /[<>:"|?*]/gu;
// CON, PRN, AUX, NUL, COM0-9, LPT0-9 (also with superscript digits), with or without an extension.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/iu;
// An extension worth keeping when truncating: a short run of letters and digits after the last dot.
const EXTENSION = /\.[\p{L}\p{N}_-]{1,16}$/u;

const encoder = new TextEncoder();
const utf8Length = (s: string): number => encoder.encode(s).length;

/**
 * Returns a name that is safe to create inside an output folder: a single path component, no control or
 * bidi characters, not `.`/`..`/empty, no trailing dots or spaces, no Windows reserved device name, no
 * leading dot (no hidden files), and at most MAX_FILE_NAME_BYTES UTF-8 bytes with its extension kept.
 */
export function safeFileName(name: string): string {
  let s = String(name).normalize('NFC').replace(UNSAFE_CHARS, '');
  // Keep only the last path component, for both separators (a Windows sender may use either).
  s = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  s = s.replace(WINDOWS_FORBIDDEN, '_');
  // Leading dots would hide the file (and `..` is a parent reference); trailing dots and spaces are
  // silently dropped by Windows, which would make two different names collide.
  s = s.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');
  if (s === '') return FALLBACK_FILE_NAME;
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  return truncateKeepingExtension(s, MAX_FILE_NAME_BYTES);
}

function truncateKeepingExtension(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  const match = EXTENSION.exec(name);
  const ext = match && match.index > 0 ? match[0] : '';
  const stem = [...name.slice(0, name.length - ext.length)]; // by code point: never split a surrogate pair
  const budget = maxBytes - utf8Length(ext);
  let bytes = 0;
  let kept = '';
  for (const ch of stem) {
    const n = utf8Length(ch);
    if (bytes + n > budget) break;
    bytes += n;
    kept += ch;
  }
  kept = kept.replace(/[\s.]+$/u, '');
  return (kept === '' ? FALLBACK_FILE_NAME : kept) + ext;
}

/**
 * Returns `name`, or `stem (1).ext`, `stem (2).ext`… — the first candidate not in `existing`, compared
 * case-insensitively (macOS and Windows folders are case-insensitive). Does not add it to `existing`.
 */
export function uniqueName(existing: ReadonlySet<string>, name: string): string {
  const taken = new Set([...existing].map((n) => n.toLowerCase()));
  if (!taken.has(name.toLowerCase())) return name;
  const match = EXTENSION.exec(name);
  const ext = match && match.index > 0 ? match[0] : '';
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}
