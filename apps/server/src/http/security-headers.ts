// Headers every response carries, so that no API answer can be sniffed, framed, cached or leaked via Referer.
import type { FastifyInstance } from 'fastify';

/** For API answers: nothing they contain may load anything or be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export interface SecurityHeaderOptions {
  /** Adds Strict-Transport-Security: set when the public URL is https. */
  readonly hsts: boolean;
}

/** Installs an onSend hook on the root instance: it runs for routes, errors and not-found answers alike. */
export function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('x-request-id', request.id);
    if (options.hsts) reply.header('strict-transport-security', 'max-age=31536000');
    // A page served by a later web plugin may set its own policy and caching; API answers never may.
    const api = request.url.startsWith('/api') || request.url.startsWith('/healthz') || request.url.startsWith('/readyz');
    if (api || !reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    if (api || !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
