// Test support: run the real `valise` command (bin/valise.js) in a child process with piped stdio.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/valise.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Written to stdin at start. */
  input?: string;
  /** Leave stdin open after `input` (the CLI must still exit by itself). */
  keepStdinOpen?: boolean;
  /** Called once the child runs, to drive it (write more input, send signals). */
  drive?: (child: ChildProcessWithoutNullStreams, output: { stdout(): string; stderr(): string }) => void | Promise<void>;
  timeoutMs?: number;
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`valise ${args.join(' ')} did not exit; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading everything
    if (opts.input) child.stdin.write(opts.input);
    if (!opts.keepStdinOpen && !opts.drive) child.stdin.end();
    void Promise.resolve(opts.drive?.(child, { stdout: () => stdout, stderr: () => stderr })).catch(reject);
  });
}

/** Polls until `check` returns a value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
