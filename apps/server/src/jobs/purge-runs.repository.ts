// The purge_runs table: one row per run that took the lock (skipped turns are not runs), the newest RUNS_KEPT kept.
// A row left without finished_at is a run that died: the evidence of a crash, as the next run's row is of its repair.
import { newId } from '../accounts/tokens.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Executor } from '../transfers/transfer.repository.js';

export const RUNS_KEPT = 1000;

export interface RunCounts {
  readonly closed: number;
  readonly purged: number;
  readonly failed: number;
}

export class PurgeRunRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async start(instance: string, now: number): Promise<string> {
    const id = newId();
    await this.#db.insertInto('purge_runs').values({ id, instance, started_at: now, finished_at: null }).execute();
    return id;
  }

  async finish(id: string, now: number, counts: RunCounts): Promise<void> {
    await this.#db.updateTable('purge_runs').set({ finished_at: now, ...counts }).where('id', '=', id).execute();
    // Older rows beyond the newest RUNS_KEPT go (the table stays a few hundred kilobytes).
    const cutoff = await this.#db
      .selectFrom('purge_runs')
      .select('started_at')
      .orderBy('started_at', 'desc')
      .offset(RUNS_KEPT - 1)
      .limit(1)
      .executeTakeFirst();
    if (cutoff) await this.#db.deleteFrom('purge_runs').where('started_at', '<', cutoff.started_at).execute();
  }
}
