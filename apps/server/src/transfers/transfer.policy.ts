// The creation rules of a transfer (counts, sizes, expiry, downloads), as one pure function of request and policy.
import type { CreateTransferRequest } from '@valise/protocol';
import type { PolicyLimits } from '../config.js';
import { AppError } from '../http/errors.js';
import type { EffectiveClass } from '../retention/data-class.service.js';
import { fileLayout, type FileLayout } from './part-layout.js';

export const MIN_EXPIRY_MS = 60_000;

export interface TransferPlan {
  readonly files: readonly FileLayout[];
  /** Lowercased, trimmed, without duplicates, in the order given. */
  readonly recipients: readonly string[];
  readonly expiresInMs: number;
  readonly maxDownloads: number;
  /** Sum of the ciphertext sizes: what the quota counts. */
  readonly totalBytes: number;
}

/**
 * Checks a creation request against the installation's limits and the transfer's data class (whose bounds are
 * already clamped to the installation's ceilings); throws the AppError a sender should see.
 */
export function planTransfer(
  request: CreateTransferRequest, limits: PolicyLimits, dataClass: EffectiveClass,
  /** Members reached through the teams named (they count toward the default download limit). */
  teamMembers = 0,
): TransferPlan {
  if (request.files.length > limits.maxFiles) {
    throw new AppError('too_many_files', { detail: `A transfer may hold at most ${limits.maxFiles} files (this one has ${request.files.length}).` });
  }
  const recipients = normalizeRecipients(request.recipients);
  if (recipients.length > limits.maxRecipients) {
    throw new AppError('too_many_recipients', { detail: `A transfer may have at most ${limits.maxRecipients} recipients (this one has ${recipients.length}).` });
  }

  const files = request.files.map((file, i) => {
    const layout = fileLayout(file.ciphertextSize);
    if (layout === null) {
      throw new AppError('validation_failed', { detail: `files[${i}].ciphertextSize: ${file.ciphertextSize} is not the length of an encrypted file.` });
    }
    if (layout.plaintextSize > limits.maxFileSize) {
      throw new AppError('file_too_large', { detail: `File ${i + 1} is ${bytesInWords(layout.plaintextSize)}; the limit is ${bytesInWords(limits.maxFileSize)}.` });
    }
    return layout;
  });

  const expiresInMs = request.expiresInSeconds === undefined ? dataClass.defaultExpiryMs : request.expiresInSeconds * 1000;
  if (!Number.isSafeInteger(expiresInMs) || expiresInMs < MIN_EXPIRY_MS || expiresInMs > dataClass.maxExpiryMs) {
    throw new AppError('expiry_out_of_range', { detail: `In the data class "${dataClass.name}", the expiry must be between ${durationInWords(MIN_EXPIRY_MS)} and ${durationInWords(dataClass.maxExpiryMs)}` +
        ` (asked: ${durationInWords(expiresInMs)}).` });
  }

  if (recipients.length === 0 && (request.teams ?? []).length === 0) {
    throw new AppError('validation_failed', { detail: 'Name at least one recipient or team.' });
  }
  const maxDownloads = request.maxDownloads ?? Math.min(Math.max(1, recipients.length + teamMembers), dataClass.maxDownloads);
  if (maxDownloads < 1 || maxDownloads > dataClass.maxDownloads) {
    throw new AppError('max_downloads_out_of_range', { detail: `In the data class "${dataClass.name}", the number of downloads must be between 1 and ${dataClass.maxDownloads} (asked: ${maxDownloads}).` });
  }

  return { files, recipients, expiresInMs, maxDownloads, totalBytes: files.reduce((sum, f) => sum + f.ciphertextSize, 0) };
}

/** Addresses are compared case-insensitively; the same person named twice is one recipient. */
export function normalizeRecipients(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map(normalizeEmail))];
}

export function normalizeEmail(address: string): string {
  return address.trim().toLowerCase();
}

const UNITS: readonly [string, number][] = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1_000]];

/** 2_592_000_000 → "30 days"; 5_400_000 → "1 hour 30 minutes"; what a sender reads in an error. */
export function durationInWords(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return `${Math.max(0, Math.round(ms))} milliseconds`;
  const words: string[] = [];
  let rest = Math.floor(ms / 1000) * 1000;
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) words.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
    if (words.length === 2) break;
  }
  return words.join(' ');
}

/** 1536 → "1.5 KiB": sizes as a person reads them (binary units, one decimal). */
export function bytesInWords(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
