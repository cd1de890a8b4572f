// SQL for link-proof challenges: single-use nonces, consumed by one atomic UPDATE.
import type { DatabaseHandle } from '../db/database.js';
import type { Executor } from '../transfers/transfer.repository.js';

export interface NewChallenge {
  readonly id: string;
  readonly transferId: string;
  readonly nonce: Uint8Array;
  readonly expiresAt: number;
}

export class ChallengeRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async insert(challenge: NewChallenge): Promise<void> {
    await this.#db.insertInto('link_challenges').values({
      id: challenge.id,
      transfer_id: challenge.transferId,
      nonce: challenge.nonce,
      expires_at: challenge.expiresAt,
      used_at: null,
    }).execute();
  }

  /**
   * Marks the challenge used and returns its nonce, or null when it is unknown, belongs to another transfer, has
   * expired or was already used. One statement: two requests racing with the same challenge cannot both win.
   */
  async consume(id: string, transferId: string, now: number): Promise<Uint8Array | null> {
    const row = await this.#db
      .updateTable('link_challenges')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('transfer_id', '=', transferId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('nonce')
      .executeTakeFirst();
    return row ? new Uint8Array(row.nonce) : null;
  }

  async deleteByTransfer(trx: Executor, transferId: string): Promise<void> {
    await trx.deleteFrom('link_challenges').where('transfer_id', '=', transferId).execute();
  }
}
