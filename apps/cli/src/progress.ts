// A progress bar per transfer on a TTY stderr: percent, MiB/s and time left. Nothing when not a TTY or --json.
import cliProgress from 'cli-progress';
import type { TransferProgress } from '@valise/client';

export interface ProgressReporter {
  update(event: TransferProgress): void;
  stop(): void;
}

const MIB = 1024 * 1024;
const SILENT: ProgressReporter = { update() {}, stop() {} };

/** Human size: 1.5 MiB, 820 KiB, 12 B. */
export function formatBytes(n: number): string {
  if (n >= 1024 * MIB) return `${(n / (1024 * MIB)).toFixed(1)} GiB`;
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

/** Speed over a sliding window of the last few seconds, so a stall shows quickly. */
export class SpeedMeter {
  private readonly samples: { at: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 5000) {}

  add(at: number, bytesDone: number): void {
    this.samples.push({ at, bytes: bytesDone });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  /** Bytes per second, 0 until two samples exist. */
  get bytesPerSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

export function createProgressReporter(opts: {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  enabled: boolean;
  label: string;
  now?: () => number;
}): ProgressReporter {
  if (!opts.enabled || !opts.stream.isTTY) return SILENT;
  const now = opts.now ?? Date.now;
  const speed = new SpeedMeter();
  // The start is the first sample: a transfer that completes in one step still gets a speed, not 0.
  speed.add(now(), 0);
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(event) {
      speed.add(now(), event.bytesDone);
      const payload = {
        speed: `${(speed.bytesPerSecond / MIB).toFixed(1)} MiB/s`,
        done: formatBytes(event.bytesDone),
        size: formatBytes(event.bytesTotal),
      };
      if (!bar) {
        bar = new cliProgress.SingleBar({
          stream: opts.stream,
          format: `${opts.label} [{bar}] {percentage}% | {done} of {size} | {speed} | {eta_formatted} left`,
          barsize: 30,
          hideCursor: true,
          etaBuffer: 50,
          fps: 5,
        }, cliProgress.Presets.shades_classic);
        bar.start(Math.max(1, event.bytesTotal), event.bytesDone, payload);
      } else {
        bar.update(event.bytesDone, payload);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
