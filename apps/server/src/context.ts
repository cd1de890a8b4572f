// Wires the server's dependencies once (keystore, database, blob store, mailer, audit), for the HTTP server, the
// tests and the CLI's admin commands alike.
import { AuditRepository } from './audit/audit.repository.js';
import { createBlobStore } from './blobs/create-blob-store.js';
import type { BlobStore } from './blobs/blob-store.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createDatabase, type DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { openKeystore, type Keystore } from './keystore.js';
import { createLogger, type Logger } from './logger.js';
import { createMailer } from './mail/create-mailer.js';
import type { Mailer } from './mail/mailer.js';

/** Whether the server is winding down: readiness turns false first, so balancers stop sending new work. */
export class Lifecycle {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  beginDraining(): void {
    this.#draining = true;
  }
}

export interface ServerContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly keystore: Keystore;
  readonly database: DatabaseHandle;
  readonly blobs: BlobStore;
  readonly mailer: Mailer;
  readonly audit: AuditRepository;
  readonly lifecycle: Lifecycle;
  /** Closes the mailer, blob store and database (in that order); safe to call twice. */
  close(): Promise<void>;
}

export interface ServerContextOptions {
  /** Default: a JSON logger on standard output at the configured level. */
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Apply pending database migrations (default true). Admin commands that only read may pass false. */
  readonly migrate?: boolean;
}

export async function createServerContext(config: Config, options: ServerContextOptions = {}): Promise<ServerContext> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  // The keystore first: it creates the data folder with 0700 before anything else writes into it.
  const keystore = await openKeystore(config.dataDir, clock);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    const database = await createDatabase(config, {
      onIdleError: (error) => logger.error({ err: error }, 'idle database connection failed'),
    });
    closers.push(() => database.close());
    if (options.migrate ?? true) {
      const applied = await migrateToLatest(database);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    }
    const blobs = await createBlobStore(config, { logger });
    closers.push(() => blobs.close());
    const mailer = createMailer(config, logger);
    closers.push(() => mailer.close());
    let closing: Promise<void> | undefined;
    return {
      config,
      logger,
      clock,
      keystore,
      database,
      blobs,
      mailer,
      audit: new AuditRepository(database, clock),
      lifecycle: new Lifecycle(),
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
