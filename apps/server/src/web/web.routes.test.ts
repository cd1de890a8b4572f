// The web app as the server serves it, over real HTTP, from a build made here (so these tests do not depend on
// apps/web being built): the page's security headers, caching, ETags, and only built files being reachable.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { API_CSP } from '../http/security-headers.js';
import { pageCsp, webRoutes } from './web.routes.js';

const PAGE = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>';

describe('web app serving', () => {
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'valise-webdir-'));
    await mkdir(join(dir, 'assets'));
    await mkdir(join(dir, '.vite'));
    await writeFile(join(dir, 'index.html'), PAGE);
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
    await writeFile(join(dir, 'assets', 'index-abc123.css'), 'body{}');
    await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(dir, '.vite', 'manifest.json'), '{}');
    await writeFile(join(dir, '.build-digest'), 'x');
    server = await startTestServer({ plugins: [webRoutes()], env: { VALISE_WEB_DIR: dir } });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every app route with the page, under a strict Content-Security-Policy', async () => {
    for (const path of ['/', '/signin', '/enroll', '/send', '/transfers', '/accessibility', '/keys', '/inbox', '/boxes', '/teams', '/t/AAAAAAAAAAAAAAAAAAAAAA', '/d/AAAAAAAAAAAAAAAAAAAAAA']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), PAGE);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('content-security-policy'), pageCsp(false));
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.match(res.headers.get('permissions-policy') ?? '', /camera=\(\)/u);
      assert.equal(res.headers.get('strict-transport-security'), null, 'no HSTS over http');
    }
    const csp = pageCsp(false);
    for (const rule of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(csp.split('; ').includes(rule), rule);
    }
    // 'wasm-unsafe-eval' lets this origin's scripts compile WebAssembly (Argon2id for member keys); nothing else.
    assert.ok(!/(?<!wasm-)unsafe|\*|https?:/u.test(csp), 'nothing inline, no eval, no other origin');
    assert.equal(csp.match(/unsafe/gu)?.length, 1, 'only wasm-unsafe-eval');
    assert.ok(pageCsp(true).includes('upgrade-insecure-requests'));
  });

  it('serves hashed assets as immutable and answers 304 to a matching ETag', async () => {
    const js = await fetch(`${server.url}/assets/index-abc123.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const etag = js.headers.get('etag')!;
    assert.match(etag, /^"[A-Za-z0-9_-]{22}"$/u);
    const again = await fetch(`${server.url}/assets/index-abc123.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(`${server.url}/assets/index-abc123.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
    const icon = await fetch(`${server.url}/favicon.svg`);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
  });

  it('serves nothing but the built files: no build metadata, no paths outside, no unknown pages', async () => {
    for (const path of ['/.vite/manifest.json', '/.build-digest', '/index.html', '/assets/../index.html', '/assets/%2e%2e/.build-digest', '/assets/missing.js', '/nowhere', '/t/short', '/d/short']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8', path);
      assert.equal(res.headers.get('content-security-policy'), API_CSP, path);
    }
  });

  it('keeps the API under its own policy', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.headers.get('content-security-policy'), API_CSP);
  });
});

describe('web app serving without a build', () => {
  it('starts, answers 404 for the pages and keeps the API working', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'valise-webdir-'));
    const server = await startTestServer({ plugins: [webRoutes()], env: { VALISE_WEB_DIR: empty } });
    try {
      assert.equal((await fetch(`${server.url}/`)).status, 404);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
