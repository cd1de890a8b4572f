// PostgreSQL for production and several instances: a pg Pool whose 64-bit integers come back as JS numbers.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// Every integer Valise stores (sizes, milliseconds, counters) stays below 2^53, so Number is exact; strings would
// make "bigint" columns compare and add differently on the two dialects. NUMERIC is what SUM(bigint) returns.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  readonly poolSize?: number;
  /** Errors of idle pooled connections (a restarted server, say): without a listener they would crash the process. */
  readonly onIdleError?: (error: Error) => void;
}

export function openPostgres(url: string, options: PostgresOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    application_name: 'valise-server',
  });
  pool.on('error', options.onIdleError ?? (() => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
