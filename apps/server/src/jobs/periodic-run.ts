// The timer and single-flight shared by the background jobs: one run at a time in this process, a timer that does
// not keep the process alive, and a stop that waits for the run in progress (graceful shutdown).
import type { Logger } from '../logger.js';

export interface PeriodicRunOptions {
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Logged when a timed run fails (the next one tries again). */
  readonly failureMessage: string;
  /** Also run once as soon as started (jobs whose interval is long). */
  readonly runAtStart?: boolean;
}

export class PeriodicRun<T> {
  readonly #work: () => Promise<T>;
  readonly #options: PeriodicRunOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<T> | undefined;

  constructor(work: () => Promise<T>, options: PeriodicRunOptions) {
    this.#work = work;
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    const timed = () => {
      this.runOnce().catch((error: unknown) => this.#options.logger.error({ err: error }, this.#options.failureMessage));
    };
    this.#timer = setInterval(timed, this.#options.intervalMs);
    this.#timer.unref();
    if (this.#options.runAtStart === true) timed();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One run now; a call during a run joins that run instead of starting another. */
  runOnce(): Promise<T> {
    this.#running ??= this.#work().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }
}
