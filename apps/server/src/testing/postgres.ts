// The PostgreSQL that tests use: reachability (probed once per process) and a fresh schema per test file.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Tests read these two variables directly: they configure the test run, not the server. */
export const TEST_DATABASE_URL = process.env.VALISE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const IN_CI = Boolean(process.env.CI);

export type Availability = { readonly reachable: true } | { readonly reachable: false; readonly reason: string };

let probe: Promise<Availability> | undefined;

export function postgresAvailability(): Promise<Availability> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return { reachable: true } as const;
    } catch (error) {
      return { reachable: false, reason: (error as Error).message || String(error) } as const;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/** The test URL with its password masked, for messages. */
export function displayUrl(url = TEST_DATABASE_URL): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return '(unparsable URL)';
  }
}

export interface TestSchema {
  readonly schema: string;
  /** TEST_DATABASE_URL with `options=-c search_path=<schema>`: every pooled connection lands in the schema. */
  readonly url: string;
  drop(): Promise<void>;
}

/** A new empty schema, so test files running in parallel never see each other's tables. */
export async function createTestSchema(): Promise<TestSchema> {
  const schema = `valise_test_${randomBytes(6).toString('hex')}`;
  await admin(`create schema ${schema}`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.href,
    drop: () => admin(`drop schema if exists ${schema} cascade`),
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
