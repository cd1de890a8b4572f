// The purge job: closes transfers whose time, downloads or upload window is up, then crypto-shreds and deletes them.
// Order per transfer (crash-safe, idempotent): secrets → blobs → verify blobs gone → tombstone. A crash anywhere
// leaves the transfer closed, and the next run starts it again from the top.
import { sql } from 'kysely';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { advisoryLockKey } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import type { TransferRow } from '../transfers/transfer.repository.js';
import { PurgeRepository, type ClosedCounts } from './purge.repository.js';

/** Transfers purged per batch; a run keeps taking batches until none is left. */
const BATCH = 100;

/**
 * The advisory lock of a run. Advisory locks are cluster-wide, so the name includes the schema: deployments (or
 * test runs) sharing a PostgreSQL database in different schemas do not hold each other up.
 */
export function purgeLockName(schema: string): string {
  return `purge-job:${schema}`;
}

export interface PurgeJobDeps {
  readonly handle: DatabaseHandle;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly logger: Logger;
  /** Time between two runs (config.purgeIntervalMs). */
  readonly intervalMs: number;
}

export interface PurgeReport {
  /** True when another instance held the lock, so this run did nothing. */
  readonly skipped: boolean;
  readonly closed: ClosedCounts;
  readonly purged: readonly string[];
  /** Transfers left closed because a blob could not be deleted or verified gone; retried next run. */
  readonly failed: readonly string[];
}

const NOTHING_CLOSED: ClosedCounts = { expired: 0, exhausted: 0, abandoned: 0 };

export class PurgeJob {
  readonly name = 'purge';
  readonly #deps: PurgeJobDeps;
  readonly #repo: PurgeRepository;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PurgeReport> | undefined;

  constructor(deps: PurgeJobDeps) {
    this.#deps = deps;
    this.#repo = new PurgeRepository(deps.handle);
  }

  /** Runs every `intervalMs`; the timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.#deps.logger.error({ err: error }, 'purge run failed'));
    }, this.#deps.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress to finish (graceful shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One run now. Runs never overlap in this process; with PostgreSQL, never across instances either. */
  runOnce(): Promise<PurgeReport> {
    this.#running ??= this.#exclusive().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #exclusive(): Promise<PurgeReport> {
    const { handle } = this.#deps;
    if (handle.dialect !== 'postgres') return this.#run();
    // A session-level lock held on one pinned connection for the whole run; the work itself uses the pool.
    // try-lock: if another instance is purging, this one skips its turn instead of queueing behind it.
    return handle.db.connection().execute(async (conn) => {
      const { rows: [current] } = await sql<{ schema: string }>`select current_schema() as schema`.execute(conn);
      const key = advisoryLockKey(purgeLockName(current?.schema ?? 'public'));
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(conn);
      if (rows[0]?.locked !== true) return { skipped: true, closed: NOTHING_CLOSED, purged: [], failed: [] };
      try {
        return await this.#run();
      } finally {
        await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn);
      }
    });
  }

  async #run(): Promise<PurgeReport> {
    const now = this.#deps.clock.now();
    const closed = await this.#repo.closeDue(now);
    await this.#repo.deleteStale(now);
    const purged: string[] = [];
    const failed: string[] = [];
    const tried = new Set<string>();
    for (;;) {
      const batch = (await this.#repo.closedBatch(BATCH + tried.size)).filter((t) => !tried.has(t.id));
      if (batch.length === 0) break;
      for (const transfer of batch) {
        tried.add(transfer.id);
        if (await this.#purge(transfer)) purged.push(transfer.id);
        else failed.push(transfer.id);
      }
    }
    if (closed.expired + closed.exhausted + closed.abandoned + purged.length + failed.length > 0) {
      this.#deps.logger.info({ closed, purged: purged.length, failed: failed.length }, 'purge run');
    }
    return { skipped: false, closed, purged, failed };
  }

  /** Purges one closed transfer; false when it must be retried next run. */
  async #purge(transfer: TransferRow): Promise<boolean> {
    const { blobs, clock, audit, logger } = this.#deps;
    const transferId = transfer.id;
    const reason = transfer.close_reason ?? 'unknown';
    try {
      await this.#repo.destroySecrets(transferId);
      const refs = await this.#repo.blobsOf(transferId);
      for (const ref of refs) await blobs.delete(ref.blobKey);
      // Verify with the storage itself: a backend that acknowledged a delete it did not do must not yield a
      // "purged" record.
      const remaining: string[] = [];
      for (const ref of refs) if ((await blobs.stat(ref.blobKey)) !== null) remaining.push(ref.blobKey);
      if (remaining.length > 0) {
        await this.#repo.countFailedAttempt(transferId);
        logger.error({ transferId, reason, remaining: remaining.length }, 'purge: blobs still present after delete; will retry');
        return false;
      }
      const now = clock.now();
      const bytes = refs.reduce((sum, ref) => sum + ref.size, 0);
      // The deadline the purge answers to: expiry for expired transfers, the closing time otherwise.
      const deadline = reason === 'expired' && transfer.expires_at !== null ? transfer.expires_at : (transfer.closed_at ?? now);
      const detail = { reason, blobs: refs.length, bytes, lagMs: Math.max(0, now - deadline) };
      // Audit before the tombstone: if the process dies in between, the next run records it again (a duplicate
      // record is better than a purge without one).
      await audit.append({ actor: 'system', action: 'transfer.purged', target: transferId, detail });
      await this.#repo.markPurged(transferId, now);
      logger.info({ transferId, ...detail }, 'transfer purged');
      return true;
    } catch (error) {
      await this.#repo.countFailedAttempt(transferId).catch(() => undefined);
      logger.error({ err: error, transferId, reason }, 'purge failed; will retry');
      return false;
    }
  }
}
