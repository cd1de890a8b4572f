// SQL for openings: one e-mailed code (or a decoy) per request, its attempts counted atomically.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type OpeningRow = Row<'openings'>;

export interface NewOpening {
  readonly id: string;
  readonly transferId: string;
  /** null for a decoy: the address asked for is not a recipient. */
  readonly recipientId: string | null;
  /** The address asked for (lowercase), recipient or not: the rate limits count per address. */
  readonly email: string;
  readonly tokenHash: Uint8Array;
  readonly codeHash: Uint8Array;
  readonly codeExpiresAt: number;
  readonly createdAt: number;
}

export class OpeningRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async insert(trx: Executor, opening: NewOpening): Promise<void> {
    await trx.insertInto('openings').values({
      id: opening.id,
      transfer_id: opening.transferId,
      recipient_id: opening.recipientId,
      email: opening.email,
      token_hash: opening.tokenHash,
      code_hash: opening.codeHash,
      code_expires_at: opening.codeExpiresAt,
      created_at: opening.createdAt,
      completed_at: null,
    }).execute();
  }

  /** Creation times of the openings of a transfer since `since` (optionally for one address), oldest first. */
  async createdSince(trx: Executor, transferId: string, since: number, email?: string): Promise<number[]> {
    let query = trx
      .selectFrom('openings')
      .select('created_at')
      .where('transfer_id', '=', transferId)
      .where('created_at', '>', since);
    if (email !== undefined) query = query.where('email', '=', email);
    const rows = await query.orderBy('created_at').execute();
    return rows.map((r) => r.created_at);
  }

  async findByTokenHash(transferId: string, tokenHash: Uint8Array): Promise<OpeningRow | undefined> {
    return this.#db
      .selectFrom('openings')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('transfer_id', '=', transferId)
      .executeTakeFirst();
  }

  /**
   * Counts one attempt, or returns null when none is left (or the opening was completed meanwhile). Counting in the
   * same statement that checks the limit means parallel guesses can never get more than `maxAttempts` tries.
   */
  async countAttempt(id: string, maxAttempts: number): Promise<number | null> {
    const row = await this.#db
      .updateTable('openings')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('attempts', '<', maxAttempts)
      .where('completed_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? Number(row.attempts) : null;
  }

  /** Marks the opening used; false if another request completed it first. */
  async complete(trx: Executor, id: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('openings')
      .set({ completed_at: now })
      .where('id', '=', id)
      .where('completed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}
