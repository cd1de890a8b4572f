// SQL for uploaded parts: one row per (file, index) pointing at the blob that holds its bytes.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { Executor, FileRow } from './transfer.repository.js';

export type PartRow = Row<'parts'>;

export interface NewPart {
  readonly fileId: string;
  readonly index: number;
  readonly transferId: string;
  readonly blobKey: string;
  readonly size: number;
  readonly sha256: Uint8Array;
  readonly uploadedAt: number;
}

export class PartRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async findFile(transferId: string, fileId: string, db: Executor = this.#db): Promise<FileRow | undefined> {
    return db.selectFrom('transfer_files').selectAll().where('id', '=', fileId).where('transfer_id', '=', transferId).executeTakeFirst();
  }

  async find(fileId: string, index: number, db: Executor = this.#db): Promise<PartRow | undefined> {
    return db.selectFrom('parts').selectAll().where('file_id', '=', fileId).where('idx', '=', index).executeTakeFirst();
  }

  /** Writes a part's row again, unchanged: committed in full, it makes earlier deferred commits durable too. */
  async rewrite(trx: Executor, fileId: string, index: number): Promise<void> {
    await trx.updateTable('parts').set((eb) => ({ uploaded_at: eb.ref('uploaded_at') })).where('file_id', '=', fileId).where('idx', '=', index).execute();
  }

  async listByTransfer(transferId: string, db: Executor = this.#db): Promise<PartRow[]> {
    return db.selectFrom('parts').selectAll().where('transfer_id', '=', transferId).orderBy('file_id').orderBy('idx').execute();
  }

  async countByTransfer(transferId: string, db: Executor = this.#db): Promise<number> {
    const row = await db
      .selectFrom('parts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('transfer_id', '=', transferId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Records the part, replacing an earlier upload of it; returns the blob key it replaced (to delete after commit)
   * or null. Call inside a write transaction that serializes uploads of the same part, so the key read here is
   * exactly the one overwritten.
   */
  async upsert(trx: Executor, part: NewPart): Promise<string | null> {
    const previous = await this.find(part.fileId, part.index, trx);
    await trx
      .insertInto('parts')
      .values({
        file_id: part.fileId,
        idx: part.index,
        transfer_id: part.transferId,
        blob_key: part.blobKey,
        size: part.size,
        sha256: part.sha256,
        uploaded_at: part.uploadedAt,
      })
      .onConflict((oc) =>
        oc.columns(['file_id', 'idx']).doUpdateSet({
          blob_key: part.blobKey,
          size: part.size,
          sha256: part.sha256,
          uploaded_at: part.uploadedAt,
        }),
      )
      .execute();
    return previous && previous.blob_key !== part.blobKey ? previous.blob_key : null;
  }

  async deleteByTransfer(trx: Executor, transferId: string): Promise<void> {
    await trx.deleteFrom('parts').where('transfer_id', '=', transferId).execute();
  }
}
