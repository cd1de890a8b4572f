// Drains the closed transfers of one run, batch after batch, two batches in flight: SQLite's statements and commit
// fsyncs run on the event loop while blob deletes run in the thread pool (or wait on S3), so one batch's deletes
// overlap the other's database work. A batch is claimed under a mutex and its ids kept out of the next claim: no
// transfer is in two batches (and if one were, its tombstone is conditional: it would still be recorded once).
import type { NewDeletionRecord } from '../retention/deletion-record.repository.js';
import { eachLimited, purgeBatch, type BatchDeps } from './purge-batch.js';

const PIPELINE = 2;
/** A run stops once this many transfers failed (storage down, most likely); the next run tries them again. */
const MAX_FAILED_PER_RUN = 1000;

export interface DrainOutcome {
  readonly purged: readonly NewDeletionRecord[];
  readonly failed: readonly string[];
}

export async function purgeClosed(deps: BatchDeps, batchSize: number): Promise<DrainOutcome> {
  const purged: NewDeletionRecord[] = [];
  const failed: string[] = [];
  const inFlight = new Set<string>();
  let claims: Promise<unknown> = Promise.resolve();
  let done = false;
  const claim = () => {
    const claimed = claims.then(async () => {
      if (done) return [];
      const batch = await deps.repo.closedBatch(batchSize, [...failed, ...inFlight]);
      for (const t of batch) inFlight.add(t.id);
      return batch;
    });
    claims = claimed.catch(() => undefined);
    return claimed;
  };
  // A failure (a crash fault, the database gone) stops both workers; eachLimited rethrows it once both are idle.
  await eachLimited(Array.from({ length: PIPELINE }, (_, i) => i), PIPELINE, async () => {
    for (;;) {
      const batch = await claim();
      if (batch.length === 0) return;
      try {
        const outcome = await purgeBatch(deps, batch);
        purged.push(...outcome.purged);
        failed.push(...outcome.failed);
        // Everything failed (storage unreachable) or nothing moved (held since, or another purger was faster):
        // stop rather than spin; the next run picks up what is left.
        const moved = outcome.purged.length + outcome.failed.length;
        if (moved === 0 || outcome.failed.length === batch.length || failed.length >= MAX_FAILED_PER_RUN) done = true;
      } catch (error) {
        done = true;
        throw error;
      } finally {
        for (const t of batch) inFlight.delete(t.id);
      }
    }
  });
  return { purged, failed };
}
