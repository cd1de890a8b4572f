// The share-key shredder: destroys each day's share key once that day ended longer ago than the longest data class
// maximum plus a grace. Every transfer sealed under it has expired by then and been purged, so the key opens
// nothing live, and every backup holding that day's sealed shares becomes undecryptable (crypto-shredding).
// A key still referenced by a transfer whose SS is not destroyed (a legal hold, a purge behind) is kept.
import type { AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { ServerContext } from '../context.js';
import type { DatabaseHandle } from '../db/database.js';
import { runUnlessRunningElsewhere } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import { PeriodicRun } from './periodic-run.js';
import type { DataClassService } from '../retention/data-class.service.js';
import { dayOf, epochEnd, type ShareKeys } from '../share-keys.js';

export const SHREDDER_INTERVAL_MS = 3_600_000;

export interface ShareKeyShredderDeps {
  readonly handle: DatabaseHandle;
  readonly shareKeys: ShareKeys;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly logger: Logger;
  /** The longest maximum lifetime of any data class, as it applies now. */
  readonly longestMaxExpiryMs: () => Promise<number>;
  /** config.shareKeyGraceMs. */
  readonly graceMs: number;
  readonly intervalMs?: number;
}

export interface EpochDay {
  readonly epoch: number;
  /** The UTC day, YYYY-MM-DD. */
  readonly day: string;
}

export interface KeptEpoch extends EpochDay {
  /** Transfers whose SS is still sealed under this key… */
  readonly transfers: number;
  /** …of which under an active legal hold. */
  readonly held: number;
}

export interface ShredReport {
  /** True when another instance held the lock, so this run destroyed nothing. */
  readonly skipped: boolean;
  /** Longest class maximum + grace: a key goes once its day ended longer ago than this. */
  readonly windowMs: number;
  readonly destroyed: readonly EpochDay[];
  /** Keys past their window that transfers still need. */
  readonly kept: readonly KeptEpoch[];
}

/** One pass: destroys every key past its window that no transfer still needs. For the job and for operators. */
export async function shredShareKeys(deps: ShareKeyShredderDeps): Promise<ShredReport> {
  const { shareKeys, clock, audit, logger } = deps;
  const windowMs = (await deps.longestMaxExpiryMs()) + deps.graceMs;
  const now = clock.now();
  const due = (await shareKeys.epochs()).filter((epoch) => now - epochEnd(epoch) > windowMs);
  const destroyed: EpochDay[] = [];
  const kept: KeptEpoch[] = [];
  if (due.length === 0) return { skipped: false, windowMs, destroyed, kept };
  const references = await referencesUpTo(deps.handle, Math.max(...due));
  for (const epoch of due) {
    const day = dayOf(epoch);
    const reference = references.get(epoch);
    if (reference !== undefined) {
      kept.push({ epoch, day, ...reference });
      logger.warn({ epoch, day, ...reference }, 'share key past its window kept: transfers still hold server shares sealed under it');
      continue;
    }
    // Audit first: a crash in between leaves the key, and the next run audits and destroys it again (a duplicate
    // record rather than a destruction without one).
    await audit.append({ actor: 'system', action: 'share_key.destroyed', target: String(epoch), detail: { epoch, day } });
    await shareKeys.destroy(epoch);
    destroyed.push({ epoch, day });
    logger.info({ epoch, day }, 'share key destroyed');
  }
  return { skipped: false, windowMs, destroyed, kept };
}

/** Per epoch up to `maxEpoch`: transfers whose SS is not destroyed yet, and how many of them are held. */
async function referencesUpTo(handle: DatabaseHandle, maxEpoch: number): Promise<Map<number, { transfers: number; held: number }>> {
  const rows = await handle.db
    .selectFrom('transfers as t')
    .leftJoin('legal_holds as h', (join) => join.onRef('h.transfer_id', '=', 't.id').on('h.released_at', 'is', null))
    .where('t.ss_enc', 'is not', null)
    .where('t.ss_epoch', '<=', maxEpoch)
    .select((eb) => [
      't.ss_epoch as epoch',
      eb.fn.count<number | string>('t.id').distinct().as('transfers'),
      eb.fn.count<number | string>('h.transfer_id').distinct().as('held'),
    ])
    .groupBy('t.ss_epoch')
    .execute();
  return new Map(rows.map((r) => [Number(r.epoch), { transfers: Number(r.transfers), held: Number(r.held) }]));
}

/** Runs hourly and once at start. Runs never overlap in this process; with PostgreSQL, never across instances. */
export class ShareKeyShredder {
  readonly name = 'share-key-shredder';
  readonly #deps: ShareKeyShredderDeps;
  readonly #periodic: PeriodicRun<ShredReport>;

  constructor(deps: ShareKeyShredderDeps) {
    this.#deps = deps;
    this.#periodic = new PeriodicRun(() => this.#exclusive(), { intervalMs: deps.intervalMs ?? SHREDDER_INTERVAL_MS, logger: deps.logger, failureMessage: 'share-key shredder run failed', runAtStart: true });
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
  runOnce(): Promise<ShredReport> {
    return this.#periodic.runOnce();
  }

  async #exclusive(): Promise<ShredReport> {
    const { handle, shareKeys } = this.#deps;
    // Every instance drops keys it read long ago, whether or not it is the one destroying this time.
    shareKeys.forgetStale();
    return runUnlessRunningElsewhere(handle, 'share-key-shredder', () => shredShareKeys(this.#deps),
      () => ({ skipped: true, windowMs: 0, destroyed: [], kept: [] }));
  }
}

/** The job as the transfer domain registers it. */
export function createShareKeyShredder(ctx: ServerContext, dataClasses: DataClassService): ShareKeyShredder {
  const { database: handle, keystore, clock, audit, logger, config } = ctx;
  return new ShareKeyShredder({
    handle, shareKeys: keystore.shareKeys, clock, audit, logger,
    longestMaxExpiryMs: () => dataClasses.longestMaxExpiryMs(), graceMs: config.shareKeyGraceMs,
  });
}
