// SQL of the retention report. Every count and sum is made by the database (grouped, indexed by state), and the
// lists are bounded: the report costs the same with a million tombstones as with ten.
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import type { Row, TransferState } from '../db/schema.js';
import { ABANDONED_AFTER_MS } from '../jobs/purge.repository.js';
import type { Executor } from '../transfers/transfer.repository.js';

const DAY = 86_400_000;

/** Age buckets of live transfers, by creation time. */
export const AGE_BUCKETS = ['<1d', '1-7d', '7-30d', '>30d'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

/** States that still hold data (ciphertext, secrets): everything not yet purged. */
const LIVE: TransferState[] = ['uploading', 'ready', 'closed'];

export interface LiveGroup {
  readonly dataClass: string;
  readonly age: AgeBucket;
  readonly transfers: number;
  readonly bytes: number;
}

export interface OverdueRow {
  readonly transferId: string;
  readonly dataClass: string;
  readonly state: TransferState;
  /** Why it is due: the close reason, 'expired' for a ready transfer past its expiry, 'abandoned' for an upload. */
  readonly reason: string;
  readonly deadlineAt: number;
  readonly held: boolean;
}

export interface LagStats {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export type PurgeRunRow = Row<'purge_runs'>;

export class RetentionReportRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async classNames(): Promise<string[]> {
    return (await this.#db.selectFrom('data_classes').select('name').orderBy('name').execute()).map((r) => r.name);
  }

  /** Live transfers counted and summed per (class, age bucket). */
  async liveGroups(now: number): Promise<LiveGroup[]> {
    const bucket = sql<number>`case when created_at > ${now - DAY} then 0 when created_at > ${now - 7 * DAY} then 1 when created_at > ${now - 30 * DAY} then 2 else 3 end`;
    const rows = await this.#db
      .selectFrom('transfers')
      .select((eb) => ['data_class', bucket.as('bucket'), eb.fn.countAll<number>().as('transfers'), eb.fn.sum<number>('total_bytes').as('bytes')])
      .where('state', 'in', LIVE)
      // By the output name: repeating the expression would bind new parameters, which PostgreSQL does not see as
      // the same expression.
      .groupBy(['data_class', sql`bucket`])
      .execute();
    return rows.map((r) => ({ dataClass: r.data_class, age: AGE_BUCKETS[Number(r.bucket)]!, transfers: Number(r.transfers), bytes: Number(r.bytes ?? 0) }));
  }

  /**
   * Transfers whose deadline is at or before `cutoff` and which are not purged: the deadline is the expiry (ready,
   * or closed as expired), the closing time (closed otherwise), or creation + the abandonment delay (uploads).
   * The same deadline the purge job answers to in its deletion records.
   */
  async overdue(cutoff: number, limit: number): Promise<{ count: number; unheld: number; rows: OverdueRow[] }> {
    const held = sql<number>`case when exists (select 1 from legal_holds h where h.transfer_id = transfers.id and h.released_at is null) then 1 else 0 end`;
    const deadline = sql<number>`case
      when state = 'uploading' then created_at + ${ABANDONED_AFTER_MS}
      when state = 'ready' then expires_at
      when close_reason = 'expired' and expires_at is not null then expires_at
      else coalesce(closed_at, created_at) end`;
    const due = this.#db.selectFrom('transfers').where((eb) => eb.or([
      eb.and([eb('state', '=', 'ready'), eb('expires_at', '<=', cutoff)]),
      eb.and([eb('state', '=', 'uploading'), eb('created_at', '<=', cutoff - ABANDONED_AFTER_MS)]),
      eb.and([eb('state', '=', 'closed'), eb(deadline, '<=', cutoff)]),
    ]));
    const totals = await due
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>(sql`1 - ${held}`).as('unheld')])
      .executeTakeFirst();
    const rows = await due
      .select(['id', 'data_class', 'state', 'close_reason', deadline.as('deadline'), held.as('held')])
      .orderBy('deadline')
      .orderBy('id')
      .limit(limit)
      .execute();
    return {
      count: Number(totals?.count ?? 0),
      unheld: Number(totals?.unheld ?? 0),
      rows: rows.map((r) => ({
        transferId: r.id,
        dataClass: r.data_class,
        state: r.state,
        reason: r.close_reason ?? (r.state === 'uploading' ? 'abandoned' : 'expired'),
        deadlineAt: Number(r.deadline),
        held: Number(r.held) === 1,
      })),
    };
  }

  /** Lag of the purges recorded since `since`: nearest-rank percentiles, each one row read at an offset. */
  async purgeLag(since: number): Promise<LagStats> {
    const inWindow = this.#db.selectFrom('deletion_records').where('purged_at', '>=', since);
    const totals = await inWindow.select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('lag_ms').as('max')]).executeTakeFirst();
    const count = Number(totals?.count ?? 0);
    const at = async (p: number): Promise<number | null> => {
      if (count === 0) return null;
      const row = await inWindow.select('lag_ms').orderBy('lag_ms').limit(1).offset(Math.ceil(p * count) - 1).executeTakeFirst();
      return row === undefined ? null : Number(row.lag_ms);
    };
    return { count, p50Ms: await at(0.5), p90Ms: await at(0.9), p99Ms: await at(0.99), maxMs: count === 0 ? null : Number(totals?.max) };
  }

  async lastPurgeRun(): Promise<PurgeRunRow | undefined> {
    return this.#db.selectFrom('purge_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  }
}
