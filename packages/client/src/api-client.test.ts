// ValiseApi over a real HTTP listener: problem+json errors, retries (only for idempotent calls), Retry-After,
// network failures, and the part upload/download headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, parseRetryAfter } from './api-error.js';
import { ValiseApi, normalizeServerUrl } from './api-client.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

async function listen(handler: Handler) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}

const problem = (res: ServerResponse, status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: `urn:valise:problem:${code}`, title: 'Title from server', status, code, ...extra }));
};

const noSleep = { sleeps: [] as number[] };
const api = (url: string, token?: string) => {
  noSleep.sleeps = [];
  return new ValiseApi({ serverUrl: url, token, retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 }, sleep: async (ms) => void noSleep.sleeps.push(ms) });
};

const ID = 'AAECAwQFBgcICQoLDA0ODw';

test('problem+json becomes an ApiError with code, detail, attemptsLeft', async (t) => {
  const s = await listen((_req, _body, res) => problem(res, 400, 'code_invalid', { detail: 'try again', attemptsLeft: 2 }));
  t.after(s.close);
  await assert.rejects(api(s.url).codeGrant(ID, { openingToken: 'o'.repeat(43), code: '12345678' }), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 400);
    assert.equal(e.code, 'code_invalid');
    assert.equal(e.detail, 'try again');
    assert.equal(e.attemptsLeft, 2);
    return true;
  });
  assert.equal(s.seen.length, 1);
  assert.equal(s.seen[0]!.url, `/api/v1/open/${ID}/grant`);
  assert.equal(s.seen[0]!.headers['content-type'], 'application/json');
});

test('POSTs are never retried, even on 503', async (t) => {
  const s = await listen((_req, _body, res) => problem(res, 503, 'unavailable'));
  t.after(s.close);
  await assert.rejects(api(s.url, 'tok').createTransfer({ files: [{ ciphertextSize: 72 }], recipients: ['a@b.example'] }), { code: 'unavailable' });
  assert.equal(s.seen.length, 1);
  assert.equal(s.seen[0]!.headers.authorization, 'Bearer tok');
});

test('idempotent GETs retry on 5xx and 429, honouring Retry-After', async (t) => {
  let n = 0;
  const s = await listen((_req, _body, res) => {
    n++;
    if (n === 1) return problem(res, 503, 'unavailable');
    if (n === 2) return problem(res, 429, 'rate_limited', {}, { 'retry-after': '2' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ transferId: ID, state: 'uploading', serverShare: null, files: [] }));
  });
  t.after(s.close);
  const client = api(s.url, 'tok');
  const status = await client.uploadStatus(ID);
  assert.equal(status.state, 'uploading');
  assert.equal(s.seen.length, 3);
  assert.equal(noSleep.sleeps.length, 2);
  assert.ok(noSleep.sleeps[1]! >= 2000, 'waited at least Retry-After');
});

test('retries stop after the configured number, and a too-long Retry-After is not waited for', async (t) => {
  const s = await listen((_req, _body, res) => problem(res, 502, 'unavailable'));
  t.after(s.close);
  await assert.rejects(api(s.url).listTransfers(), { code: 'unavailable' });
  assert.equal(s.seen.length, 4);

  const s2 = await listen((_req, _body, res) => problem(res, 429, 'rate_limited', { retryAfter: 3600 }));
  t.after(s2.close);
  await assert.rejects(api(s2.url).listTransfers(), (e: unknown) => e instanceof ApiError && e.retryAfter === 3600);
  assert.equal(s2.seen.length, 1);
});

test('part PUT sends bytes and the hash header; part GET sends the grant token; both retry', async (t) => {
  let puts = 0;
  const s = await listen((req, body, res) => {
    if (req.method === 'PUT') {
      puts++;
      if (puts === 1) return problem(res, 500, 'internal_error');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ index: 3, size: body.length, sha256: req.headers['x-valise-part-sha256'] }));
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.from([1, 2, 3]));
  });
  t.after(s.close);
  const client = api(s.url, 'member-token');
  const receipt = await client.putPart({ transferId: ID, fileId: ID, index: 3 }, new Uint8Array([9, 8, 7]), 'h'.repeat(43));
  assert.deepEqual(receipt, { index: 3, size: 3, sha256: 'h'.repeat(43) });
  const put = s.seen[1]!;
  assert.equal(put.url, `/api/v1/transfers/${ID}/files/${ID}/parts/3`);
  assert.equal(put.headers['content-type'], 'application/octet-stream');
  assert.equal(put.headers['x-valise-part-sha256'], 'h'.repeat(43));
  assert.deepEqual([...put.body], [9, 8, 7]);

  const bytes = await client.getPart({ transferId: ID, fileId: ID, index: 0 }, 'grant-token');
  assert.deepEqual([...bytes], [1, 2, 3]);
  const get = s.seen[2]!;
  assert.equal(get.url, `/api/v1/download/${ID}/files/${ID}/parts/0`);
  assert.equal(get.headers.authorization, 'Bearer grant-token', 'the grant token, not the member token');
});

test('a non-problem error (proxy page) still maps to a code', async (t) => {
  const s = await listen((_req, _body, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html>bad gateway</html>');
  });
  t.after(s.close);
  await assert.rejects(api(s.url).challenge(ID), (e: unknown) => e instanceof ApiError && e.status === 502 && e.code === 'unavailable');
});

test('network failures are ApiError network_error; cancellation is not', async (t) => {
  const s = await listen(() => undefined);
  await s.close();
  await assert.rejects(api(s.url).listTransfers(), (e: unknown) => e instanceof ApiError && e.code === 'network_error' && e.status === 0);
  assert.equal(noSleep.sleeps.length, 3, 'retried');

  const hang = await listen(() => undefined); // never answers
  t.after(hang.close);
  const controller = new AbortController();
  const pending = api(hang.url).listTransfers({}, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stop')), 50);
  await assert.rejects(pending, /stop/);
});

test('a request timeout is a retryable network error', async (t) => {
  const hang = await listen(() => undefined);
  t.after(hang.close);
  const client = new ValiseApi({ serverUrl: hang.url, timeoutMs: 50, retry: { retries: 0 } });
  await assert.rejects(client.listTransfers(), (e: unknown) => e instanceof ApiError && e.code === 'network_error' && /in time/.test(e.title));
});

test('normalizeServerUrl and parseRetryAfter', () => {
  assert.equal(normalizeServerUrl(' https://v.example/base/ '), 'https://v.example/base');
  assert.equal(normalizeServerUrl('https://v.example/#frag'), 'https://v.example');
  assert.throws(() => normalizeServerUrl('ftp://v.example'), /https/);
  assert.throws(() => normalizeServerUrl('https://u:p@v.example'), /user name/);
  assert.equal(parseRetryAfter('120'), 120);
  assert.ok([9, 10].includes(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())!));
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

test('deletionRecord GETs the record of a transfer with the token; a not-yet-purged one is not_found', async (t) => {
  const record = {
    transferId: ID, dataClass: 'health', reason: 'expired', deadlineAt: 1000, purgedAt: 4000, lagMs: 3000, blobCount: 1, bytes: 90,
    parts: [{ file: 0, index: 0, blobKey: 'ab'.repeat(16), size: 90, sha256: 'A'.repeat(43), goneAt: 3999 }],
  };
  let purged = false;
  const s = await listen((_req, _body, res) => {
    if (!purged) return problem(res, 404, 'not_found', { detail: 'not purged yet' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(record));
  });
  t.after(s.close);
  await assert.rejects(api(s.url, 't0ken').deletionRecord(ID), { code: 'not_found', status: 404 });
  purged = true;
  assert.deepEqual(await api(s.url, 't0ken').deletionRecord(ID), record);
  assert.deepEqual(s.seen.map((r) => [r.method, r.url, r.headers.authorization]), [
    ['GET', `/api/v1/transfers/${ID}/deletion-record`, 'Bearer t0ken'],
    ['GET', `/api/v1/transfers/${ID}/deletion-record`, 'Bearer t0ken'],
  ]);
});
