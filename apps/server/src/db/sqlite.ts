// The embedded default: one SQLite file in the data folder, opened with the pragmas Valise relies on.
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

/** How long a writer waits for another process (an admin command, say) to finish its write. */
const BUSY_TIMEOUT_MS = 5_000;

export async function openSqlite(path: string): Promise<Kysely<Database>> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Create the file 0600 before SQLite does (it would use the umask); its -wal and -shm files copy this mode.
  await (await open(path, 'a', 0o600)).close();
  const sqlite = new BetterSqlite3(path);
  try {
    // WAL: readers do not block the writer, and a crash never leaves a half-applied transaction.
    const mode = sqlite.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode (got ${String(mode)})`);
    // FULL: a committed download count or audit entry survives a power cut.
    sqlite.pragma('synchronous = FULL');
    // Off by default in SQLite, per connection.
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}
