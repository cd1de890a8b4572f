// The CLI's environment, read once: where credentials and resume states live, and whether to show stacks.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CliConfig {
  /** `$VALISE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/valise`, else `~/.config/valise` (created 0700). */
  configDir: string;
  /** `VALISE_DEBUG=1`: print stack traces of unexpected errors. */
  debug: boolean;
  /** `VALISE_SEAL_THREADS=0…8`: threads that encrypt parts for `send` (0: on the main thread); unset: by core count. */
  sealThreads: number | undefined;
}

/** The CLI's own VALISE_* variables: not the server's, so `valise admin` does not hand them to its configuration. */
export const CLI_VARIABLES: readonly string[] = ['VALISE_CONFIG_DIR', 'VALISE_DEBUG', 'VALISE_SEAL_THREADS'];

/** The environment without the CLI's own variables (the server's configuration refuses unknown VALISE_* names). */
export function serverEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !CLI_VARIABLES.includes(name)));
}

export function loadCliConfig(env: Readonly<Record<string, string | undefined>>): CliConfig {
  const configDir = env.VALISE_CONFIG_DIR
    ? resolve(env.VALISE_CONFIG_DIR)
    : join(env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config'), 'valise');
  const threads = env.VALISE_SEAL_THREADS;
  return Object.freeze({
    configDir,
    debug: env.VALISE_DEBUG === '1' || env.VALISE_DEBUG === 'true',
    sealThreads: threads !== undefined && /^[0-8]$/u.test(threads) ? Number(threads) : undefined,
  });
}
