// The signed-in member's API token, in `<config dir>/credentials.json` (0600, folder 0700).
import { join } from 'node:path';
import { readPrivateFile, removeFile, writePrivateFile } from './private-files.js';
import { CliError, EXIT } from './exit-codes.js';

export interface Credentials {
  v: 1;
  serverUrl: string;
  email: string;
  memberId: string;
  isAdmin: boolean;
  token: string;
  /** Milliseconds since the epoch, or null when the token does not expire. */
  expiresAt: number | null;
  /**
   * The organisation public key (base64url) pinned at login, or when the server first presented one: member keys
   * are checked against it, and a server presenting another one later is refused (docs/format.md §11.3).
   */
  orgPublicKey?: string | null;
}

export const credentialsPath = (configDir: string): string => join(configDir, 'credentials.json');

export async function loadCredentials(configDir: string): Promise<Credentials | undefined> {
  const text = await readPrivateFile(credentialsPath(configDir));
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const c = value as Partial<Credentials>;
  if (c?.v !== 1 || typeof c.serverUrl !== 'string' || typeof c.token !== 'string' || typeof c.email !== 'string') return undefined;
  return c as Credentials;
}

/** The credentials, or exit code 3 with what to do. */
export async function requireCredentials(configDir: string): Promise<Credentials> {
  const c = await loadCredentials(configDir);
  if (!c) throw new CliError(EXIT.auth, 'not signed in: run `valise login <server address>` first');
  if (c.expiresAt !== null && c.expiresAt <= Date.now()) {
    throw new CliError(EXIT.auth, 'your sign-in has expired: run `valise login` again');
  }
  return c;
}

export async function saveCredentials(configDir: string, credentials: Credentials): Promise<void> {
  await writePrivateFile(credentialsPath(configDir), `${JSON.stringify(credentials, null, 2)}\n`);
}

export async function deleteCredentials(configDir: string): Promise<void> {
  await removeFile(credentialsPath(configDir));
}
