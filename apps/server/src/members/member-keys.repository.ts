// SQL for member keys: the key row (record, fingerprint, sealed bundle, certificate) and the unlock wraps.
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import type { Database, NewRow, Row } from '../db/schema.js';

type Executor = Kysely<Database>;

export type MemberKeyRow = Row<'member_keys'>;
export type UnlockWrapRow = Row<'unlock_wraps'>;

/** A key row with its member, as lookups and the administrator's list need it. */
export interface MemberKeyWithUser extends MemberKeyRow {
  readonly email: string;
  readonly status: Row<'users'>['status'];
}

export class MemberKeyRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  find(userId: string, trx: Executor = this.#db): Promise<MemberKeyRow | undefined> {
    return trx.selectFrom('member_keys').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  /** Oldest first, so a member's list reads in the order the methods were added. */
  wrapsOf(userId: string, trx: Executor = this.#db): Promise<UnlockWrapRow[]> {
    return trx.selectFrom('unlock_wraps').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  }

  /** Which of `ids` are already used by some wrap (any member's: wrap ids are global). */
  async takenWrapIds(ids: readonly string[], trx: Executor = this.#db): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await trx.selectFrom('unlock_wraps').select('id').where('id', 'in', [...ids]).execute();
    return rows.map((r) => r.id);
  }

  async insertKeys(trx: Executor, keys: NewRow<'member_keys'>, wraps: readonly NewRow<'unlock_wraps'>[]): Promise<void> {
    await trx.insertInto('member_keys').values(keys).execute();
    if (wraps.length > 0) await trx.insertInto('unlock_wraps').values([...wraps]).execute();
  }

  async insertWrap(trx: Executor, wrap: NewRow<'unlock_wraps'>): Promise<void> {
    await trx.insertInto('unlock_wraps').values(wrap).execute();
  }

  async deleteWrap(trx: Executor, userId: string, wrapId: string): Promise<boolean> {
    const result = await trx.deleteFrom('unlock_wraps').where('id', '=', wrapId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** The key of a member found by id or by (lowercase) address, with the member's current address and status. */
  findWithUser(by: { memberId: string } | { email: string }, trx: Executor = this.#db): Promise<MemberKeyWithUser | undefined> {
    let query = trx.selectFrom('member_keys').innerJoin('users', 'users.id', 'member_keys.user_id')
      .selectAll('member_keys').select(['users.email', 'users.status']);
    query = 'memberId' in by ? query.where('users.id', '=', by.memberId) : query.where('users.email', '=', by.email);
    return query.executeTakeFirst();
  }

  /** The keys of the members with these (lowercase) addresses, with their current address and status. */
  async findManyWithUser(emails: readonly string[], trx: Executor = this.#db): Promise<MemberKeyWithUser[]> {
    const rows: MemberKeyWithUser[] = [];
    // Far below SQLite's bound-parameter cap.
    for (let i = 0; i < emails.length; i += 500) {
      rows.push(...await trx.selectFrom('member_keys').innerJoin('users', 'users.id', 'member_keys.user_id')
        .selectAll('member_keys').select(['users.email', 'users.status'])
        .where('users.email', 'in', emails.slice(i, i + 500)).execute());
    }
    return rows;
  }

  /** Every key, oldest first (the service decides which are certified: that depends on the configured org key). */
  list(trx: Executor = this.#db): Promise<MemberKeyWithUser[]> {
    return trx.selectFrom('member_keys').innerJoin('users', 'users.id', 'member_keys.user_id')
      .selectAll('member_keys').select(['users.email', 'users.status'])
      .orderBy('member_keys.created_at').orderBy('member_keys.user_id').execute();
  }

  /** Stores the certificate only if the member's record is still the one with `fingerprint`; false otherwise. */
  async certify(trx: Executor, userId: string, fingerprint: Uint8Array, certificate: Uint8Array, now: number): Promise<boolean> {
    const result = await trx.updateTable('member_keys').set({ certificate, certified_at: now })
      .where('user_id', '=', userId).where('fingerprint', '=', fingerprint).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
