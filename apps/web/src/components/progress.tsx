// A progress bar with what a person wants to know: how far, how fast, how long still. Native <progress>, so
// screen readers announce it without ARIA tricks.
import { useRef } from 'preact/hooks';
import { formatBytes, formatDuration, t } from '../i18n/i18n.js';

export interface ProgressProps {
  label: string;
  done: number;
  total: number;
}

/** Speed over the last few seconds, from the samples this component has seen. */
function useRate(done: number): number {
  const samples = useRef<Array<{ at: number; done: number }>>([]);
  const now = performance.now();
  const list = samples.current;
  if (list.length === 0 || list[list.length - 1]!.done !== done) list.push({ at: now, done });
  while (list.length > 2 && now - list[0]!.at > 5000) list.shift();
  const first = list[0]!;
  const last = list[list.length - 1]!;
  const seconds = (last.at - first.at) / 1000;
  return seconds > 0.2 ? (last.done - first.done) / seconds : 0;
}

export function ProgressBar({ label, done, total }: ProgressProps) {
  const rate = useRate(done);
  const left = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
  const percent = total === 0 ? 100 : Math.floor((100 * done) / total);
  return (
    <div class="progress">
      <div class="progress-label">
        <span>{label}</span>
        <span>{percent} %</span>
      </div>
      <progress max={total || 1} value={total === 0 ? 1 : done} aria-label={label} />
      <p class="hint">
        {t('progress.detail', { done: formatBytes(done), total: formatBytes(total), speed: rate > 0 ? `${formatBytes(rate)}/s` : '—', left: done >= total ? formatDuration(0) : formatDuration(left) })}
      </p>
    </div>
  );
}
