// The purge job: closes transfers whose time, downloads or upload window is up, then crypto-shreds and deletes
// them batch by batch (purge-batch.ts: the steps, and why a crash anywhere is repaired by the next run), leaving
// a tombstone and a deletion record each. Held transfers are closed on time but purged only once released. Then
// drop boxes past their expiry with no deposit left lose their keys (the box row stays as a tombstone).
import { hostname } from 'node:os';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { jobLockName, runUnlessRunningElsewhere } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import { PeriodicRun } from './periodic-run.js';
import type { PurgeFaults } from './purge-batch.js';
import { purgeClosed } from './purge-pipeline.js';
import { PurgeRunRepository } from './purge-runs.repository.js';
import { PurgeRepository, type ClosedCounts } from './purge.repository.js';

export type { PurgeFaults, PurgeStep } from './purge-batch.js';
export { PURGE_STEPS } from './purge-batch.js';

/**
 * Transfers per batch: two commits per batch (secrets, tombstone) instead of several per transfer is what makes
 * 100,000 expirations a minute-long job rather than an hour-long one on SQLite's synchronous commits.
 */
export const BATCH_SIZE = 500;
/** Blob deletes in flight: the file system's directory syncs and S3's round trips overlap. */
export const BLOB_CONCURRENCY = 32;

const PURGE_JOB = 'purge-job';

/** The advisory lock of a run (see runUnlessRunningElsewhere). */
export function purgeLockName(schema: string): string {
  return jobLockName(PURGE_JOB, schema);
}

export interface PurgeJobDeps {
  readonly handle: DatabaseHandle;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly logger: Logger;
  /** Time between two runs (config.purgeIntervalMs). */
  readonly intervalMs: number;
  /** Recorded with each run (default host name:process id). */
  readonly instance?: string;
  readonly batchSize?: number;
  readonly blobConcurrency?: number;
  /** Fault injection for the crash tests; never set in production. */
  readonly faults?: PurgeFaults;
}

export interface LagFigures {
  readonly max: number;
  readonly p99: number;
}

export interface PurgeReport {
  /** True when another instance held the lock, so this run did nothing. */
  readonly skipped: boolean;
  readonly closed: ClosedCounts;
  readonly purged: readonly string[];
  /** Transfers left closed because a blob could not be deleted or verified gone; retried next run. */
  readonly failed: readonly string[];
  /** How long after their deadlines this run's transfers were purged (ms); null when it purged none. */
  readonly lagMs: LagFigures | null;
  /** Drop boxes whose keys this run deleted (expired, no deposit left). */
  readonly boxesPurged: readonly string[];
}

const NOTHING_CLOSED: ClosedCounts = { expired: 0, exhausted: 0, abandoned: 0, downloaded: 0 };

export class PurgeJob {
  readonly name = 'purge';
  readonly #deps: PurgeJobDeps;
  readonly #repo: PurgeRepository;
  readonly #runs: PurgeRunRepository;
  readonly #instance: string;
  readonly #periodic: PeriodicRun<PurgeReport>;

  constructor(deps: PurgeJobDeps) {
    this.#deps = deps;
    this.#periodic = new PeriodicRun(() => this.#exclusive(), { intervalMs: deps.intervalMs, logger: deps.logger, failureMessage: 'purge run failed' });
    this.#repo = new PurgeRepository(deps.handle);
    this.#runs = new PurgeRunRepository(deps.handle);
    this.#instance = deps.instance ?? `${hostname()}:${process.pid}`;
  }

  /** Runs on its timer; the timer does not keep the process alive. */
  start(): void {
    this.#periodic.start();
  }

  /** Stops the timer and waits for a run in progress to finish (graceful shutdown). */
  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  /** One run now. Runs never overlap in this process; with PostgreSQL, never across instances either. */
  runOnce(): Promise<PurgeReport> {
    return this.#periodic.runOnce();
  }

  #exclusive(): Promise<PurgeReport> {
    return runUnlessRunningElsewhere(this.#deps.handle, PURGE_JOB, () => this.#run(),
      () => ({ skipped: true, closed: NOTHING_CLOSED, purged: [], failed: [], lagMs: null, boxesPurged: [] }));
  }

  async #run(): Promise<PurgeReport> {
    const { clock, logger } = this.#deps;
    const started = clock.now();
    const runId = await this.#runs.start(this.#instance, started);
    const closed = await this.#repo.closeDue(started);
    await this.#repo.deleteStale(started);
    const { purged: records, failed } = await purgeClosed({
      repo: this.#repo,
      blobs: this.#deps.blobs,
      clock,
      audit: this.#deps.audit,
      logger,
      blobConcurrency: this.#deps.blobConcurrency ?? BLOB_CONCURRENCY,
      ...(this.#deps.faults ? { faults: this.#deps.faults } : {}),
    }, this.#deps.batchSize ?? BATCH_SIZE);
    const purged = records.map((r) => r.transferId);
    // After the transfers: a box whose last deposit was purged just now loses its keys in the same run.
    const boxesPurged = await this.#repo.purgeExpiredBoxes(clock.now(), this.#deps.audit);
    const closedCount = closed.expired + closed.exhausted + closed.abandoned + closed.downloaded;
    await this.#runs.finish(runId, clock.now(), { closed: closedCount, purged: purged.length, failed: failed.length });
    const lagMs = lagFigures(records.map((r) => r.lagMs));
    if (closedCount + purged.length + failed.length + boxesPurged.length > 0) {
      logger.info({ closed, purged: purged.length, failed: failed.length, boxesPurged: boxesPurged.length, lagMs, durationMs: clock.now() - started }, 'purge run');
    }
    return { skipped: false, closed, purged, failed, lagMs, boxesPurged };
  }
}

export function lagFigures(lags: readonly number[]): LagFigures | null {
  if (lags.length === 0) return null;
  const sorted = [...lags].sort((a, b) => a - b);
  return { max: sorted[sorted.length - 1] as number, p99: sorted[Math.ceil(sorted.length * 0.99) - 1] as number };
}
