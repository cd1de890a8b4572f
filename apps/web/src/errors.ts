// Turns any failure into words in the person's language: server codes (RFC 9457 `code`) map to error.<code>;
// nothing from an exception's own message (which may be English or technical) is shown.
import { IntegrityError, LinkError, isApiError } from '@valise/client';
import { type MessageKey, t } from './i18n/i18n.js';
import { SaveStoppedError } from './workers/stream-sinks.js';
import en from './i18n/en.json';

export function errorText(error: unknown): string {
  if (isApiError(error)) {
    const key = `error.${error.code}`;
    if (key in en) {
      const base = t(key as MessageKey);
      if (error.code === 'code_invalid' && error.attemptsLeft !== undefined) return `${base} ${t('error.attempts_left', { count: error.attemptsLeft })}`;
      if (error.retryAfter !== undefined && error.status === 429) return `${base} ${t('error.retry_after', { seconds: Math.ceil(error.retryAfter) })}`;
      return base;
    }
    return t('error.unknown');
  }
  if (error instanceof IntegrityError) return t('error.integrity');
  if (error instanceof SaveStoppedError) return t('error.save_stopped');
  if (error instanceof LinkError) return t('error.link_invalid');
  return t('error.unknown');
}

/** The 410 answers that close a transfer for good, each with its own page. */
export type ClosedReason = 'transfer_expired' | 'transfer_exhausted' | 'transfer_revoked' | 'link_unavailable';

export function closedReason(error: unknown): ClosedReason | undefined {
  if (!isApiError(error)) return undefined;
  return error.code === 'transfer_expired' || error.code === 'transfer_exhausted' || error.code === 'transfer_revoked' || error.code === 'link_unavailable'
    ? error.code
    : undefined;
}
