// Downloads over real HTTP on both databases and both blob stores: nothing consumed by GET/HEAD, Range, 410s.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PART_HASH_HEADER } from '@valise/protocol';
import { Harness, describeEachStore, partBytes, plaintextSizeFor, sha256Of, type SentTransfer } from '../transfers/transfer-test-kit.js';

describeEachStore('downloads', (s) => {
  async function opened(options: Parameters<Harness['send']>[1] = {}): Promise<{ sent: SentTransfer; grant: string }> {
    const sent = await s.h.send(s.alice, { recipients: ['rita@lab.example'], ...options });
    const granted = await s.h.grant(sent, 'rita@lab.example');
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    return { sent, grant: granted.body.grantToken };
  }
  const partPath = (sent: SentTransfer, k = 0, file = 0) => `/download/${sent.transferId}/files/${sent.created.files[file]!.fileId}/parts/${k}`;
  const expectedPart = (sent: SentTransfer, k = 0, file = 0) =>
    partBytes(sent.files[file]!, plaintextSizeFor(sent.created.files[file]!.ciphertextSize), k);

  it('serves parts with their hash; GET and HEAD consume nothing', async () => {
    const { sent, grant } = await opened({ sizes: [9_000_000], maxDownloads: 2 });
    for (const k of [0, 1]) {
      const r = await s.h.request('GET', partPath(sent, k), { token: grant });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, expectedPart(sent, k));
      assert.equal(r.headers.get(PART_HASH_HEADER), sha256Of(expectedPart(sent, k)));
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(Number(r.headers.get('content-length')), expectedPart(sent, k).length);
    }
    const head = await s.h.request('HEAD', partPath(sent, 1), { token: grant });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), expectedPart(sent, 1).length);
    assert.equal(head.body.length, 0);
    for (let i = 0; i < 10; i++) {
      await s.h.request('GET', partPath(sent, 1), { token: grant });
      await s.h.request('HEAD', partPath(sent, 0), { token: grant });
    }
    assert.equal(await s.h.downloadsUsed(sent.transferId), 1, 'only the grant consumed a download');
  });

  it('supports single byte ranges (206) and refuses others (416)', async () => {
    const { sent, grant } = await opened();
    const part = expectedPart(sent);
    const mid = await s.h.request('GET', partPath(sent), { token: grant, headers: { range: 'bytes=10-19' } });
    assert.equal(mid.status, 206);
    assert.deepEqual(mid.body, part.subarray(10, 20));
    assert.equal(mid.headers.get('content-range'), `bytes 10-19/${part.length}`);
    assert.equal(mid.headers.get(PART_HASH_HEADER), sha256Of(part), 'the hash is always of the whole part');
    const tail = await s.h.request('GET', partPath(sent), { token: grant, headers: { range: 'bytes=-7' } });
    assert.deepEqual(tail.body, part.subarray(part.length - 7));
    const open = await s.h.request('GET', partPath(sent), { token: grant, headers: { range: 'bytes=1000-' } });
    assert.deepEqual(open.body, part.subarray(1000));
    const beyond = await s.h.request('GET', partPath(sent), { token: grant, headers: { range: `bytes=${part.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal((beyond.body as { code: string }).code, 'range_not_satisfiable');
    assert.equal(beyond.headers.get('content-range'), `bytes */${part.length}`);
    const multi = await s.h.request('GET', partPath(sent), { token: grant, headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(multi.status, 416);
  });

  it('needs a live grant of this very transfer', async () => {
    const { sent, grant } = await opened();
    const other = await opened();
    const none = await s.h.request('GET', partPath(sent));
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'grant_invalid');
    const foreign = await s.h.request('GET', partPath(sent), { token: other.grant });
    assert.equal(foreign.status, 401);
    const missing = await s.h.request('GET', `/download/${sent.transferId}/files/${sent.created.files[0]!.fileId}/parts/7`, { token: grant });
    assert.equal(missing.status, 404);
  });

  it('slides the grant on use and ends it after 30 idle minutes or on completion', async () => {
    const { sent, grant } = await opened({ maxDownloads: 2 });
    s.h.clock.advance(20 * 60_000);
    assert.equal((await s.h.request('GET', partPath(sent), { token: grant })).status, 200);
    s.h.clock.advance(20 * 60_000);
    assert.equal((await s.h.request('HEAD', partPath(sent), { token: grant })).status, 200, 'the GET slid the idle timeout');
    s.h.clock.advance(11 * 60_000);
    assert.equal((await s.h.request('GET', partPath(sent), { token: grant })).status, 401, 'HEAD does not slide it');

    const second = (await s.h.grant(sent, 'rita@lab.example')).body.grantToken;
    const done = await s.h.request('POST', `/download/${sent.transferId}/complete`, { token: second, body: {} });
    assert.equal(done.status, 204);
    assert.equal((await s.h.request('GET', partPath(sent), { token: second })).status, 401);
    const detail = await s.h.request('GET', `/transfers/${sent.transferId}`, { token: s.alice.token });
    assert.ok(detail.body.events.some((e: { kind: string; recipient: string }) => e.kind === 'download_complete' && e.recipient === 'rita@lab.example'));
  });

  it('releases the opened transfer again to its live grant, consuming nothing (resume)', async () => {
    const sent = await s.h.send(s.alice, { recipients: ['rita@lab.example'], maxDownloads: 1 });
    const first = await s.h.grant(sent, 'rita@lab.example');
    assert.equal(first.status, 200);
    const { grantToken, ...released } = first.body;
    s.h.clock.advance(25 * 60_000);
    const again = await s.h.request('GET', `/download/${sent.transferId}`, { token: grantToken });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.headers.get('cache-control'), 'no-store');
    assert.deepEqual({ ...again.body, grantExpiresAt: 0 }, { ...released, grantExpiresAt: 0 }, 'the same SS, slot, manifest and files');
    assert.equal(again.body.grantExpiresAt, s.h.clock.now() + 30 * 60_000, 'resuming slides the grant');
    assert.equal(await s.h.downloadsUsed(sent.transferId), 1, 'resuming spent nothing, even on an exhausted transfer');
    const detail = await s.h.request('GET', `/transfers/${sent.transferId}`, { token: s.alice.token });
    assert.ok(detail.body.events.some((e: { kind: string; recipient: string }) => e.kind === 'resumed' && e.recipient === 'rita@lab.example'));

    assert.equal((await s.h.request('GET', `/download/${sent.transferId}`)).body.code, 'grant_invalid');
    const other = await opened();
    assert.equal((await s.h.request('GET', `/download/${sent.transferId}`, { token: other.grant })).status, 401, 'a grant opens only its own transfer');
    assert.equal((await s.h.request('POST', `/download/${sent.transferId}/complete`, { token: grantToken, body: {} })).status, 204);
    assert.equal((await s.h.request('GET', `/download/${sent.transferId}`, { token: grantToken })).body.code, 'grant_invalid', 'a completed grant is over');

    const { sent: revoked, grant } = await opened();
    assert.equal((await s.h.request('POST', `/transfers/${revoked.transferId}/revoke`, { token: s.alice.token, body: {} })).status, 200);
    const gone = await s.h.request('GET', `/download/${revoked.transferId}`, { token: grant });
    assert.equal(gone.status, 410);
    assert.equal(gone.body.code, 'transfer_revoked');
  });

  it('lets the last grant finish an exhausted transfer', async () => {
    const { sent, grant } = await opened({ maxDownloads: 1 });
    const refused = await s.h.request('POST', `/open/${sent.transferId}/challenge`, { body: {} });
    assert.equal(refused.status, 410);
    assert.equal(refused.body.code, 'transfer_exhausted');
    assert.equal((await s.h.request('GET', partPath(sent), { token: grant })).status, 200);
  });

  it('stops a download at the next request once revoked (410 transfer_revoked)', async () => {
    const { sent, grant } = await opened();
    assert.equal((await s.h.request('GET', partPath(sent), { token: grant })).status, 200);
    assert.equal((await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} })).status, 200);
    const r = await s.h.request('GET', partPath(sent), { token: grant });
    assert.equal(r.status, 410);
    assert.equal(r.body.code, 'transfer_revoked');
    assert.equal((await s.h.request('POST', `/open/${sent.transferId}/challenge`, { body: {} })).body.code, 'transfer_revoked');
  });

  it('answers transfer_expired once past expiry, before any purge ran', async () => {
    const { sent, grant } = await opened({ expiresInSeconds: 3600 });
    s.h.clock.advance(3600 * 1000);
    const r = await s.h.request('GET', partPath(sent), { token: grant });
    assert.equal(r.status, 410);
    assert.equal(r.body.code, 'transfer_expired');
    assert.equal((await s.h.request('POST', `/open/${sent.transferId}/challenge`, { body: {} })).body.code, 'transfer_expired');
    const row = await s.h.db.selectFrom('transfers').select('state').where('id', '=', sent.transferId).executeTakeFirstOrThrow();
    assert.equal(row.state, 'ready', 'the clock decided, not the purge job');
  });
});
