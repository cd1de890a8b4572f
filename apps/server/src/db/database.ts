// Opens the configured database (SQLite or PostgreSQL) behind one Kysely<Database> handle.
import { sql, type Kysely } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { openPostgres } from './postgres.js';
import type { Database } from './schema.js';
import { openSqlite } from './sqlite.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** One round trip, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly poolSize?: number;
  readonly onIdleError?: (error: Error) => void;
}

export async function createDatabase(
  config: { readonly database: DatabaseConfig },
  options: DatabaseOptions = {},
): Promise<DatabaseHandle> {
  const dialect: Dialect = config.database.kind;
  const db =
    config.database.kind === 'sqlite'
      ? await openSqlite(config.database.path)
      : openPostgres(config.database.url, options);
  let closed: Promise<void> | undefined;
  return {
    db,
    dialect,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close() {
      closed ??= db.destroy();
      return closed;
    },
  };
}
