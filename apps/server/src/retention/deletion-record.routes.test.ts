// GET /api/v1/transfers/:id/deletion-record over real HTTP, on both databases and both blob stores: the sender
// sees what the purge deleted (parts with their upload-time SHA-256 and the storage's "gone"), nobody else does.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachStore, partBytes, plaintextSizeFor, sha256Of } from '../transfers/transfer-test-kit.js';

describeEachStore('deletion record (sender view)', (s) => {
  const get = (transferId: string, token?: string) =>
    s.h.request('GET', `/transfers/${transferId}/deletion-record`, token === undefined ? {} : { token });

  it('answers 404 until the purge, then the record: parts, SHA-256 as uploaded, deadline, lag, storage confirmation', async () => {
    const sent = await s.h.send(s.alice, { sizes: [9_000_000, 10], expiresInSeconds: 3600 });
    const keys = await s.h.db.selectFrom('parts').innerJoin('transfer_files', 'transfer_files.id', 'parts.file_id')
      .select(['transfer_files.idx as file', 'parts.idx', 'parts.blob_key']).where('parts.transfer_id', '=', sent.transferId)
      .orderBy('transfer_files.idx').orderBy('parts.idx').execute();
    assert.equal(keys.length, 3);
    const { expires_at: expiresAt } = await s.h.db.selectFrom('transfers').select('expires_at').where('id', '=', sent.transferId).executeTakeFirstOrThrow();

    const early = await get(sent.transferId, s.alice.token);
    assert.equal(early.status, 404);
    assert.equal(early.body.code, 'not_found');
    assert.match(early.body.detail, /not purged yet/);

    s.h.clock.advance(3600 * 1000 + 4000);
    assert.ok((await s.h.domain.purge.runOnce()).purged.includes(sent.transferId));
    const purgedAt = s.h.clock.now();

    const reply = await get(sent.transferId, s.alice.token);
    assert.equal(reply.status, 200);
    const expectedParts = keys.map((k) => {
      const file = sent.files[k.file]!;
      const bytes = partBytes(file, plaintextSizeFor(file.length), k.idx);
      return { file: k.file, index: k.idx, blobKey: k.blob_key, size: bytes.length, sha256: sha256Of(bytes), goneAt: purgedAt };
    });
    assert.deepEqual(reply.body, {
      transferId: sent.transferId,
      dataClass: 'standard',
      reason: 'expired',
      deadlineAt: expiresAt,
      purgedAt,
      lagMs: 4000,
      blobCount: 3,
      bytes: sent.files.reduce((n, f) => n + f.length, 0),
      parts: expectedParts,
    });
    // The record speaks of objects that the storage no longer has.
    for (const part of expectedParts) assert.equal(await s.h.server.ctx.blobs.stat(part.blobKey), null);
  });

  it('says why and when for a revoked transfer', async () => {
    const sent = await s.h.send(s.alice);
    await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} });
    const { closed_at: closedAt } = await s.h.db.selectFrom('transfers').select('closed_at').where('id', '=', sent.transferId).executeTakeFirstOrThrow();
    s.h.clock.advance(1500);
    await s.h.domain.purge.runOnce();
    const reply = await get(sent.transferId, s.alice.token);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.reason, 'revoked');
    assert.equal(reply.body.deadlineAt, closedAt);
    assert.equal(reply.body.lagMs, 1500);
    assert.equal(reply.body.parts.length, 1);
  });

  it('is the sender\'s alone: another member gets the 404 of a transfer that does not exist; no token gets 401', async () => {
    const sent = await s.h.send(s.alice);
    await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} });
    await s.h.domain.purge.runOnce();
    assert.equal((await get(sent.transferId, s.alice.token)).status, 200);

    const bob = await s.h.member();
    const theirs = await get(sent.transferId, bob.token);
    const nothing = await get('AAAAAAAAAAAAAAAAAAAAAA', bob.token);
    assert.equal(theirs.status, 404);
    assert.deepEqual(theirs.body, nothing.body, 'indistinguishable from an unknown id');
    assert.equal(theirs.body.detail, undefined, 'says nothing of the transfer\'s state');
    assert.equal((await get(sent.transferId)).status, 401);
    assert.equal((await get('not-an-id', s.alice.token)).status, 400);
  });
});
