// The purge job on both databases and both blob stores: closing rules, crypto-shredding, blobs verified gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { advisoryLockKey } from '../db/transaction.js';
import { purgeLockName } from './purge.job.js';
import { availableDialects } from '../testing/databases.js';
import { Harness, type Member } from '../transfers/transfer-test-kit.js';

describe('purge job', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    for (const blobs of ['fs', 's3'] as const) {
      describe(`${dialect} + ${blobs}`, () => {
        let h: Harness;
        let alice: Member;
        before(async () => {
          h = await Harness.start({ dialect, blobs });
          alice = await h.member();
        });
        after(async () => h?.close());

        const row = (id: string) => h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

        it('purges an expired transfer in one run: secrets destroyed, blobs gone from storage, tombstone left', async () => {
          const sent = await h.send(alice, { sizes: [9_000_000, 10], expiresInSeconds: 3600 });
          const granted = await h.grant(sent, 'r@lab.example');
          assert.equal(granted.status, 200);
          const keys = await h.blobKeys(sent.transferId);
          assert.equal(keys.length, 3);
          h.clock.advance(3600 * 1000 + 5000);

          const report = await h.domain.purge.runOnce();
          assert.ok(report.purged.includes(sent.transferId));
          assert.ok(report.closed.expired >= 1);
          const t = await row(sent.transferId);
          assert.equal(t.state, 'purged');
          assert.equal(t.close_reason, 'expired');
          assert.equal(t.purged_at, h.clock.now());
          assert.equal(t.ss_enc, null);
          assert.equal(t.link_slot, null);
          assert.equal(t.link_auth_key, null);
          assert.equal(t.manifest, null);
          for (const key of keys) assert.equal(await h.server.ctx.blobs.stat(key), null);
          const stored = await h.storedKeys();
          assert.ok(keys.every((k) => !stored.includes(k)), 'not listed by the store either');
          assert.deepEqual(await h.blobKeys(sent.transferId), []);
          for (const table of ['grants', 'openings', 'link_challenges'] as const) {
            const left = await h.db.selectFrom(table).select('id').where('transfer_id', '=', sent.transferId).execute();
            assert.deepEqual(left, [], `${table} emptied`);
          }
          // The tombstone keeps sizes and parties for the audit period.
          assert.equal((await h.db.selectFrom('transfer_files').select('id').where('transfer_id', '=', sent.transferId).execute()).length, 2);
          assert.equal((await h.db.selectFrom('recipients').select('id').where('transfer_id', '=', sent.transferId).execute()).length, 1);
          const audit = await h.db.selectFrom('audit_log').selectAll().where('action', '=', 'transfer.purged').where('target', '=', sent.transferId).execute();
          assert.equal(audit.length, 1);
          assert.deepEqual(JSON.parse(audit[0]!.detail!), { reason: 'expired', blobs: 3, bytes: sent.files.reduce((n, f) => n + f.length, 0), lagMs: 5000 });
          assert.equal((await h.server.ctx.audit.verifyChain()).ok, true);

          const gone = await h.request('POST', `/open/${sent.transferId}/challenge`, { body: {} });
          assert.equal(gone.body.code, 'transfer_expired');
          const again = await h.domain.purge.runOnce();
          assert.ok(!again.purged.includes(sent.transferId), 'idempotent: a purged transfer stays purged');
        });

        it('purges revoked transfers and abandoned uploads; keeps an exhausted one while its grant lives', async () => {
          const revoked = await h.send(alice);
          await h.request('POST', `/transfers/${revoked.transferId}/revoke`, { token: alice.token, body: {} });
          const abandoned = (await h.create(alice, [10])).body;
          await h.uploadFile(alice, abandoned, 0, Buffer.alloc(abandoned.files[0].ciphertextSize));
          const exhausted = await h.send(alice, { maxDownloads: 1 });
          assert.equal((await h.grant(exhausted, 'r@lab.example')).status, 200);

          const first = await h.domain.purge.runOnce();
          assert.ok(first.purged.includes(revoked.transferId));
          assert.equal((await row(revoked.transferId)).state, 'purged');
          assert.equal((await row(abandoned.transferId)).state, 'uploading', 'not abandoned yet');
          assert.equal((await row(exhausted.transferId)).state, 'ready', 'its grant is still live');

          h.clock.advance(24 * 3600 * 1000);
          const second = await h.domain.purge.runOnce();
          assert.ok(second.purged.includes(abandoned.transferId));
          assert.ok(second.purged.includes(exhausted.transferId));
          assert.equal((await row(abandoned.transferId)).close_reason, 'abandoned');
          assert.equal((await row(exhausted.transferId)).close_reason, 'exhausted');
          assert.deepEqual(await h.blobKeys(abandoned.transferId), []);
        });

        if (dialect === 'postgres') {
          it('skips a run while another instance holds the purge lock', async () => {
            const sent = await h.send(alice);
            await h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: alice.token, body: {} });
            const config = h.server.ctx.config.database;
            assert.equal(config.kind, 'postgres');
            const other = new pg.Client({ connectionString: config.kind === 'postgres' ? config.url : '' });
            await other.connect();
            try {
              const { rows } = await other.query<{ schema: string }>('select current_schema() as schema');
              const lockKey = advisoryLockKey(purgeLockName(rows[0]!.schema));
              await other.query('select pg_advisory_lock($1::bigint)', [lockKey]);
              const skipped = await h.domain.purge.runOnce();
              assert.equal(skipped.skipped, true);
              assert.equal((await row(sent.transferId)).state, 'closed');
              await other.query('select pg_advisory_unlock($1::bigint)', [lockKey]);
            } finally {
              await other.end();
            }
            assert.ok((await h.domain.purge.runOnce()).purged.includes(sent.transferId));
          });
        }
      });
    }
  }
});
