// Builds the Fastify application: platform concerns (errors, headers, validation, OpenAPI, health) here, domain
// routes from the plugins passed in.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { LIMITS } from '@valise/protocol';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { AppError, registerErrorHandlers } from './errors.js';
import { registerHealthRoutes } from './health.js';
import { registerSecurityHeaders } from './security-headers.js';
import { validatorFactory } from './validation.js';

export const OPENAPI_PATH = '/api/openapi.json';

/**
 * A slice of the API, registered in its own Fastify scope (its hooks and decorations stay inside it). Domain
 * services are built once in main and closed over by the plugin's factory; `ctx` is for platform needs (config,
 * clock, logger…). Example:
 *
 *   export function transferRoutes(transfers: TransferService): DomainPlugin {
 *     return {
 *       name: 'transfers',
 *       prefix: `${API_PREFIX}/transfers`,
 *       register(app, ctx) {
 *         app.post('/', { schema: { body: CreateTransfer, response: { 201: TransferCreated } } },
 *           async (request, reply) => reply.status(201).send(await transfers.create(request.body)));
 *       },
 *     };
 *   }
 */
export interface DomainPlugin {
  /** Shown in logs and in start-up errors. */
  readonly name: string;
  /** Prefix of every route the plugin declares, e.g. `/api/v1/transfers`. */
  readonly prefix?: string;
  register(app: FastifyInstance, ctx: ServerContext): void | Promise<void>;
}

export interface AppDeps {
  readonly ctx: ServerContext;
  readonly plugins?: readonly DomainPlugin[];
  /** Version shown in the OpenAPI document. */
  readonly version?: string;
}

/** The body of an application/octet-stream request: the unread request stream, for the route to consume. */
export function rawBody(request: FastifyRequest): Readable {
  const body = request.body as Readable | undefined;
  if (!body || typeof body.pipe !== 'function') {
    throw new AppError('unsupported_media_type', { detail: 'Send the data as application/octet-stream.' });
  }
  return body;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { ctx } = deps;
  const app = Fastify({
    loggerInstance: ctx.logger,
    // Request ids are ours: a client-supplied id could forge or confuse log lines.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: ctx.config.trustProxy,
    // JSON bodies are small: anything large (file parts) goes as a stream; a route may raise its own limit.
    bodyLimit: LIMITS.jsonBodyBytes,
    schemaController: { compilersFactory: { buildValidator: validatorFactory() } },
    // While closing, requests still arriving on open connections get 503 rather than a half-torn-down server.
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  // Hooks and handlers on the root first, so every plugin registered below inherits them.
  registerErrorHandlers(app);
  registerSecurityHeaders(app, { hsts: ctx.config.publicUrl.startsWith('https:') });

  // The API speaks JSON and raw bytes only. text/plain is one of the content types a browser may send cross-site
  // without a preflight, so it is not accepted anywhere.
  app.removeContentTypeParser('text/plain');
  // File parts stream through untouched (never buffered): the route reads, checks size and hash, and stores.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Valise API',
        version: deps.version ?? '0.1.0',
        description: 'End-to-end encrypted file exchange. Errors are RFC 9457 problem+json with a `code`.',
      },
      servers: [{ url: ctx.config.publicUrl }],
    },
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());

  registerHealthRoutes(app, ctx);
  // Web sessions ride in a Secure, HttpOnly, SameSite=Strict cookie (accounts/authenticate.ts).
  await app.register(cookie);

  for (const plugin of deps.plugins ?? []) {
    const register = async (scope: FastifyInstance) => plugin.register(scope, ctx);
    // avvio names plugins after their function in its errors and timeouts.
    Object.defineProperty(register, 'name', { value: plugin.name });
    await app.register(register, plugin.prefix === undefined ? {} : { prefix: plugin.prefix });
  }

  await app.ready();
  return app;
}
