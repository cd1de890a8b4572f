// Structured JSON logs (pino, the logger Fastify is built for): credentials redacted, request paths without queries.
import { createRequire } from 'node:module';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config.js';

export type Logger = PinoLogger;

// pino is resolved through Fastify, so the logger handed to Fastify is exactly the version Fastify was built with.
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const pino = requireFromFastify('pino') as typeof import('pino').default;

/** Header and field paths that could carry a credential if some code ever logs them. */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go (default: standard output). */
  readonly stream?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'valise-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      serializers: {
        req: serializeRequest,
        res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    options.stream,
  );
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
}

// Query strings are dropped: they are where a careless client would put a token. Headers are never logged.
function serializeRequest(req: RequestLike): Record<string, unknown> {
  return { method: req.method, path: pathOnly(req.url ?? ''), ip: req.ip };
}

export function pathOnly(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
