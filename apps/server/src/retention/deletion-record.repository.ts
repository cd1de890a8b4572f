// SQL for deletion records: the evidence each purge leaves, written in the purge's last transaction.
import type { DatabaseHandle } from '../db/database.js';
import type { DeletedPart, Row } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type DeletionRecordRow = Row<'deletion_records'>;

/** What a deletion record says (its content, apart from whose it is); the one shape the API and mails start from. */
export interface DeletionFacts {
  readonly dataClass: string;
  readonly reason: string;
  readonly deadlineAt: number;
  readonly purgedAt: number;
  readonly lagMs: number;
  readonly blobCount: number;
  readonly bytes: number;
  readonly parts: readonly DeletedPart[];
}

export interface NewDeletionRecord extends DeletionFacts {
  readonly transferId: string;
  /** null for a deposit: its box's owners are told instead of a sender. */
  readonly senderId: string | null;
}

/** A stored record's facts: bigint columns as numbers (PostgreSQL), the parts' JSON parsed. */
export function deletionFactsOf(row: Pick<DeletionRecordRow, 'data_class' | 'reason' | 'deadline_at' | 'purged_at' | 'lag_ms' | 'blob_count' | 'bytes' | 'parts'>): DeletionFacts {
  return {
    dataClass: row.data_class, reason: row.reason, deadlineAt: Number(row.deadline_at), purgedAt: Number(row.purged_at),
    lagMs: Number(row.lag_ms), blobCount: Number(row.blob_count), bytes: Number(row.bytes), parts: JSON.parse(row.parts) as DeletedPart[],
  };
}

/** Rows per INSERT: 11 columns each, far below SQLite's bound-parameter cap. */
const INSERT_BATCH = 500;

export class DeletionRecordRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  /** Inside the purge's tombstone transaction (the primary key refuses a second record for a transfer). */
  async insert(trx: Executor, records: readonly NewDeletionRecord[]): Promise<void> {
    const rows = records.map((r) => ({
      transfer_id: r.transferId,
      sender_id: r.senderId,
      data_class: r.dataClass,
      reason: r.reason,
      deadline_at: r.deadlineAt,
      purged_at: r.purgedAt,
      lag_ms: r.lagMs,
      blob_count: r.blobCount,
      bytes: r.bytes,
      parts: JSON.stringify(r.parts),
    }));
    for (let i = 0; i < rows.length; i += INSERT_BATCH) await trx.insertInto('deletion_records').values(rows.slice(i, i + INSERT_BATCH)).execute();
  }

  async find(transferId: string): Promise<DeletionRecordRow | undefined> {
    return this.#db.selectFrom('deletion_records').selectAll().where('transfer_id', '=', transferId).executeTakeFirst();
  }
}
