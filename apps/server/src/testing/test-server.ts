// A real Valise server for route tests: temp data folder, chosen database and blob store, real HTTP on loopback.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createServerContext, type ServerContext } from '../context.js';
import type { Dialect } from '../db/database.js';
import type { DomainPlugin } from '../http/app.js';
import { createLogger, type Logger } from '../logger.js';
import { startServer, type DomainParts } from '../main.js';
import { createTestSchema } from './postgres.js';
import { startS3rver } from './s3rver-process.js';

export interface TestServerOptions {
  readonly dialect?: Dialect;
  readonly blobs?: 'fs' | 's3';
  /** Domain routes to serve (default: none, the platform alone). */
  readonly plugins?: readonly DomainPlugin[];
  /** Or a whole domain built from the context, e.g. createDomain from domain.ts (plugins and jobs). */
  readonly domain?: (ctx: ServerContext) => DomainParts;
  /** Extra VALISE_* variables (limits, SMTP…), on top of what the helper sets. */
  readonly env?: Readonly<Record<string, string>>;
  readonly clock?: Clock;
  /** Default: a silent logger. */
  readonly logger?: Logger;
  readonly shutdownTimeoutMs?: number;
}

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (also the configured public URL). */
  readonly url: string;
  readonly ctx: ServerContext;
  readonly app: FastifyInstance;
  readonly dataDir: string;
  /** Stops the server and removes everything it made (data folder, schema, s3rver). */
  close(): Promise<void>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'valise-server-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    // The public URL must name the real port (links in mail are built from it), so the port is chosen first.
    const port = await freePort();
    const env: Record<string, string> = {
      VALISE_DATA_DIR: dataDir,
      VALISE_HOST: '127.0.0.1',
      VALISE_PORT: String(port),
      VALISE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      VALISE_LOG_LEVEL: 'silent',
    };
    if (options.dialect === 'postgres') {
      const schema = await createTestSchema();
      cleanups.push(() => schema.drop());
      env.VALISE_DATABASE_URL = schema.url;
    }
    if (options.blobs === 's3') {
      const s3 = await startS3rver();
      cleanups.push(() => s3.stop());
      Object.assign(env, {
        VALISE_S3_BUCKET: s3.bucket,
        VALISE_S3_ENDPOINT: s3.endpoint,
        VALISE_S3_REGION: s3.region,
        VALISE_S3_ACCESS_KEY_ID: s3.accessKeyId,
        VALISE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        VALISE_S3_FORCE_PATH_STYLE: 'true',
      });
    }
    const config = loadConfig({ ...env, ...options.env });
    const ctx = await createServerContext(config, {
      logger: options.logger ?? createLogger({ level: 'silent' }),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    cleanups.push(() => ctx.close());
    const plugins = options.plugins ?? [];
    const server = await startServer(ctx, {
      domain: options.domain ?? (() => ({ plugins })),
      ...(options.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: options.shutdownTimeoutMs } : {}),
    });
    cleanups.push(() => server.close());
    return { url: server.url, ctx, app: server.app, dataDir, close: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A port that was free a moment ago (the kernel picks it); the server binds it right after. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('could not pick a free port');
  return address.port;
}
