// Serves the web app at / with the page's security policy: scripts, styles, workers and requests from this origin
// only; no inline code, no eval (only WebAssembly, for Argon2id), no framing, no referrer. Every app route answers
// the same page; the browser picks the view. Without a build, the page routes answer 404 and the API is unaffected.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DomainPlugin } from '../http/app.js';
import { type WebAsset, loadWebBuild } from './web-assets.js';

/** The Content-Security-Policy of the page (CSP Level 3). Nothing outside this origin, nothing inline. */
export function pageCsp(https: boolean): string {
  return [
    "default-src 'none'",
    // WebAssembly compiled from this origin's scripts only: hash-wasm's Argon2id unlocks member keys (§11.5).
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    // Hidden frames navigate to /_save/<id>, answered by the save service worker with a download.
    "frame-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    ...(https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** The paths of the app's views (apps/web/src/router.ts). /t/<id> is the link page; /d/<boxId> a drop box's. */
export const PAGE_ROUTES = [
  '/', '/signin', '/enroll', '/send', '/transfers', '/accessibility', '/keys', '/inbox', '/boxes', '/teams', '/t/:transferId(^[A-Za-z0-9_-]{22}$)', '/d/:boxId(^[A-Za-z0-9_-]{22}$)',
] as const;

export function webRoutes(): DomainPlugin {
  const send = (csp: string, request: FastifyRequest, reply: FastifyReply, asset: WebAsset) => {
    reply
      .header('content-type', asset.type)
      .header('etag', asset.etag)
      .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('content-security-policy', csp)
      .header('cross-origin-opener-policy', 'same-origin')
      .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()');
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    return reply.send(asset.body);
  };
  return {
    name: 'web',
    async register(app, ctx) {
      const build = await loadWebBuild(ctx.config.webDir);
      if (build === null) {
        ctx.logger.warn({ webDir: ctx.config.webDir }, 'no web app build found: the API works, the browser pages do not (npm start builds them)');
        return;
      }
      const csp = pageCsp(ctx.config.publicUrl.startsWith('https:'));
      for (const url of PAGE_ROUTES) {
        app.get(url, { schema: { hide: true } }, (request, reply) => send(csp, request, reply, build.page));
      }
      for (const [url, asset] of build.assets) {
        app.get(url, { schema: { hide: true } }, (request, reply) => send(csp, request, reply, asset));
      }
    },
  };
}
