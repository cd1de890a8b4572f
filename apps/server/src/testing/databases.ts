// Runs a database test suite on every dialect (SQLite in a temp folder, PostgreSQL in a fresh schema), in the
// manner of Kysely's own tests: one loop, the same assertions, so the dialects cannot drift apart.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DatabaseConfig } from '../config.js';
import { createDatabase, type DatabaseHandle, type DatabaseOptions, type Dialect } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createTestSchema, displayUrl, IN_CI, postgresAvailability } from './postgres.js';

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  readonly dialect: Dialect;
  readonly handle: DatabaseHandle;
  /** What a server config would hold to reach this same database. */
  readonly database: DatabaseConfig;
  /** Closes the handle and removes the temp folder or schema. */
  close(): Promise<void>;
}

export interface TestDatabaseOptions extends DatabaseOptions {
  /** Apply the migrations (default true). */
  readonly migrate?: boolean;
}

/** A fresh, private database of the given dialect. */
export async function openTestDatabase(dialect: Dialect, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const cleanups: (() => Promise<void>)[] = [];
  let database: DatabaseConfig;
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'valise-db-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    database = { kind: 'sqlite', path: join(dir, 'valise.db') };
  } else {
    const schema = await createTestSchema();
    cleanups.push(() => schema.drop());
    database = { kind: 'postgres', url: schema.url };
  }
  const handle = await createDatabase({ database }, options);
  cleanups.unshift(() => handle.close());
  const close = async () => {
    for (const cleanup of cleanups) await cleanup();
  };
  try {
    if (options.migrate ?? true) await migrateToLatest(handle);
  } catch (error) {
    await close();
    throw error;
  }
  return { dialect, handle, database, close };
}

let reportedUnreachable = false;

/**
 * The dialects to test on. PostgreSQL is left out only when unreachable outside CI, and then says so once per
 * process in one plain line; in CI an unreachable PostgreSQL is a failure, never a quiet skip.
 */
export async function availableDialects(): Promise<{ dialects: Dialect[]; failure?: string }> {
  const availability = await postgresAvailability();
  if (availability.reachable) return { dialects: [...DIALECTS] };
  const message = `PostgreSQL not reachable at ${displayUrl()}: PostgreSQL tests were NOT run`;
  if (IN_CI) return { dialects: ['sqlite'], failure: `${message} (${availability.reason}); CI requires PostgreSQL` };
  if (!reportedUnreachable) {
    reportedUnreachable = true;
    console.log(message);
  }
  return { dialects: ['sqlite'] };
}

/**
 * Declares `suite` once per dialect, each on its own freshly migrated database (tests inside one suite share it,
 * so they use fresh ids). `db()` is valid inside tests and hooks.
 */
export function forEachDialect(name: string, suite: (db: () => DatabaseHandle, dialect: Dialect) => void): void {
  describe(name, async () => {
    const { dialects, failure } = await availableDialects();
    if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));
    for (const dialect of dialects) {
      describe(dialect, () => {
        let testDb: TestDatabase | undefined;
        before(async () => {
          testDb = await openTestDatabase(dialect);
        });
        after(async () => {
          await testDb?.close();
        });
        suite(() => {
          if (!testDb) throw new Error('the test database is only available inside tests and hooks');
          return testDb.handle;
        }, dialect);
      });
    }
  });
}
