// The server process: configuration → context → HTTP, listening until SIGTERM/SIGINT, then a graceful shutdown.
import type { FastifyInstance } from 'fastify';
import { ConfigError, describeConfig, loadConfig, type Env } from './config.js';
import { createServerContext, type ServerContext } from './context.js';
import { accountServiceFor } from './accounts/invite.js';
import { createDomain } from './domain.js';
import { buildApp, type DomainPlugin } from './http/app.js';
import { createLogger } from './logger.js';

/** Below the 30 s most orchestrators wait between SIGTERM and SIGKILL, so our own cleanup still runs. */
export const SHUTDOWN_TIMEOUT_MS = 25_000;

/** sysexits EX_CONFIG: the configuration is wrong, restarting will not help. */
export const EXIT_CONFIG = 78;
export const EXIT_FAILURE = 1;

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly ctx: ServerContext;
  /** Where this process listens, e.g. http://127.0.0.1:8080 (the public URL may differ). */
  readonly url: string;
  /**
   * Graceful stop: readiness turns 503, no new connections, in-flight requests may finish within the timeout
   * (then remaining connections are cut; interrupted uploads resume part by part), then the context closes.
   */
  close(): Promise<void>;
}

/** A timer-driven task living as long as the server (purge, reminders). */
export interface ServerJob {
  readonly name: string;
  start(): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/** What the domain adds to the platform: built once from the context (see domain.ts). */
export interface DomainParts {
  readonly plugins: readonly DomainPlugin[];
  readonly jobs?: readonly ServerJob[];
}

export interface StartServerOptions {
  /** Builds the domain's plugins and jobs from the context; default: none (the platform alone). */
  readonly domain?: (ctx: ServerContext) => DomainParts;
  readonly shutdownTimeoutMs?: number;
}

export async function startServer(ctx: ServerContext, options: StartServerOptions = {}): Promise<RunningServer> {
  const domain = options.domain?.(ctx) ?? { plugins: [] };
  const jobs = domain.jobs ?? [];
  const app = await buildApp({ ctx, plugins: domain.plugins });
  try {
    await app.listen({ host: ctx.config.host, port: ctx.config.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : ctx.config.port;
  const host = ctx.config.host.includes(':') ? `[${ctx.config.host}]` : ctx.config.host;
  const url = `http://${host}:${port}`;
  const timeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;
  for (const job of jobs) job.start();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      ctx.lifecycle.beginDraining();
      const closed = app.close();
      const timer = setTimeout(() => {
        ctx.logger.warn({ timeoutMs }, 'requests still running at the shutdown deadline: closing their connections');
        app.server.closeAllConnections();
      }, timeoutMs);
      try {
        // Jobs stop alongside the HTTP server: a purge run in progress finishes before the database closes.
        await Promise.all([closed, ...jobs.map((job) => job.stop())]);
      } finally {
        clearTimeout(timer);
        await ctx.close();
      }
    })());
  return { app, ctx, url, close };
}

export interface RunServerOptions {
  /** Default: the process environment (read by the config module). */
  readonly env?: Env;
  /** Default: createDomain from domain.ts, every domain of the product. */
  readonly domain?: (ctx: ServerContext) => DomainParts;
}

/** The `valise-server` command. Exits the process itself: 0 after a clean shutdown, 78 on bad configuration. */
export async function runServer(options: RunServerOptions = {}): Promise<void> {
  let config;
  try {
    config = options.env === undefined ? loadConfig() : loadConfig(options.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`valise-server: invalid configuration (see CONFIG.md):\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(EXIT_CONFIG);
  }

  const logger = createLogger({ level: config.logLevel });
  let server: RunningServer;
  try {
    const ctx = await createServerContext(config, { logger });
    try {
      server = await startServer(ctx, { domain: options.domain ?? createDomain });
    } catch (error) {
      await ctx.close();
      throw error;
    }
  } catch (error) {
    logger.fatal({ err: error }, 'the server could not start');
    logger.flush();
    process.exit(EXIT_FAILURE);
  }
  logger.info({ url: server.url, config: describeConfig(config) }, 'server listening');
  await announceFirstAdmin(server.ctx);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * A fresh install has no member: print a one-time enrollment link for the first administrator on the terminal
 * (stderr, apart from the JSON log, which never carries the link's secret).
 */
async function announceFirstAdmin(ctx: ServerContext): Promise<void> {
  const invitation = await accountServiceFor(ctx).bootstrapFirstAdmin();
  if (!invitation) return;
  const expires = new Date(invitation.expiresAt).toISOString();
  ctx.logger.info({ event: 'account.first_admin_link', expiresAt: expires }, 'no member yet: printed a one-time enrollment link for the first administrator');
  process.stderr.write(
    `\nValise has no member yet. Enroll the first administrator with this one-time link (valid until ${expires}):\n\n` +
    `  ${invitation.link}\n\n` +
    `  with the CLI:  npx valise enroll '${invitation.link}'\n\n`,
  );
}
