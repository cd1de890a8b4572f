// The retention report (`valise admin retention report`): what is stored, by data class and age; what is past its
// deadline and not purged (overdue: a fault, unless a legal hold keeps it); the active holds; how late purges ran;
// and the last purge run. Read-only.
import type { Clock } from '../clock.js';
import type { ServerContext } from '../context.js';
import type { DatabaseHandle } from '../db/database.js';
import { LegalHoldRepository, type ActiveHold } from './legal-hold.repository.js';
import { AGE_BUCKETS, RetentionReportRepository, type AgeBucket, type LagStats, type OverdueRow } from './retention-report.repository.js';

export { AGE_BUCKETS, type AgeBucket } from './retention-report.repository.js';

export interface ClassAges {
  readonly dataClass: string;
  readonly transfers: number;
  readonly bytes: number;
  /** Every bucket, in AGE_BUCKETS order, zeros included. */
  readonly ages: ReadonlyArray<{ readonly age: AgeBucket; readonly transfers: number; readonly bytes: number }>;
}

export interface OverdueTransfer extends OverdueRow {
  readonly lateMs: number;
}

export interface RetentionReport {
  readonly generatedAt: number;
  /** Live: not yet purged (uploading, ready, or closed and waiting for the purge). Bytes are ciphertext bytes. */
  readonly live: { readonly transfers: number; readonly bytes: number; readonly byClass: readonly ClassAges[] };
  readonly overdue: {
    /** A transfer is overdue once past its deadline by more than this: the purge runs on an interval. */
    readonly graceMs: number;
    readonly count: number;
    /** Overdue and not held: what makes the report fail (a purge that is not happening). */
    readonly unheld: number;
    /** The most overdue first, at most `listLimit`. */
    readonly transfers: readonly OverdueTransfer[];
    readonly listLimit: number;
  };
  readonly holds: readonly ActiveHold[];
  readonly purgeLag: LagStats & { readonly windowMs: number };
  readonly lastPurgeRun: null | {
    readonly instance: string;
    readonly startedAt: number;
    readonly finishedAt: number | null;
    readonly closed: number;
    readonly purged: number;
    readonly failed: number;
  };
}

export interface RetentionReportOptions {
  /** Default: twice the purge interval, at least a minute. */
  readonly graceMs?: number;
  /** Purges counted in the lag percentiles: those of the last 30 days by default. */
  readonly lagWindowMs?: number;
  /** Overdue transfers listed (all are counted). Default 100. */
  readonly listLimit?: number;
}

export interface RetentionReportDeps {
  readonly handle: DatabaseHandle;
  readonly clock: Clock;
  readonly purgeIntervalMs: number;
}

const DAY = 86_400_000;

export async function retentionReport(deps: RetentionReportDeps, options: RetentionReportOptions = {}): Promise<RetentionReport> {
  const repo = new RetentionReportRepository(deps.handle);
  const now = deps.clock.now();
  const graceMs = options.graceMs ?? defaultGraceMs(deps.purgeIntervalMs);
  const lagWindowMs = options.lagWindowMs ?? 30 * DAY;
  const listLimit = options.listLimit ?? 100;

  const [classes, groups, overdue, holds, lag, run] = await Promise.all([
    repo.classNames(), repo.liveGroups(now), repo.overdue(now - graceMs, listLimit), new LegalHoldRepository(deps.handle).listActive(),
    repo.purgeLag(now - lagWindowMs), repo.lastPurgeRun(),
  ]);
  // A class removed since (none can be today) would still show through its transfers.
  const names = [...new Set([...classes, ...groups.map((g) => g.dataClass)])].sort();
  const byClass = names.map((dataClass): ClassAges => {
    const ages = AGE_BUCKETS.map((age) => {
      const g = groups.find((x) => x.dataClass === dataClass && x.age === age);
      return { age, transfers: g?.transfers ?? 0, bytes: g?.bytes ?? 0 };
    });
    return { dataClass, transfers: sum(ages.map((a) => a.transfers)), bytes: sum(ages.map((a) => a.bytes)), ages };
  });
  return {
    generatedAt: now,
    live: { transfers: sum(byClass.map((c) => c.transfers)), bytes: sum(byClass.map((c) => c.bytes)), byClass },
    overdue: {
      graceMs, count: overdue.count, unheld: overdue.unheld, listLimit,
      transfers: overdue.rows.map((r) => ({ ...r, lateMs: now - r.deadlineAt })),
    },
    holds,
    purgeLag: { windowMs: lagWindowMs, ...lag },
    lastPurgeRun: run === undefined ? null : {
      instance: run.instance, startedAt: Number(run.started_at), finishedAt: run.finished_at === null ? null : Number(run.finished_at),
      closed: run.closed, purged: run.purged, failed: run.failed,
    },
  };
}

/** Twice the purge interval (a run may just have been missed), at least a minute. */
export function defaultGraceMs(purgeIntervalMs: number): number {
  return Math.max(60_000, 2 * purgeIntervalMs);
}

/** retentionReport with a server context (what `valise admin retention report` calls). */
export function serverRetentionReport(ctx: Pick<ServerContext, 'database' | 'clock' | 'config'>, options: RetentionReportOptions = {}): Promise<RetentionReport> {
  return retentionReport({ handle: ctx.database, clock: ctx.clock, purgeIntervalMs: ctx.config.purgeIntervalMs }, options);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
