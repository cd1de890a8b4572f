// SQL for the purge job: closing what is due, destroying a transfer's secrets, and leaving the tombstone.
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import type { Executor, TransferRow } from '../transfers/transfer.repository.js';

/** An upload left unfinished this long is abandoned: its parts are purged like any closed transfer's. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;
/** Openings are kept this long after creation: the code rate limits count them over this window. */
export const OPENING_RETENTION_MS = 60 * 60 * 1000;

export interface ClosedCounts {
  readonly expired: number;
  readonly exhausted: number;
  readonly abandoned: number;
}

export interface BlobRef {
  readonly blobKey: string;
  readonly size: number;
}

export class PurgeRepository {
  readonly #handle: DatabaseHandle;
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#handle = handle;
    this.#db = handle.db;
  }

  /** Closes every transfer whose time or downloads are up, and every long-abandoned upload. */
  async closeDue(now: number): Promise<ClosedCounts> {
    const closed = (reason: string) => ({ state: 'closed' as const, close_reason: reason, closed_at: now });
    const expired = await this.#db
      .updateTable('transfers')
      .set(closed('expired'))
      .where('state', '=', 'ready')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    // A transfer whose last download was granted stays ready while that grant lives, so the download can finish.
    const exhausted = await this.#db
      .updateTable('transfers')
      .set(closed('exhausted'))
      .where('state', '=', 'ready')
      .where((eb) => eb('downloads_used', '>=', eb.ref('max_downloads')))
      .where((eb) =>
        eb.not(eb.exists(
          eb.selectFrom('grants')
            .select(sql<number>`1`.as('one'))
            .whereRef('grants.transfer_id', '=', 'transfers.id')
            .where('grants.expires_at', '>', now),
        )),
      )
      .executeTakeFirst();
    const abandoned = await this.#db
      .updateTable('transfers')
      .set(closed('abandoned'))
      .where('state', '=', 'uploading')
      .where('created_at', '<=', now - ABANDONED_AFTER_MS)
      .executeTakeFirst();
    return {
      expired: Number(expired.numUpdatedRows),
      exhausted: Number(exhausted.numUpdatedRows),
      abandoned: Number(abandoned.numUpdatedRows),
    };
  }

  /** Closed transfers waiting to be purged, oldest closure first. */
  async closedBatch(limit: number): Promise<TransferRow[]> {
    return this.#db.selectFrom('transfers').selectAll().where('state', '=', 'closed').orderBy('closed_at').limit(limit).execute();
  }

  /**
   * Step 1 of a purge, in one transaction: SS, the link slot, the link-auth key and the manifest are gone, and so is
   * every way in (grants, openings, challenges). Idempotent: a purge interrupted later starts here again.
   */
  async destroySecrets(transferId: string): Promise<void> {
    await withWriteTransaction(this.#handle, async (trx) => {
      await trx
        .updateTable('transfers')
        .set({ ss_enc: null, link_slot: null, link_auth_key: null, manifest: null })
        .where('id', '=', transferId)
        .where('state', '=', 'closed')
        .execute();
      await trx.deleteFrom('grants').where('transfer_id', '=', transferId).execute();
      await trx.deleteFrom('openings').where('transfer_id', '=', transferId).execute();
      await trx.deleteFrom('link_challenges').where('transfer_id', '=', transferId).execute();
    });
  }

  async blobsOf(transferId: string): Promise<BlobRef[]> {
    const rows = await this.#db.selectFrom('parts').select(['blob_key', 'size']).where('transfer_id', '=', transferId).execute();
    return rows.map((r) => ({ blobKey: r.blob_key, size: r.size }));
  }

  async countFailedAttempt(transferId: string): Promise<void> {
    await this.#db
      .updateTable('transfers')
      .set((eb) => ({ purge_attempts: eb('purge_attempts', '+', 1) }))
      .where('id', '=', transferId)
      .execute();
  }

  /** Last step, once every blob is verified gone: the part rows go and the row becomes a tombstone. */
  async markPurged(transferId: string, now: number): Promise<boolean> {
    return withWriteTransaction(this.#handle, async (trx) => {
      await trx.deleteFrom('parts').where('transfer_id', '=', transferId).execute();
      const result = await trx
        .updateTable('transfers')
        .set({ state: 'purged', purged_at: now })
        .where('id', '=', transferId)
        .where('state', '=', 'closed')
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    });
  }

  /** Housekeeping of live transfers: dead challenges and grants, and openings past the rate-limit window. */
  async deleteStale(now: number): Promise<void> {
    await this.#db.deleteFrom('link_challenges').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('grants').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('openings').where('created_at', '<=', now - OPENING_RETENTION_MS).execute();
  }
}
