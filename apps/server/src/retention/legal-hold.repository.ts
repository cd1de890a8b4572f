// SQL for legal holds. A hold is active while released_at is null; released rows are kept as evidence.
import type { DatabaseHandle } from '../db/database.js';
import type { Row, TransferState } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type LegalHoldRow = Row<'legal_holds'>;

/** An active hold with what an administrator needs to see of its transfer. */
export interface ActiveHold {
  readonly holdId: string;
  readonly transferId: string;
  readonly reason: string;
  /** The member who placed it, when placed by one (the audit log names any other actor). */
  readonly placedBy: string | null;
  readonly placedAt: number;
  readonly transferState: TransferState;
  readonly dataClass: string;
  /** The sender's address; for a deposit (no sender), the address its depositor verified by a code. */
  readonly senderEmail: string;
  readonly expiresAt: number | null;
  readonly closeReason: string | null;
}

export class LegalHoldRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async active(transferId: string, trx: Executor = this.#db): Promise<LegalHoldRow | undefined> {
    return trx.selectFrom('legal_holds').selectAll().where('transfer_id', '=', transferId).where('released_at', 'is', null).executeTakeFirst();
  }

  /** `placedBy` is kept only if it names a user (the column references users; a CLI actor is no user). */
  async insert(trx: Executor, hold: { id: string; transferId: string; reason: string; placedBy: string; placedAt: number }): Promise<void> {
    const user = await trx.selectFrom('users').select('id').where('id', '=', hold.placedBy).executeTakeFirst();
    await trx.insertInto('legal_holds').values({
      id: hold.id, transfer_id: hold.transferId, reason: hold.reason, placed_by: user?.id ?? null, placed_at: hold.placedAt,
      released_by: null, released_at: null, release_reason: null,
    }).execute();
  }

  async release(trx: Executor, holdId: string, release: { by: string; at: number; reason: string }): Promise<boolean> {
    const user = await trx.selectFrom('users').select('id').where('id', '=', release.by).executeTakeFirst();
    const result = await trx.updateTable('legal_holds')
      .set({ released_by: user?.id ?? null, released_at: release.at, release_reason: release.reason })
      .where('id', '=', holdId).where('released_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Every active hold, oldest first. */
  async listActive(): Promise<ActiveHold[]> {
    const rows = await this.#db
      .selectFrom('legal_holds as h')
      .innerJoin('transfers as t', 't.id', 'h.transfer_id')
      // A deposit has no sender: the address its depositor verified stands in.
      .leftJoin('users as s', 's.id', 't.sender_id')
      .leftJoin('users as p', 'p.id', 'h.placed_by')
      .select([
        'h.id as holdId', 'h.transfer_id as transferId', 'h.reason', 'p.email as placedBy', 'h.placed_at as placedAt',
        't.state as transferState', 't.data_class as dataClass', (eb) => eb.fn.coalesce('s.email', 't.depositor_email').as('senderEmail'), 't.expires_at as expiresAt',
        't.close_reason as closeReason',
      ])
      .where('h.released_at', 'is', null)
      .orderBy('h.placed_at')
      .orderBy('h.id')
      .execute();
    return rows.map((r) => ({ ...r, senderEmail: r.senderEmail ?? '', placedAt: Number(r.placedAt), expiresAt: r.expiresAt === null ? null : Number(r.expiresAt) }));
  }
}
