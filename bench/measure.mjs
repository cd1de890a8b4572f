// Small measuring helpers for the benchmarks: MiB, peak RSS of a child process, timing.
import { readFileSync } from 'node:fs';

export const MiB = 1024 * 1024;
export const mib = (bytes) => bytes / MiB;

/** Peak resident set size (VmHWM) of a live process, in MiB; null once it has exited. */
export function peakRssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's peak RSS every 50 ms until stopped; VmHWM only grows, so the last sample is the peak. */
export function watchPeakRss(pid) {
  let peak = 0;
  const sample = () => { const v = peakRssMiB(pid); if (v !== null && v > peak) peak = v; };
  const timer = setInterval(sample, 50);
  sample();
  return { stop() { sample(); clearInterval(timer); return peak; }, get peak() { sample(); return peak; } };
}
