// One batch of closed transfers through the purge's named steps:
//   claimed → secrets-destroyed → (per blob: delete → blob-deleted → stat → blob-verified) → recording → recorded
// Every step is idempotent, and nothing the later steps need is gone before the last one: the part rows (blob keys,
// sizes, upload-time SHA-256s) stay until the final transaction, which turns the rows into tombstones and writes
// their deletion records and audit entries together, or not at all. A crash between any two steps leaves the
// batch closed, and the next run takes it from the top: secrets are nulled again, deleting a missing blob is not
// an error, and the stat still answers "gone".
import type { AuditEntry, AuditRepository } from '../audit/audit.repository.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../clock.js';
import type { DeletedPart } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { NewDeletionRecord } from '../retention/deletion-record.repository.js';
import { ABANDONED_AFTER_MS, type PartRef, type PurgeCandidate, type PurgeRepository } from './purge.repository.js';

export const PURGE_STEPS = ['claimed', 'secrets-destroyed', 'blob-deleted', 'blob-verified', 'recording', 'recorded'] as const;
export type PurgeStep = (typeof PURGE_STEPS)[number];

/** Called at each step boundary; tests throw from it to stand for a crash there. Absent in production. */
export interface PurgeFaults {
  at(step: PurgeStep, transferId: string): void | Promise<void>;
}

export interface BatchDeps {
  readonly repo: PurgeRepository;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly logger: Logger;
  /** Blob deletes (each followed by its stat) in flight at once. */
  readonly blobConcurrency: number;
  readonly faults?: PurgeFaults;
}

export interface BatchOutcome {
  /** The records of the transfers tombstoned by this batch. */
  readonly purged: readonly NewDeletionRecord[];
  /** Left closed: a blob could not be deleted or is still there; retried next run. */
  readonly failed: readonly string[];
}

export async function purgeBatch(deps: BatchDeps, claimed: readonly PurgeCandidate[]): Promise<BatchOutcome> {
  let batch = claimed;
  const { repo, blobs, clock, audit, logger, faults } = deps;
  const at = async (step: PurgeStep, ids: readonly string[]) => {
    if (faults) for (const id of ids) await faults.at(step, id);
  };
  await at('claimed', batch.map((t) => t.id));

  // Only what is still closed and unheld goes on (another purger may have finished some, a hold may have come).
  const ids = await repo.destroySecrets(batch.map((t) => t.id));
  const kept = new Set(ids);
  batch = batch.filter((t) => kept.has(t.id));
  await at('secrets-destroyed', ids);

  const parts = await repo.partsOf(ids);
  const failures = new Map<string, string>();
  const goneAt = new Map<string, number>();
  await eachLimited(parts, deps.blobConcurrency, async (part) => {
    if (failures.has(part.transferId)) return;
    // Storage errors fail this transfer only; a fault (a crash) stops the whole run, as a crash would.
    try {
      await blobs.delete(part.blobKey);
    } catch (error) {
      failures.set(part.transferId, `delete failed: ${(error as Error).message}`);
      return;
    }
    await faults?.at('blob-deleted', part.transferId);
    // Ask the storage itself: a backend that acknowledged a delete it did not do must not yield a record.
    let present: boolean;
    try {
      present = (await blobs.stat(part.blobKey)) !== null;
    } catch (error) {
      failures.set(part.transferId, `stat failed: ${(error as Error).message}`);
      return;
    }
    if (present) {
      failures.set(part.transferId, 'still present after delete');
      return;
    }
    goneAt.set(part.blobKey, clock.now());
    await faults?.at('blob-verified', part.transferId);
  });

  const byTransfer = groupBy(parts);
  const purgedAt = clock.now();
  const records = batch.filter((t) => !failures.has(t.id)).map((t) => recordOf(t, byTransfer.get(t.id) ?? [], goneAt, purgedAt));
  const tombstoned = new Set(
    await repo.tombstone(purgedAt, records, audit, auditEntryOf, faults ? (done) => at('recording', done) : undefined),
  );
  await at('recorded', [...tombstoned]);

  const failed = [...failures.keys()];
  if (failed.length > 0) {
    await repo.countFailedAttempts(failed);
    for (const [transferId, problem] of failures) logger.error({ transferId, problem }, 'purge: a blob could not be deleted; will retry');
  }
  return { purged: records.filter((r) => tombstoned.has(r.transferId)), failed };
}

/**
 * The time a purge answers to: the expiry for an expired transfer, the end of the upload window for an abandoned
 * one, and the closing time otherwise (revoked, exhausted, downloaded: closed by a request or by this job).
 */
export function deadlineOf(t: PurgeCandidate): number {
  if (t.reason === 'expired' && t.expiresAt !== null) return t.expiresAt;
  if (t.reason === 'abandoned') return t.createdAt + ABANDONED_AFTER_MS;
  return t.closedAt;
}

function recordOf(t: PurgeCandidate, parts: readonly PartRef[], goneAt: ReadonlyMap<string, number>, purgedAt: number): NewDeletionRecord {
  const deadlineAt = deadlineOf(t);
  const deleted: DeletedPart[] = parts.map((p) => {
    const gone = goneAt.get(p.blobKey);
    // Unreachable (a transfer with an unverified blob is in failures), but a record must never claim a stat it lacks.
    if (gone === undefined) throw new Error(`purge: no stat after delete for a blob of ${t.id}`);
    return { file: p.file, index: p.index, blobKey: p.blobKey, size: p.size, sha256: p.sha256, goneAt: gone };
  });
  return {
    transferId: t.id,
    senderId: t.senderId,
    dataClass: t.dataClass,
    reason: t.reason,
    deadlineAt,
    purgedAt,
    lagMs: Math.max(0, purgedAt - deadlineAt),
    blobCount: parts.length,
    bytes: parts.reduce((sum, p) => sum + p.size, 0),
    parts: deleted,
  };
}

function auditEntryOf(r: NewDeletionRecord): AuditEntry {
  return {
    actor: 'system',
    action: 'transfer.purged',
    target: r.transferId,
    detail: { reason: r.reason, blobs: r.blobCount, bytes: r.bytes, lagMs: r.lagMs },
  };
}

function groupBy(parts: readonly PartRef[]): Map<string, PartRef[]> {
  const map = new Map<string, PartRef[]>();
  for (const p of parts) {
    const list = map.get(p.transferId);
    if (list) list.push(p);
    else map.set(p.transferId, [p]);
  }
  return map;
}

/**
 * Runs `fn` over `items`, at most `limit` at once. After a rejection nothing new starts, and the rejection is
 * rethrown once the calls in flight have settled (no work of a failed run goes on behind the next one's back).
 */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
