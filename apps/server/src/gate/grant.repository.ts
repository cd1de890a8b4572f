// SQL for download grants and for the one statement that consumes a download.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type GrantRow = Row<'grants'>;

export interface NewGrant {
  readonly id: string;
  readonly transferId: string;
  readonly recipientId: string | null;
  readonly userId: string | null;
  /** The team the member opened through, if any: completing the grant marks the team as having downloaded. */
  readonly teamId?: string | null;
  readonly tokenHash: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export class GrantRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  /**
   * Takes one download, or nothing: the limit, the state and the expiry are checked by the same statement that
   * counts, so concurrent openers can never exceed max_downloads (no read-then-write race).
   */
  async consumeDownload(trx: Executor, transferId: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('transfers')
      .set((eb) => ({ downloads_used: eb('downloads_used', '+', 1) }))
      .where('id', '=', transferId)
      .where('state', '=', 'ready')
      .where('expires_at', '>', now)
      .where((eb) => eb('downloads_used', '<', eb.ref('max_downloads')))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async insert(trx: Executor, grant: NewGrant): Promise<void> {
    await trx.insertInto('grants').values({
      id: grant.id,
      transfer_id: grant.transferId,
      recipient_id: grant.recipientId,
      user_id: grant.userId,
      team_id: grant.teamId ?? null,
      token_hash: grant.tokenHash,
      created_at: grant.createdAt,
      expires_at: grant.expiresAt,
    }).execute();
  }

  async findByTokenHash(tokenHash: Uint8Array): Promise<GrantRow | undefined> {
    return this.#db.selectFrom('grants').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  /** The live grants a member holds for a transfer (their download under way, not completed). */
  async liveOf(trx: Executor, transferId: string, userId: string, now: number): Promise<GrantRow[]> {
    return trx.selectFrom('grants').selectAll()
      .where('transfer_id', '=', transferId).where('user_id', '=', userId).where('expires_at', '>', now)
      .execute();
  }

  /** Moves a live grant's idle expiry forward (never revives an expired one). */
  async slide(id: string, expiresAt: number, now: number): Promise<void> {
    await this.#db
      .updateTable('grants')
      .set({ expires_at: expiresAt })
      .where('id', '=', id)
      .where('expires_at', '>', now)
      .where('expires_at', '<', expiresAt)
      .execute();
  }

  /** Ends one grant; true if it existed. */
  async delete(id: string, db: Executor = this.#db): Promise<boolean> {
    const result = await db.deleteFrom('grants').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async deleteByTransfer(trx: Executor, transferId: string): Promise<void> {
    await trx.deleteFrom('grants').where('transfer_id', '=', transferId).execute();
  }
}
