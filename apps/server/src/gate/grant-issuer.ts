// Issues a download grant: consumes one download atomically, stores the grant's HMAC, and releases what opens it.
import { LIMITS, type GrantResponse } from '@valise/protocol';
import { hashToken, newId, newToken } from '../accounts/tokens.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import { unavailability } from '../transfers/availability.js';
import { TransferRepository, type Executor, type TransferRow } from '../transfers/transfer.repository.js';
import { AccessEventRepository } from './access-event.repository.js';
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
  /** How the holder passed the gate, for the sender's access log. */
  readonly via: 'code' | 'member';
  readonly ip: string | null;
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
   * Issues a grant in one write transaction; `before` runs first in the same transaction (completing an opening,
   * say), so either everything happens or nothing does.
   */
  async issue(transferId: string, holder: GrantHolder, before?: (trx: Executor) => Promise<void>): Promise<GrantResponse> {
    const { handle, keystore, clock } = this.#deps;
    const now = clock.now();
    const token = newToken();
    const issued = await withWriteTransaction(handle, async (trx) => {
      await before?.(trx);
      if (!(await this.#grants.consumeDownload(trx, transferId, now))) {
        throw this.#refusal(await this.#transfers.findById(transferId, trx), transferId, now);
      }
      const transfer = (await this.#transfers.findById(transferId, trx)) as TransferRow;
      // Never outlives the transfer: a grant cannot be used to download after expiry.
      const expiresAt = Math.min(now + LIMITS.grantIdleMs, transfer.expires_at ?? now);
      await this.#grants.insert(trx, {
        id: newId(),
        transferId,
        recipientId: holder.recipientId,
        userId: holder.userId,
        tokenHash: hashToken(keystore.sessionKey, token),
        createdAt: now,
        expiresAt,
      });
      await this.#events.record(
        { transferId, kind: 'opened', at: now, recipientId: holder.recipientId, userId: holder.userId, ip: holder.ip, detail: holder.via },
        trx,
      );
      // Built inside the transaction: if SS cannot be opened, the download is not consumed.
      const files = await this.#transfers.files(transferId, trx);
      return { grantToken: token, ...releaseTransfer(keystore, transfer, files, expiresAt) } satisfies GrantResponse;
    });
    return issued;
  }

  /** The precise 410 for a download that could not be consumed. */
  #refusal(transfer: TransferRow | undefined, transferId: string, now: number): AppError {
    const reason = unavailability(transfer, now, { needsDownloadLeft: true }) ?? { code: 'link_unavailable' as const, cause: 'not_consumable' };
    return new AppError(reason.code, { reason: `transfer ${transferId}: ${reason.cause}` });
  }
}
