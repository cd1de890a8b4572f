// A bounded pool of async workers: at most `concurrency` items in flight (which bounds memory: one part each),
// the first failure stops the others, and nothing is left running when the pool settles.

export async function runPool<T>(
  items: Iterable<T>,
  concurrency: number,
  worker: (item: T, signal: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;

  const lane = async (): Promise<void> => {
    while (!combined.aborted) {
      const next = iterator.next();
      if (next.done) return;
      try {
        await worker(next.value, combined);
      } catch (error) {
        failure ??= { error };
        stop.abort(error);
        return;
      }
    }
  };

  const lanes = Math.max(1, Math.floor(concurrency));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure) throw failure.error;
  if (signal?.aborted) throw signal.reason;
}
