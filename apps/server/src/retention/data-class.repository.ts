// SQL for data classes: the retention policies every transfer is created under.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type DataClassRow = Row<'data_classes'>;

export interface DataClassValues {
  readonly description: string;
  readonly maxExpiryMs: number;
  readonly defaultExpiryMs: number;
  readonly maxDownloads: number;
  readonly deleteWhenDownloaded: boolean;
  readonly allowOutsideRecipients: boolean;
}

export class DataClassRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async list(trx: Executor = this.#db): Promise<DataClassRow[]> {
    return trx.selectFrom('data_classes').selectAll().orderBy('name').execute();
  }

  async find(name: string, trx: Executor = this.#db): Promise<DataClassRow | undefined> {
    return trx.selectFrom('data_classes').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** The longest maximum of any class: how long a share key may still be needed after its epoch. */
  async longestMaxExpiryMs(): Promise<number> {
    const row = await this.#db.selectFrom('data_classes').select((eb) => eb.fn.max('max_expiry_ms').as('longest')).executeTakeFirst();
    return Number(row?.longest ?? 0);
  }

  /** Creates or replaces a class; false when `create` is asked and the name is taken (or an edit finds none). */
  async save(trx: Executor, name: string, values: DataClassValues, by: string | null, now: number, create: boolean): Promise<boolean> {
    const columns = {
      description: values.description,
      max_expiry_ms: values.maxExpiryMs,
      default_expiry_ms: values.defaultExpiryMs,
      max_downloads: values.maxDownloads,
      delete_when_downloaded: values.deleteWhenDownloaded ? 1 : 0,
      allow_outside_recipients: values.allowOutsideRecipients ? 1 : 0,
      updated_at: now,
      updated_by: by,
    } as const;
    if (create) {
      const inserted = await trx.insertInto('data_classes').values({ name, ...columns }).onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
    }
    const updated = await trx.updateTable('data_classes').set(columns).where('name', '=', name).executeTakeFirst();
    return updated.numUpdatedRows === 1n;
  }
}
