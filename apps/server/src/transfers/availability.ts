// Whether a transfer can be opened or downloaded now, and if not, the one 410 code a caller is told.
// "Never existed" and "still uploading" look the same to callers (link_unavailable); the cause is kept for logs.
import { AppError } from '../http/errors.js';
import type { TransferRow } from './transfer.repository.js';

export type UnavailableCode = 'link_unavailable' | 'transfer_expired' | 'transfer_exhausted' | 'transfer_revoked';

export interface Unavailable {
  readonly code: UnavailableCode;
  /** For logs only: what really happened (unknown id, uploading, closed:revoked, past_expiry, …). */
  readonly cause: string;
}

export interface AvailabilityOptions {
  /**
   * A new grant needs a download left; an existing grant does not (a recipient who was granted the last download
   * must be able to finish it).
   */
  readonly needsDownloadLeft: boolean;
}

/** null when the transfer is ready, unexpired (and has a download left, if asked); otherwise why not. */
export function unavailability(
  transfer: Pick<TransferRow, 'state' | 'close_reason' | 'expires_at' | 'downloads_used' | 'max_downloads'> | undefined,
  now: number,
  options: AvailabilityOptions,
): Unavailable | null {
  if (transfer === undefined) return { code: 'link_unavailable', cause: 'unknown' };
  switch (transfer.state) {
    case 'uploading':
      return { code: 'link_unavailable', cause: 'uploading' };
    case 'closed':
    case 'purged':
      return { code: codeForReason(transfer.close_reason), cause: `${transfer.state}:${transfer.close_reason ?? 'unknown'}` };
    case 'ready':
      // The purge job may not have run yet: the clock, not the state column, decides expiry.
      if (transfer.expires_at === null || transfer.expires_at <= now) return { code: 'transfer_expired', cause: 'past_expiry' };
      if (options.needsDownloadLeft && transfer.downloads_used >= transfer.max_downloads) {
        return { code: 'transfer_exhausted', cause: 'no_download_left' };
      }
      return null;
  }
}

/**
 * The transfer, if available; otherwise throws its 410. The real cause goes to the log as the error's reason, so
 * "expired" and "never existed" stay apart there while looking alike to the caller.
 */
export function requireAvailable(
  transferId: string,
  transfer: TransferRow | undefined,
  now: number,
  options: AvailabilityOptions,
): TransferRow {
  const reason = unavailability(transfer, now, options);
  if (reason !== null) throw new AppError(reason.code, { reason: `transfer ${transferId}: ${reason.cause}` });
  return transfer as TransferRow;
}

function codeForReason(reason: string | null): UnavailableCode {
  switch (reason) {
    case 'expired':
      return 'transfer_expired';
    case 'exhausted':
    // Every recipient downloaded and the data class deleted it: to anyone opening the link, it is used up.
    case 'downloaded':
      return 'transfer_exhausted';
    case 'revoked':
      return 'transfer_revoked';
    default:
      // 'abandoned': the upload never finished, so no link was ever given out.
      return 'link_unavailable';
  }
}
