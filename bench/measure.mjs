// Small measuring helpers for the benchmarks: MiB, peak RSS of a child process, timing, a free port.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

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

/** A loopback port that was free a moment ago (the kernel picks it). */
export async function freePort() {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}
