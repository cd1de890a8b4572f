// The CLI's environment, read once: where credentials and resume states live, and whether to show stacks.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CliConfig {
  /** `$VALISE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/valise`, else `~/.config/valise` (created 0700). */
  configDir: string;
  /** `VALISE_DEBUG=1`: print stack traces of unexpected errors. */
  debug: boolean;
}

export function loadCliConfig(env: Readonly<Record<string, string | undefined>>): CliConfig {
  const configDir = env.VALISE_CONFIG_DIR
    ? resolve(env.VALISE_CONFIG_DIR)
    : join(env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config'), 'valise');
  return Object.freeze({ configDir, debug: env.VALISE_DEBUG === '1' || env.VALISE_DEBUG === 'true' });
}
