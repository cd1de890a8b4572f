// ValiseApi's member-key calls over a real HTTP listener: method, path, query, body and token of each; only GETs retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UnlockWrap } from '@valise/protocol';
import { ApiError } from './api-error.js';
import { ValiseApi } from './api-client.js';

const ID = 'AAECAwQFBgcICQoLDA0ODw';
const TOKEN = 't'.repeat(43);

async function listen(answer: (req: IncomingMessage) => { status: number; body: unknown }) {
  const seen: { method: string; url: string; authorization: string | undefined; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body: Buffer.concat(chunks).toString() });
      const { status, body } = answer(req);
      const type = status >= 400 ? 'application/problem+json' : 'application/json';
      res.writeHead(status, { 'content-type': type });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('every member-key call goes to its route with its body, and answers the JSON', async (t) => {
  const s = await listen(() => ({ status: 200, body: { ok: true } }));
  t.after(s.close);
  const api = new ValiseApi({ serverUrl: s.url, token: TOKEN, retry: { retries: 0 } });
  const wrap: UnlockWrap = { wrapId: ID, kind: 'recovery', argon2: null, credentialId: null, wrapped: 'w'.repeat(139) };
  const setUp = { record: '{}', bundle: 'AAAA', wraps: [wrap] };
  const certify = { fingerprint: 'f'.repeat(43), certificate: 'c'.repeat(86) };
  const calls: [() => Promise<unknown>, string, string, unknown][] = [
    [() => api.getOrgKey(), 'GET', '/api/v1/org-key', undefined],
    [() => api.setUpMemberKeys(setUp), 'PUT', '/api/v1/me/keys', setUp],
    [() => api.getMyKeys(), 'GET', '/api/v1/me/keys', undefined],
    [() => api.addUnlockWrap({ wrap, replaces: ID }), 'POST', '/api/v1/me/keys/wraps', { wrap, replaces: ID }],
    [() => api.deleteUnlockWrap(ID), 'DELETE', `/api/v1/me/keys/wraps/${ID}`, undefined],
    [() => api.getMemberKeyByEmail('A+b@lab.example'), 'GET', '/api/v1/members/key?email=A%2Bb%40lab.example', undefined],
    [() => api.getMemberKeyById(ID), 'GET', `/api/v1/members/${ID}/key`, undefined],
    [() => api.listMemberKeysForAdmin({ status: 'pending' }), 'GET', '/api/v1/admin/member-keys?status=pending', undefined],
    [() => api.listMemberKeysForAdmin(), 'GET', '/api/v1/admin/member-keys', undefined],
    [() => api.certifyMemberKey(ID, certify), 'POST', `/api/v1/admin/member-keys/${ID}/certificate`, certify],
  ];
  for (const [call] of calls) assert.deepEqual(await call(), { ok: true });
  assert.equal(s.seen.length, calls.length);
  calls.forEach(([, method, url, body], i) => {
    const seen = s.seen[i]!;
    assert.equal(seen.method, method, url);
    assert.equal(seen.url, url);
    assert.equal(seen.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(seen.body === '' ? undefined : JSON.parse(seen.body), body, url);
  });
});

test('a refused set-up is an ApiError with the server\'s code, and is not retried', async (t) => {
  const s = await listen(() => ({ status: 409, body: { type: 'urn:valise:problem:member_keys_exist', title: 'x', status: 409, code: 'member_keys_exist' } }));
  t.after(s.close);
  const api = new ValiseApi({ serverUrl: s.url, token: TOKEN, retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 1 } });
  await assert.rejects(api.setUpMemberKeys({ record: '{}', bundle: 'AAAA', wraps: [] }), (e: unknown) => e instanceof ApiError && e.code === 'member_keys_exist' && e.status === 409);
  assert.equal(s.seen.length, 1);
});
