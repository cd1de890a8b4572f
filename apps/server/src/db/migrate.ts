// Brings a database to the latest schema with Kysely's Migrator (it takes a lock, so instances may start together).
import { Migrator, sql, type MigrationResult } from 'kysely';
import type { DatabaseHandle } from './database.js';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** Applies every pending migration; returns the names applied now. */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  let outcome = await migrator(handle).then((m) => m.migrateToLatest());
  // Kysely's migrator lists tables across every schema of the cluster; a schema dropped elsewhere at that very
  // moment (another deployment, another test) makes PostgreSQL report it missing. Nothing of ours failed: retry.
  for (let attempt = 1; attempt < RETRIES && isOtherSchemaVanished(outcome.error, await currentSchema(handle)); attempt++) {
    outcome = await migrator(handle).then((m) => m.migrateToLatest());
  }
  const { error, results } = outcome;
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? '(before any migration)';
    throw new MigrationError(`database migration ${failed} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
  return applied(results);
}

/** The migrations this build knows and whether each is applied. */
export async function migrationStatus(handle: DatabaseHandle): Promise<{ name: string; applied: boolean }[]> {
  // Listing migrations introspects every schema too (see migrateToLatest): the same race, the same retry.
  for (let attempt = 1; ; attempt++) {
    try {
      const list = await (await migrator(handle)).getMigrations();
      return list.map((m) => ({ name: m.name, applied: m.executedAt !== undefined }));
    } catch (error) {
      if (attempt >= RETRIES || !isOtherSchemaVanished(error, await currentSchema(handle))) throw error;
    }
  }
}

const RETRIES = 4;

async function migrator(handle: DatabaseHandle): Promise<Migrator> {
  // PostgreSQL: Kysely looks for its bookkeeping tables in every schema unless told which one; naming the current
  // schema keeps two deployments (or two test runs) sharing a cluster from seeing each other's tables.
  const migrationTableSchema =
    handle.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema
      : undefined;
  return new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => migrations(handle.dialect) },
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
}

async function currentSchema(handle: DatabaseHandle): Promise<string | undefined> {
  if (handle.dialect !== 'postgres') return undefined;
  return (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema;
}

/** PostgreSQL 3F000 (invalid_schema_name) about a schema that is not the one we migrate. */
export function isOtherSchemaVanished(error: unknown, ours: string | undefined): boolean {
  const cause = (error as { code?: string; message?: string } | undefined);
  if (ours === undefined || cause?.code !== '3F000') return false;
  const name = /schema "([^"]+)" does not exist/.exec(cause.message ?? '')?.[1];
  return name !== undefined && name !== ours;
}

function applied(results: MigrationResult[] | undefined): string[] {
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
