// The purge job on both databases and both blob stores: closing rules, crypto-shredding, blobs verified gone.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import pg from 'pg';
import { advisoryLockKey } from '../db/transaction.js';
import { purgeLockName } from './purge.job.js';
import { describeEachStore } from '../transfers/transfer-test-kit.js';

describeEachStore('purge job', (s, { dialect }) => {
  const row = (id: string) => s.h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('purges an expired transfer in one run: secrets destroyed, blobs gone from storage, tombstone left', async () => {
    const sent = await s.h.send(s.alice, { sizes: [9_000_000, 10], expiresInSeconds: 3600 });
    const granted = await s.h.grant(sent, 'r@lab.example');
    assert.equal(granted.status, 200);
    const keys = await s.h.blobKeys(sent.transferId);
    assert.equal(keys.length, 3);
    s.h.clock.advance(3600 * 1000 + 5000);

    const report = await s.h.domain.purge.runOnce();
    assert.ok(report.purged.includes(sent.transferId));
    assert.ok(report.closed.expired >= 1);
    const t = await row(sent.transferId);
    assert.equal(t.state, 'purged');
    assert.equal(t.close_reason, 'expired');
    assert.equal(t.purged_at, s.h.clock.now());
    assert.equal(t.ss_enc, null);
    assert.equal(t.link_slot, null);
    assert.equal(t.link_auth_key, null);
    assert.equal(t.manifest, null);
    for (const key of keys) assert.equal(await s.h.server.ctx.blobs.stat(key), null);
    const stored = await s.h.storedKeys();
    assert.ok(keys.every((k) => !stored.includes(k)), 'not listed by the store either');
    assert.deepEqual(await s.h.blobKeys(sent.transferId), []);
    for (const table of ['grants', 'openings', 'link_challenges'] as const) {
      const left = await s.h.db.selectFrom(table).select('id').where('transfer_id', '=', sent.transferId).execute();
      assert.deepEqual(left, [], `${table} emptied`);
    }
    // The tombstone keeps sizes and parties for the audit period.
    assert.equal((await s.h.db.selectFrom('transfer_files').select('id').where('transfer_id', '=', sent.transferId).execute()).length, 2);
    assert.equal((await s.h.db.selectFrom('recipients').select('id').where('transfer_id', '=', sent.transferId).execute()).length, 1);
    const audit = await s.h.db.selectFrom('audit_log').selectAll().where('action', '=', 'transfer.purged').where('target', '=', sent.transferId).execute();
    assert.equal(audit.length, 1);
    assert.deepEqual(JSON.parse(audit[0]!.detail!), { reason: 'expired', blobs: 3, bytes: sent.files.reduce((n, f) => n + f.length, 0), lagMs: 5000 });
    assert.equal((await s.h.server.ctx.audit.verifyChain()).ok, true);

    const gone = await s.h.request('POST', `/open/${sent.transferId}/challenge`, { body: {} });
    assert.equal(gone.body.code, 'transfer_expired');
    const again = await s.h.domain.purge.runOnce();
    assert.ok(!again.purged.includes(sent.transferId), 'idempotent: a purged transfer stays purged');
  });

  it('purges revoked transfers and abandoned uploads; keeps an exhausted one while its grant lives', async () => {
    const revoked = await s.h.send(s.alice);
    await s.h.request('POST', `/transfers/${revoked.transferId}/revoke`, { token: s.alice.token, body: {} });
    const abandoned = (await s.h.create(s.alice, [10])).body;
    await s.h.uploadFile(s.alice, abandoned, 0, Buffer.alloc(abandoned.files[0].ciphertextSize));
    const exhausted = await s.h.send(s.alice, { maxDownloads: 1 });
    assert.equal((await s.h.grant(exhausted, 'r@lab.example')).status, 200);

    const first = await s.h.domain.purge.runOnce();
    assert.ok(first.purged.includes(revoked.transferId));
    assert.equal((await row(revoked.transferId)).state, 'purged');
    assert.equal((await row(abandoned.transferId)).state, 'uploading', 'not abandoned yet');
    assert.equal((await row(exhausted.transferId)).state, 'ready', 'its grant is still live');

    s.h.clock.advance(24 * 3600 * 1000);
    const second = await s.h.domain.purge.runOnce();
    assert.ok(second.purged.includes(abandoned.transferId));
    assert.ok(second.purged.includes(exhausted.transferId));
    assert.equal((await row(abandoned.transferId)).close_reason, 'abandoned');
    assert.equal((await row(exhausted.transferId)).close_reason, 'exhausted');
    assert.deepEqual(await s.h.blobKeys(abandoned.transferId), []);
  });

  if (dialect === 'postgres') {
    it('skips a run while another instance holds the purge lock', async () => {
      const sent = await s.h.send(s.alice);
      await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} });
      const config = s.h.server.ctx.config.database;
      assert.equal(config.kind, 'postgres');
      const other = new pg.Client({ connectionString: config.kind === 'postgres' ? config.url : '' });
      await other.connect();
      try {
        const { rows } = await other.query<{ schema: string }>('select current_schema() as schema');
        const lockKey = advisoryLockKey(purgeLockName(rows[0]!.schema));
        await other.query('select pg_advisory_lock($1::bigint)', [lockKey]);
        const skipped = await s.h.domain.purge.runOnce();
        assert.equal(skipped.skipped, true);
        assert.equal((await row(sent.transferId)).state, 'closed');
        await other.query('select pg_advisory_unlock($1::bigint)', [lockKey]);
      } finally {
        await other.end();
      }
      assert.ok((await s.h.domain.purge.runOnce()).purged.includes(sent.transferId));
    });
  }
});
