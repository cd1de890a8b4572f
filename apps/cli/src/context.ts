// What every command gets: the streams, the configuration, the prompter, the cancel signal, and output helpers
// that keep results on stdout and everything for people (prompts, progress, notes) on stderr.
import { ValiseApi } from '@valise/client';
import type { CliConfig } from './config.js';
import { cliFetch } from './node-fetch.js';
import type { Prompter } from './prompt.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: Stream;
  stderr: Stream;
  env: Readonly<Record<string, string | undefined>>;
}

export interface CliContext {
  io: CliIo;
  config: CliConfig;
  json: boolean;
  prompter: Prompter;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Registers a synchronous clean-up to run if the process is interrupted (temporary files). */
  onInterrupt(cleanup: () => void): void;
  /** The result: JSON on stdout with --json, else the text lines on stdout. */
  result(json: unknown, text: string | string[]): void;
  /** A note for people, on stderr (kept out of stdout so scripts can read results). */
  note(text: string): void;
  api(serverUrl: string, token?: string): ValiseApi;
}

export function createContext(init: Pick<CliContext, 'io' | 'config' | 'json' | 'prompter' | 'signal' | 'onInterrupt'>): CliContext {
  const { io, json } = init;
  return {
    ...init,
    result(value, text) {
      if (json) io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else for (const line of Array.isArray(text) ? text : [text]) io.stdout.write(`${line}\n`);
    },
    note(text) {
      io.stderr.write(`${text}\n`);
    },
    api: (serverUrl, token) => new ValiseApi({ serverUrl, token, fetch: cliFetch }),
  };
}
