// Issues a download grant: consumes one download atomically (or, when the plan says so, nothing), stores the grant's
// HMAC, and releases what opens it.
import { LIMITS, type GrantResponse } from '@valise/protocol';
import { hashToken, newId, newToken } from '../accounts/tokens.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import { requireAvailable, unavailability } from '../transfers/availability.js';
import { TransferRepository, type Executor, type FileRow, type TransferRow } from '../transfers/transfer.repository.js';
import { AccessEventRepository, type AccessEventKind } from './access-event.repository.js';
import { GrantRepository } from './grant.repository.js';
import { releaseTransfer } from './release.js';

export interface GrantIssuerDeps {
  readonly handle: DatabaseHandle;
  readonly keystore: Keystore;
  readonly clock: Clock;
}

export interface GrantHolder {
  readonly recipientId: string | null;
  readonly userId: string | null;
  /** The team a member opens through (their grant then counts for the team as a recipient). */
  readonly teamId?: string | null;
  /** How the holder passed the gate, for the sender's access log. */
  readonly via: 'code' | 'member';
  readonly ip: string | null;
}

/** How one grant is issued, decided inside its transaction. */
export interface GrantPlan {
  /** true: one download is consumed atomically, or nothing happens and the transfer's 410 is thrown. */
  readonly consume: boolean;
  /** Live grants this one replaces (ended in the same transaction). */
  readonly replaces?: readonly string[];
  /** Without consuming: whether the transfer must still have a download left (as for a new grant). */
  readonly needsDownloadLeft?: boolean;
  /** The access log's entry; by default 'opened', with how the holder passed the gate. */
  readonly event?: { readonly kind: AccessEventKind; readonly detail: string | null };
}

export interface IssueOptions<R> {
  /** Runs first in the transaction (completing an opening, say) and says how the grant is issued. */
  readonly plan: (trx: Executor) => Promise<GrantPlan>;
  /** What the grant releases, built inside the transaction: if it fails, nothing is consumed. */
  readonly release: (transfer: TransferRow, files: readonly FileRow[], grantExpiresAt: number) => R;
  /** PostgreSQL: an advisory lock held by the transaction (see withWriteTransaction). */
  readonly lock?: string;
}

export class GrantIssuer {
  readonly #deps: GrantIssuerDeps;
  readonly #transfers: TransferRepository;
  readonly #grants: GrantRepository;
  readonly #events: AccessEventRepository;

  constructor(deps: GrantIssuerDeps) {
    this.#deps = deps;
    this.#transfers = new TransferRepository(deps.handle);
    this.#grants = new GrantRepository(deps.handle);
    this.#events = new AccessEventRepository(deps.handle);
  }

  /**
   * Issues a link grant (one download consumed, the link slot released) in one write transaction; `before` runs
   * first in the same transaction (completing an opening, say), so either everything happens or nothing does.
   */
  async issue(transferId: string, holder: GrantHolder, before?: (trx: Executor) => Promise<void>): Promise<GrantResponse> {
    const { keystore } = this.#deps;
    return this.issueWith(transferId, holder, {
      plan: async (trx) => {
        await before?.(trx);
        return { consume: true };
      },
      release: (transfer, files, expiresAt) => releaseTransfer(keystore, transfer, files, expiresAt),
    });
  }

  /** Issues a grant as `options.plan` decides, releasing what `options.release` builds, in one write transaction. */
  async issueWith<R extends object>(transferId: string, holder: GrantHolder, options: IssueOptions<R>): Promise<R & { grantToken: string }> {
    const { handle, keystore, clock } = this.#deps;
    const now = clock.now();
    const token = newToken();
    return withWriteTransaction(handle, async (trx) => {
      const plan = await options.plan(trx);
      if (plan.consume) {
        if (!(await this.#grants.consumeDownload(trx, transferId, now))) {
          throw this.#refusal(await this.#transfers.findById(transferId, trx), transferId, now);
        }
      } else {
        requireAvailable(transferId, await this.#transfers.findById(transferId, trx), now, { needsDownloadLeft: plan.needsDownloadLeft ?? true });
      }
      for (const id of plan.replaces ?? []) await this.#grants.delete(id, trx);
      const transfer = (await this.#transfers.findById(transferId, trx)) as TransferRow;
      // Never outlives the transfer: a grant cannot be used to download after expiry.
      const expiresAt = Math.min(now + LIMITS.grantIdleMs, transfer.expires_at ?? now);
      await this.#grants.insert(trx, {
        id: newId(),
        transferId,
        recipientId: holder.recipientId,
        userId: holder.userId,
        teamId: holder.teamId ?? null,
        tokenHash: hashToken(keystore.sessionKey, token),
        createdAt: now,
        expiresAt,
      });
      const event = plan.event ?? { kind: 'opened' as const, detail: holder.via };
      await this.#events.record(
        { transferId, kind: event.kind, at: now, recipientId: holder.recipientId, userId: holder.userId, ip: holder.ip, detail: event.detail },
        trx,
      );
      // Built inside the transaction: if SS cannot be opened, the download is not consumed.
      const files = await this.#transfers.files(transferId, trx);
      return { grantToken: token, ...options.release(transfer, files, expiresAt) };
    }, options.lock === undefined ? {} : { lock: options.lock });
  }

  /** The precise 410 for a download that could not be consumed. */
  #refusal(transfer: TransferRow | undefined, transferId: string, now: number): AppError {
    const reason = unavailability(transfer, now, { needsDownloadLeft: true }) ?? { code: 'link_unavailable' as const, cause: 'not_consumable' };
    return new AppError(reason.code, { reason: `transfer ${transferId}: ${reason.cause}` });
  }
}
