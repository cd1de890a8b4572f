// Legal holds: an administrator suspends the purge of one transfer, with a written reason. A hold never lets a
// transfer be served past its expiry (the gate decides by the clock, whatever the holds); it only keeps the
// ciphertext and the tombstone's evidence from being deleted. Releasing the hold of an overdue transfer purges it
// at once. Every placement and release is audited with its reason.
import { AUDIT_LOCK, type AuditRepository } from '../audit/audit.repository.js';
import { newId } from '../accounts/tokens.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import { ABANDONED_AFTER_MS } from '../jobs/purge.repository.js';
import { TransferRepository, type TransferRow } from '../transfers/transfer.repository.js';
import { LegalHoldRepository, type ActiveHold } from './legal-hold.repository.js';

export const MAX_REASON_LENGTH = 500;

/** What the service needs of the purge job: one run now (see PurgeJob.runOnce). */
export interface PurgeRunner {
  runOnce(): Promise<{ readonly skipped: boolean; readonly failed: readonly string[] }>;
}

export interface LegalHoldServiceDeps {
  readonly handle: DatabaseHandle;
  readonly audit: AuditRepository;
  readonly clock: Clock;
  readonly purge: PurgeRunner;
  /** Wait between purge attempts when another instance holds the purge lock (default 1 s). */
  readonly retryDelayMs?: number;
}

export interface PlacedHold {
  readonly holdId: string;
  readonly transferId: string;
  readonly reason: string;
  readonly placedAt: number;
  readonly transferState: TransferRow['state'];
  readonly expiresAt: number | null;
  /** The transfer's deadline has passed already: only the hold keeps it from being purged. */
  readonly pastDeadline: boolean;
}

export interface ReleasedHold {
  readonly holdId: string;
  readonly transferId: string;
  readonly reason: string;
  readonly releasedAt: number;
  /** The transfer was past its deadline (expired, closed, abandoned) when released, so it was purged at once. */
  readonly pastDeadline: boolean;
  /** Whether it is purged now (null when it was not due). False: the purge failed and is retried by the job. */
  readonly purged: boolean | null;
}

/** Attempts at purging a released, overdue transfer before leaving it to the job's next run. */
const PURGE_ATTEMPTS = 10;

export class LegalHoldService {
  readonly #deps: LegalHoldServiceDeps;
  readonly #holds: LegalHoldRepository;
  readonly #transfers: TransferRepository;

  constructor(deps: LegalHoldServiceDeps) {
    this.#deps = deps;
    this.#holds = new LegalHoldRepository(deps.handle);
    this.#transfers = new TransferRepository(deps.handle);
  }

  async place(actor: string, transferId: string, reasonText: string): Promise<PlacedHold> {
    const { handle, clock, audit } = this.#deps;
    const reason = validReason(reasonText);
    const now = clock.now();
    const holdId = newId();
    // The hold and its audit entry commit together; the chain's lock also serializes placements on one transfer.
    const transfer = await withWriteTransaction(handle, async (trx) => {
      const found = await this.#existing(transferId, trx);
      if (found.state === 'purged') {
        throw new AppError('conflict', { detail: `Transfer ${transferId} was purged${found.purged_at ? ` on ${utc(found.purged_at)}` : ''}: nothing is left to hold.` });
      }
      const held = await this.#holds.active(transferId, trx);
      if (held !== undefined) {
        throw new AppError('conflict', { detail: `Transfer ${transferId} is already held (since ${utc(held.placed_at)}: ${held.reason}).` });
      }
      await this.#holds.insert(trx, { id: holdId, transferId, reason, placedBy: actor, placedAt: now });
      await audit.appendWithin(trx, [{
        actor, action: 'legal_hold.placed', target: transferId,
        detail: { holdId, reason, transferState: found.state, expiresAt: found.expires_at, pastDeadline: isPastDeadline(found, now) },
      }]);
      return found;
    }, { lock: AUDIT_LOCK });
    return { holdId, transferId, reason, placedAt: now, transferState: transfer.state, expiresAt: transfer.expires_at, pastDeadline: isPastDeadline(transfer, now) };
  }

  /** Ends the active hold; a transfer past its deadline is then purged at once (and confirmed purged). */
  async release(actor: string, transferId: string, reasonText: string): Promise<ReleasedHold> {
    const { handle, clock, audit } = this.#deps;
    const reason = validReason(reasonText);
    const now = clock.now();
    const { holdId, pastDeadline } = await withWriteTransaction(handle, async (trx) => {
      const transfer = await this.#existing(transferId, trx);
      const held = await this.#holds.active(transferId, trx);
      if (held === undefined) throw new AppError('conflict', { detail: `Transfer ${transferId} is not held.` });
      await this.#holds.release(trx, held.id, { by: actor, at: now, reason });
      const due = isPastDeadline(transfer, now);
      await audit.appendWithin(trx, [{
        actor, action: 'legal_hold.released', target: transferId,
        detail: { holdId: held.id, reason, placedAt: held.placed_at, placedReason: held.reason, pastDeadline: due },
      }]);
      return { holdId: held.id, pastDeadline: due };
    }, { lock: AUDIT_LOCK });
    const purged = pastDeadline ? await this.#purgeNow(transferId) : null;
    return { holdId, transferId, reason, releasedAt: now, pastDeadline, purged };
  }

  list(): Promise<ActiveHold[]> {
    return this.#holds.listActive();
  }

  async #existing(transferId: string, trx?: Parameters<TransferRepository['findById']>[1]): Promise<TransferRow> {
    const transfer = await this.#transfers.findById(transferId, trx);
    if (transfer === undefined) throw new AppError('not_found', { detail: `There is no transfer ${transferId}.` });
    return transfer;
  }

  /**
   * Runs the purge until the transfer is purged. A run may be skipped (another instance holds the purge lock) or
   * may have begun before the release (it then did not see the transfer): both are tried again. A purge that
   * failed (storage refused a delete) is left to the job, which retries it every run.
   */
  async #purgeNow(transferId: string): Promise<boolean> {
    for (let attempt = 0; attempt < PURGE_ATTEMPTS; attempt++) {
      const report = await this.#deps.purge.runOnce();
      if ((await this.#existing(transferId)).state === 'purged') return true;
      if (report.failed.includes(transferId)) return false;
      if (report.skipped) await new Promise((resolve) => setTimeout(resolve, this.#deps.retryDelayMs ?? 1000));
    }
    return false;
  }
}

/** Expired, closed or abandoned: the purge would have deleted it by now but for a hold. */
export function isPastDeadline(t: Pick<TransferRow, 'state' | 'expires_at' | 'created_at'>, now: number): boolean {
  switch (t.state) {
    case 'closed': return true;
    case 'ready': return t.expires_at === null || t.expires_at <= now;
    case 'uploading': return t.created_at <= now - ABANDONED_AFTER_MS;
    case 'purged': return false;
  }
}

/** Trimmed, 1 to 500 characters, one line (it is shown in reports and tables, and kept as evidence). */
export function validReason(text: string): string {
  const reason = text.trim();
  const length = [...reason].length;
  // eslint-disable-next-line no-control-regex
  if (length === 0 || length > MAX_REASON_LENGTH || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(reason)) {
    throw new AppError('validation_failed', { detail: `The reason is required: one line of 1 to ${MAX_REASON_LENGTH} characters.` });
  }
  return reason;
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
