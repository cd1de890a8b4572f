// Tests of the HTTP platform over real HTTP: validation, problem+json, headers, streams, OpenAPI, health.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { problemType, type Problem } from '@valise/protocol';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../logger.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { rawBody, type DomainPlugin } from './app.js';
import { API_CSP } from './security-headers.js';
import { AppError } from './errors.js';

const probeRoutes: DomainPlugin = {
  name: 'probe-routes',
  prefix: '/api/v1/probe',
  register(app: FastifyInstance, ctx) {
    app.post(
      '/echo',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'count'],
            properties: { name: { type: 'string', maxLength: 20 }, count: { type: 'integer' } },
          },
        },
      },
      async (request) => request.body,
    );
    app.get(
      '/items/:n',
      {
        schema: {
          params: { type: 'object', additionalProperties: false, required: ['n'], properties: { n: { type: 'integer' } } },
          querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer' } } },
        },
      },
      async (request) => ({ params: request.params, query: request.query }),
    );
    app.get('/boom', async () => {
      throw new Error('connection to db failed: password hunter2');
    });
    app.get('/limited', async () => {
      throw new AppError('rate_limited', { extra: { retryAfter: 42 } });
    });
    app.get('/limited-default', async () => {
      throw new AppError('too_many_attempts');
    });
    app.get('/gone', async () => {
      throw new AppError('link_unavailable', { reason: 'expired at 1700000000000' });
    });
    app.get('/config', async () => ({ maxFiles: ctx.config.limits.maxFiles }));
    app.put('/part', async (request) => {
      const stream = rawBody(request);
      const hash = createHash('sha256');
      let size = 0;
      let chunks = 0;
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
        chunks++;
      }
      return { size, chunks, sha256: hash.digest('hex') };
    });
  },
};

async function problemOf(response: Response): Promise<Problem> {
  assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const body = (await response.json()) as Problem;
  assert.equal(body.status, response.status);
  assert.equal(body.type, problemType(body.code));
  assert.equal(typeof body.title, 'string');
  return body;
}

describe('HTTP application', () => {
  let server: TestServer;
  const logLines: string[] = [];
  const url = (path: string) => `${server.url}${path}`;
  const postJson = (path: string, body: string, type = 'application/json') =>
    fetch(url(path), { method: 'POST', headers: { 'content-type': type }, body });

  before(async () => {
    server = await startTestServer({
      plugins: [probeRoutes],
      env: { VALISE_MAX_FILES: '7' },
      logger: createLogger({ level: 'info', stream: { write: (line: string) => void logLines.push(line) } }),
    });
  });
  after(async () => server?.close());

  it('hands domain plugins the server context', async () => {
    const response = await fetch(url('/api/v1/probe/config'));
    assert.deepEqual(await response.json(), { maxFiles: 7 });
  });

  it('accepts a valid JSON body as sent', async () => {
    const response = await postJson('/api/v1/probe/echo', '{"name":"a","count":3}');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { name: 'a', count: 3 });
  });

  it('refuses unknown fields instead of dropping them', async () => {
    const response = await postJson('/api/v1/probe/echo', '{"name":"a","count":3,"isAdmin":true}');
    assert.equal(response.status, 400);
    const problem = await problemOf(response);
    assert.equal(problem.code, 'validation_failed');
    assert.deepEqual(problem.errors, [{ path: '/body/isAdmin', message: 'must NOT have additional properties' }]);
  });

  it('does not coerce body types', async () => {
    const problem = await problemOf(await postJson('/api/v1/probe/echo', '{"name":"a","count":"3"}'));
    assert.equal(problem.code, 'validation_failed');
    assert.deepEqual(problem.errors, [{ path: '/body/count', message: 'must be integer' }]);
  });

  it('points at a missing property', async () => {
    const problem = await problemOf(await postJson('/api/v1/probe/echo', '{"name":"a"}'));
    assert.deepEqual(problem.errors, [{ path: '/body/count', message: "must have required property 'count'" }]);
  });

  it('coerces path parameters and query strings, and refuses unknown query parameters', async () => {
    const ok = await fetch(url('/api/v1/probe/items/12?limit=5'));
    assert.deepEqual(await ok.json(), { params: { n: 12 }, query: { limit: 5 } });
    const unknown = await problemOf(await fetch(url('/api/v1/probe/items/12?limit=5&debug=1')));
    assert.equal(unknown.code, 'validation_failed');
    assert.deepEqual(unknown.errors, [{ path: '/querystring/debug', message: 'must NOT have additional properties' }]);
    const bad = await problemOf(await fetch(url('/api/v1/probe/items/twelve')));
    assert.deepEqual(bad.errors, [{ path: '/params/n', message: 'must be integer' }]);
  });

  it('answers invalid JSON with validation_failed', async () => {
    const response = await postJson('/api/v1/probe/echo', '{"name":');
    assert.equal(response.status, 400);
    assert.equal((await problemOf(response)).code, 'validation_failed');
    const poisoned = await postJson('/api/v1/probe/echo', '{"name":"a","count":1,"__proto__":{"x":1}}');
    assert.equal(poisoned.status, 400);
  });

  it('refuses JSON bodies over 64 KiB with payload_too_large', async () => {
    const response = await postJson('/api/v1/probe/echo', JSON.stringify({ name: 'x'.repeat(70_000), count: 1 }));
    assert.equal(response.status, 413);
    assert.equal((await problemOf(response)).code, 'payload_too_large');
  });

  it('refuses text/plain and other unknown content types with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await postJson('/api/v1/probe/echo', '{"name":"a","count":3}', type);
      assert.equal(response.status, 415, type);
      assert.equal((await problemOf(response)).code, 'unsupported_media_type');
    }
  });

  it('streams application/octet-stream bodies to the route, unbuffered and beyond the JSON limit', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const response = await fetch(url('/api/v1/probe/part'), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(response.status, 200);
    const result = (await response.json()) as { size: number; chunks: number; sha256: string };
    assert.equal(result.size, data.length);
    assert.equal(result.sha256, createHash('sha256').update(data).digest('hex'));
    assert.ok(result.chunks > 1, 'the route read the body chunk by chunk');
  });

  it('hides unexpected errors behind internal_error and logs them with the request id', async () => {
    const response = await fetch(url('/api/v1/probe/boom'));
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.doesNotMatch(text, /hunter2|stack|Error:/);
    const problem = JSON.parse(text) as Problem;
    assert.deepEqual(Object.keys(problem).sort(), ['code', 'status', 'title', 'type']);
    assert.equal(problem.code, 'internal_error');
    const requestId = response.headers.get('x-request-id');
    assert.match(requestId ?? '', /^[0-9a-f-]{36}$/);
    const logged = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'unexpected error');
    assert.ok(logged, 'the error is logged');
    assert.equal(logged.reqId, requestId);
    assert.match(JSON.stringify(logged.err), /hunter2/);
  });

  it('sends Retry-After with 429 answers', async () => {
    const limited = await fetch(url('/api/v1/probe/limited'));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '42');
    assert.equal((await problemOf(limited)).retryAfter, 42);
    const fallback = await fetch(url('/api/v1/probe/limited-default'));
    assert.equal(fallback.status, 429);
    assert.equal(fallback.headers.get('retry-after'), '60');
  });

  it('keeps the logged reason out of the answer', async () => {
    const response = await fetch(url('/api/v1/probe/gone'));
    assert.equal(response.status, 410);
    const text = await response.text();
    assert.doesNotMatch(text, /1700000000000/);
    assert.ok(logLines.some((l) => l.includes('expired at 1700000000000')));
  });

  it('answers unknown routes with a not_found problem', async () => {
    const response = await fetch(url('/api/v1/nothing-here'));
    assert.equal(response.status, 404);
    assert.equal((await problemOf(response)).code, 'not_found');
  });

  it('sets the security headers on every answer, errors included', async () => {
    for (const path of ['/healthz', '/api/v1/probe/config', '/api/v1/nothing-here', '/api/v1/probe/boom', '/elsewhere']) {
      const response = await fetch(url(path));
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(response.headers.get('content-security-policy'), API_CSP, path);
      assert.equal(response.headers.get('cache-control'), 'no-store', path);
      assert.equal(response.headers.get('strict-transport-security'), null, 'no HSTS on a plain-http public URL');
    }
  });

  it('never logs credentials, cookies or query strings', async () => {
    logLines.length = 0;
    await fetch(url('/api/v1/probe/items/1?limit=2&token=topsecretquery'), {
      headers: { authorization: 'Bearer topsecretbearer', cookie: 'session=topsecretcookie' },
    });
    assert.ok(logLines.length > 0);
    const all = logLines.join('\n');
    assert.doesNotMatch(all, /topsecret/);
    assert.match(all, /"path":"\/api\/v1\/probe\/items\/1"/);
  });

  it('serves an OpenAPI 3 document built from the route schemas', async () => {
    const response = await fetch(url('/api/openapi.json'));
    assert.equal(response.status, 200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown>; servers: { url: string }[] };
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/api/v1/probe/echo'], 'domain routes are documented');
    assert.ok(doc.paths['/healthz']);
    assert.ok(doc.paths['/readyz']);
    assert.equal(doc.paths['/api/openapi.json'], undefined);
    assert.equal(doc.servers[0]?.url, server.url);
  });

  it('reports liveness and readiness', async () => {
    assert.deepEqual(await (await fetch(url('/healthz'))).json(), { status: 'ok' });
    const ready = await fetch(url('/readyz'));
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
  });
});

describe('readiness', () => {
  it('is 503 when blob storage is unreachable, and while shutting down', async () => {
    const server = await startTestServer();
    try {
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      await rm(join(server.dataDir, 'blobs'), { recursive: true, force: true });
      const broken = await fetch(`${server.url}/readyz`);
      assert.equal(broken.status, 503);
      const problem = (await broken.json()) as Problem;
      assert.equal(problem.code, 'unavailable');
      assert.match(problem.detail ?? '', /blobs/);
      assert.doesNotMatch(problem.detail ?? '', /database/);

      server.ctx.lifecycle.beginDraining();
      const draining = await fetch(`${server.url}/readyz`);
      assert.equal(draining.status, 503);
      assert.match(((await draining.json()) as Problem).detail ?? '', /shutting down/);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'still alive while draining');
    } finally {
      await server.close();
    }
  });

  it('sends HSTS when the public URL is https', async () => {
    const server = await startTestServer({ env: { VALISE_PUBLIC_URL: 'https://valise.example' } });
    try {
      const response = await fetch(`${server.url}/healthz`);
      assert.equal(response.headers.get('strict-transport-security'), 'max-age=31536000');
    } finally {
      await server.close();
    }
  });
});
