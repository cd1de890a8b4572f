// Liveness (/healthz: the process answers) and readiness (/readyz: it can serve, so send it traffic).
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { AppError } from './errors.js';

const CHECK_TIMEOUT_MS = 3_000;

const statusSchema = (value: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', const: value } },
});

export function registerHealthRoutes(app: FastifyInstance, ctx: Pick<ServerContext, 'database' | 'blobs' | 'lifecycle'>): void {
  app.get(
    '/healthz',
    { schema: { summary: 'The process is up', tags: ['operations'], response: { 200: statusSchema('ok') } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The server can serve: database and blob storage answer, and it is not shutting down',
        tags: ['operations'],
        response: { 200: statusSchema('ready') },
      },
    },
    async (request) => {
      if (ctx.lifecycle.draining) throw new AppError('unavailable', { detail: 'The server is shutting down.' });
      const checks = {
        database: () => ctx.database.ping(),
        blobs: () => ctx.blobs.ping(),
      };
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), CHECK_TIMEOUT_MS);
            return null;
          } catch (error) {
            request.log.warn({ check: name, err: error }, 'readiness check failed');
            return name;
          }
        }),
      );
      const failed = results.filter((name): name is string => name !== null);
      if (failed.length > 0) throw new AppError('unavailable', { detail: `Not reachable: ${failed.join(', ')}.` });
      return { status: 'ready' };
    },
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
