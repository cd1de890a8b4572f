// Write transactions that behave alike on both dialects: serialized from their first statement, not their first write.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from './database.js';
import type { Database } from './schema.js';

export interface WriteTransactionOptions {
  /**
   * PostgreSQL: also take this transaction-scoped advisory lock, so read-then-write sequences with the same name
   * (appending to the audit chain, say) run one at a time across every server instance.
   */
  readonly lock?: string;
  /**
   * 'full' (the default): the commit is on disk before it returns. 'deferred': the commit is atomic and ordered
   * but may be lost in a power cut (never half-applied) until the next full commit, which flushes it too (both
   * logs are append-only). Only for writes that a client repeats on its own when they are lost: a part receipt,
   * whose absence makes the client send the part again and blocks finalize until it does. SQLite's
   * synchronous=FULL commit is a blocking fsync on the event loop, slowed further by the 8 MiB part files being
   * flushed beside it: deferring it is what lets uploads keep both cores busy.
   */
  readonly durability?: 'full' | 'deferred';
}

/**
 * Runs `fn` in a transaction that may read, then write what it read, without another writer slipping in between.
 * SQLite: BEGIN IMMEDIATE takes the database write lock up front (a plain BEGIN would fail with SQLITE_BUSY when
 * upgrading a read to a write while another process writes). PostgreSQL: READ COMMITTED plus the optional lock.
 */
export async function withWriteTransaction<T>(
  handle: DatabaseHandle,
  fn: (trx: Kysely<Database>) => Promise<T>,
  options: WriteTransactionOptions = {},
): Promise<T> {
  if (handle.dialect === 'postgres') {
    return handle.db.transaction().execute(async (trx) => {
      if (options.durability === 'deferred') await sql`set local synchronous_commit = off`.execute(trx);
      if (options.lock !== undefined) await sql`select pg_advisory_xact_lock(${advisoryLockKey(options.lock)}::bigint)`.execute(trx);
      return fn(trx);
    });
  }
  // connection() pins Kysely's single SQLite connection for the whole callback, so no other query interleaves.
  return handle.db.connection().execute(async (conn) => {
    // The safety level cannot change inside a transaction: set it around this one, on the pinned connection.
    if (options.durability !== 'deferred') return sqliteTransaction(conn, fn);
    await sql`pragma synchronous = NORMAL`.execute(conn);
    try {
      return await sqliteTransaction(conn, fn);
    } finally {
      await sql`pragma synchronous = FULL`.execute(conn);
    }
  });
}

async function sqliteTransaction<T>(conn: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  await sql`begin immediate`.execute(conn);
  let result: T;
  try {
    result = await fn(conn);
  } catch (error) {
    await sql`rollback`.execute(conn);
    throw error;
  }
  try {
    await sql`commit`.execute(conn);
  } catch (error) {
    // A failed COMMIT leaves the transaction open in SQLite; end it so the connection is usable again.
    await sql`rollback`.execute(conn).catch(() => undefined);
    throw error;
  }
  return result;
}

/** A stable signed 64-bit key for PostgreSQL advisory locks, derived from a readable name. */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(`valise:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * Runs `work` unless another instance is running the same job: with PostgreSQL, a session-level try-lock named
 * `<job>:<schema>` held on one pinned connection for the whole run (the work itself uses the pool); `skipped()` is
 * answered instead of queueing behind the other instance. The schema is in the name because advisory locks are
 * cluster-wide: deployments (or test runs) in different schemas of one database do not hold each other up.
 * SQLite has one writer process, so `work` simply runs.
 */
export async function runUnlessRunningElsewhere<T>(handle: DatabaseHandle, job: string, work: () => Promise<T>, skipped: () => T): Promise<T> {
  if (handle.dialect !== 'postgres') return work();
  return handle.db.connection().execute(async (conn) => {
    const { rows: [current] } = await sql<{ schema: string }>`select current_schema() as schema`.execute(conn);
    const key = advisoryLockKey(jobLockName(job, current?.schema ?? 'public'));
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(conn);
    if (rows[0]?.locked !== true) return skipped();
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn);
    }
  });
}

/** The advisory lock name of a job in a schema (see runUnlessRunningElsewhere). */
export function jobLockName(job: string, schema: string): string {
  return `${job}:${schema}`;
}
