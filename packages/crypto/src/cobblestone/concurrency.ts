// Bounded concurrency for chunk operations: WebCrypto runs each call on a thread pool, so a few dozen in flight is fastest.
/**
 * How many chunk operations are in flight at once. Measured with WebCrypto AES-GCM on 16 KiB chunks:
 * one at a time wastes the thread pool, thousands at once thrash it (and hold every chunk in memory).
 */
export const CHUNK_CONCURRENCY = 64;

/**
 * Runs `task(i)` for i in [0, count) with at most `limit` in flight. Stops scheduling after a failure,
 * waits for the tasks already running (so none outlives the call), then rethrows the failure with the
 * lowest index, which makes the reported error deterministic.
 */
export async function forEachBounded(count: number, task: (index: number) => Promise<void>, limit = CHUNK_CONCURRENCY): Promise<void> {
  let next = 0;
  let failed = false;
  const failures: Array<{ index: number; error: unknown }> = [];
  const worker = async () => {
    while (!failed && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failed = true;
        failures.push({ index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
}
