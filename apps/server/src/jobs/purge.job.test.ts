// The purge job on both databases and both blob stores: closing rules, crypto-shredding, blobs verified gone.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { it } from 'node:test';
import pg from 'pg';
import { newId } from '../accounts/tokens.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { advisoryLockKey } from '../db/transaction.js';
import { createLogger } from '../logger.js';
import { PurgeJob, purgeLockName, type PurgeJobDeps } from './purge.job.js';
import { DOWNLOADED_GRACE_MS } from './purge.repository.js';
import { RUNS_KEPT } from './purge-runs.repository.js';
import { describeEachStore } from '../transfers/transfer-test-kit.js';

describeEachStore('purge job', (s, { dialect }) => {
  const row = (id: string) => s.h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const job = (extra: Partial<PurgeJobDeps> = {}) => {
    const { ctx } = s.h.server;
    return new PurgeJob({ handle: ctx.database, blobs: ctx.blobs, clock: s.h.clock, audit: ctx.audit, logger: ctx.logger, intervalMs: 1000, ...extra });
  };
  const records = (id: string) => s.h.db.selectFrom('deletion_records').selectAll().where('transfer_id', '=', id).execute();
  const purgedEntries = (id: string) => s.h.db.selectFrom('audit_log').select('seq').where('action', '=', 'transfer.purged').where('target', '=', id).execute();

  it('purges an expired transfer in one run: secrets destroyed, blobs gone from storage, tombstone left', async () => {
    const sent = await s.h.send(s.alice, { sizes: [9_000_000, 10], expiresInSeconds: 3600 });
    const granted = await s.h.grant(sent, 'r@lab.example');
    assert.equal(granted.status, 200);
    // A member slot and a manifest signature beside the link (the inbox tests make real ones).
    const recipient = await s.h.db.selectFrom('recipients').select('id').where('transfer_id', '=', sent.transferId).executeTakeFirstOrThrow();
    await s.h.db.insertInto('member_slots').values({
      transfer_id: sent.transferId, slot_id: newId(), user_id: s.alice.id, recipient_id: recipient.id, fingerprint: randomBytes(32), wrapped: randomBytes(80),
      created_at: s.h.clock.now(),
    }).execute();
    await s.h.db.updateTable('transfers').set({ manifest_signature: randomBytes(64), signer_fingerprint: randomBytes(32) }).where('id', '=', sent.transferId).execute();
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
    assert.equal(t.manifest_signature, null);
    assert.deepEqual(await s.h.db.selectFrom('member_slots').select('slot_id').where('transfer_id', '=', sent.transferId).execute(), [], 'no member slot survives');
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

  it("closes a 'downloaded' class transfer once every recipient has downloaded, a live grant delaying it at most the grace", async () => {
    const recipients = ['a@lab.example', 'b@lab.example'];
    const health = await s.h.send(s.alice, { recipients, maxDownloads: 5, dataClass: 'health' });
    const standard = await s.h.send(s.alice, { recipients, maxDownloads: 5 });
    const quick = await s.h.send(s.alice, { recipients, maxDownloads: 5, dataClass: 'health' });
    assert.equal((await row(health.transferId)).data_class, 'health');
    const downloaded = async (transferId: string, email: string) =>
      s.h.db.updateTable('recipients').set({ downloaded_at: s.h.clock.now() }).where('transfer_id', '=', transferId).where('email', '=', email).execute();

    await downloaded(health.transferId, 'a@lab.example');
    await s.h.domain.purge.runOnce();
    assert.equal((await row(health.transferId)).state, 'ready', 'one recipient still to download');

    // b opens it (a live grant), and a's second device too; then b confirms: everyone has downloaded.
    assert.equal((await s.h.grant(health, 'b@lab.example')).status, 200);
    await downloaded(health.transferId, 'b@lab.example');
    for (const email of recipients) {
      await downloaded(standard.transferId, email);
      await downloaded(quick.transferId, email);
    }
    const first = await s.h.domain.purge.runOnce();
    assert.equal((await row(health.transferId)).state, 'ready', 'a grant is live and the grace has not run out');
    assert.equal((await row(standard.transferId)).state, 'ready', 'its class keeps it until expiry');
    assert.ok(first.purged.includes(quick.transferId), 'no grant live: closed and purged at once');
    assert.equal((await row(quick.transferId)).close_reason, 'downloaded');
    assert.ok(first.closed.downloaded >= 1);

    s.h.clock.advance(DOWNLOADED_GRACE_MS - 1);
    await s.h.domain.purge.runOnce();
    assert.equal((await row(health.transferId)).state, 'ready');
    s.h.clock.advance(1);
    const second = await s.h.domain.purge.runOnce();
    assert.ok(second.purged.includes(health.transferId));
    assert.equal((await row(health.transferId)).close_reason, 'downloaded');
    assert.equal((await row(standard.transferId)).state, 'ready');
    const [record] = await records(health.transferId);
    assert.equal(record?.reason, 'downloaded');
    assert.equal(record?.data_class, 'health');
    assert.equal(record?.deadline_at, s.h.clock.now(), 'the deadline of a downloaded transfer is its closing');
    assert.equal(record?.lag_ms, 0);
  });

  it('closes a held transfer on time but purges it only once every hold is released', async () => {
    const held = await s.h.send(s.alice, { expiresInSeconds: 3600 });
    const keys = await s.h.blobKeys(held.transferId);
    const hold = (releasedAt: number | null) => ({
      id: newId(), transfer_id: held.transferId, reason: 'litigation', placed_by: null, placed_at: s.h.clock.now(),
      released_by: null, released_at: releasedAt, release_reason: releasedAt === null ? null : 'done',
    });
    const active = hold(null);
    await s.h.db.insertInto('legal_holds').values([hold(s.h.clock.now()), active]).execute();
    s.h.clock.advance(3600 * 1000 + 1000);

    const during = await s.h.domain.purge.runOnce();
    assert.ok(!during.purged.includes(held.transferId));
    const t = await row(held.transferId);
    assert.deepEqual([t.state, t.close_reason], ['closed', 'expired'], 'closed on time: nothing is served');
    assert.notEqual(t.ss_enc, null, 'nothing of it destroyed while held');
    for (const key of keys) assert.notEqual(await s.h.server.ctx.blobs.stat(key), null);
    assert.deepEqual(await records(held.transferId), []);
    const gone = await s.h.request('POST', `/open/${held.transferId}/challenge`, { body: {} });
    assert.equal(gone.body.code, 'transfer_expired');

    s.h.clock.advance(60_000);
    await s.h.db.updateTable('legal_holds').set({ released_at: s.h.clock.now(), release_reason: 'settled' }).where('id', '=', active.id).execute();
    const after = await s.h.domain.purge.runOnce();
    assert.ok(after.purged.includes(held.transferId));
    for (const key of keys) assert.equal(await s.h.server.ctx.blobs.stat(key), null);
    const [record] = await records(held.transferId);
    assert.equal(record?.lag_ms, 61_000, 'the lag counts from the expiry, hold included');
  });

  it('leaves whole a transfer held after its batch was chosen, before its secrets went', async () => {
    const sent = await s.h.send(s.alice);
    await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} });
    const keys = await s.h.blobKeys(sent.transferId);
    const report = await job({
      faults: {
        async at(step, transferId) {
          if (step !== 'claimed' || transferId !== sent.transferId) return;
          await s.h.db.insertInto('legal_holds').values({
            id: newId(), transfer_id: transferId, reason: 'just in time', placed_by: null, placed_at: s.h.clock.now(),
            released_by: null, released_at: null, release_reason: null,
          }).execute();
        },
      },
    }).runOnce();
    assert.ok(!report.purged.includes(sent.transferId));
    assert.ok(!report.failed.includes(sent.transferId));
    const t = await row(sent.transferId);
    assert.equal(t.state, 'closed');
    assert.notEqual(t.ss_enc, null);
    for (const key of keys) assert.notEqual(await s.h.server.ctx.blobs.stat(key), null);
    assert.deepEqual(await records(sent.transferId), []);
  });

  it('leaves a transfer closed when the storage says a deleted blob is still there, and purges it once it is gone', async () => {
    const sent = await s.h.send(s.alice, { sizes: [10, 10] });
    await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} });
    const real = s.h.server.ctx.blobs;
    // A backend that acknowledges deletes it does not do.
    const lying: BlobStore = Object.assign(Object.create(real) as BlobStore, { delete: async () => undefined });
    const report = await job({ blobs: lying }).runOnce();
    assert.deepEqual(report.failed, [sent.transferId]);
    assert.ok(!report.purged.includes(sent.transferId));
    const t = await row(sent.transferId);
    assert.equal(t.state, 'closed');
    assert.equal(t.purge_attempts, 1);
    assert.equal(t.ss_enc, null, 'the secrets go first, whatever the storage does');
    assert.equal((await s.h.blobKeys(sent.transferId)).length, 2, 'the part rows stay for the next attempt');
    assert.deepEqual(await records(sent.transferId), []);

    const retried = await job().runOnce();
    assert.ok(retried.purged.includes(sent.transferId));
    assert.equal((await records(sent.transferId)).length, 1);
  });

  it('records each run in purge_runs (the newest ones kept) and logs its lag figures', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', stream: { write: (line: string) => void lines.push(line) } });
    const sent = await s.h.send(s.alice, { expiresInSeconds: 3600 });
    s.h.clock.advance(3600 * 1000 + 2500);
    // Old runs beyond what is kept: the run prunes them.
    const old = Array.from({ length: RUNS_KEPT + 5 }, (_, i) => ({ id: newId(), instance: 'old', started_at: i, finished_at: i + 1 }));
    for (let i = 0; i < old.length; i += 200) await s.h.db.insertInto('purge_runs').values(old.slice(i, i + 200)).execute();

    const report = await job({ logger }).runOnce();
    assert.ok(report.purged.includes(sent.transferId));
    assert.equal(report.lagMs?.max, 2500);
    const runs = await s.h.db.selectFrom('purge_runs').selectAll().orderBy('started_at', 'desc').execute();
    assert.equal(runs.length, RUNS_KEPT);
    const mine = runs[0]!;
    assert.equal(mine.instance, `${hostname()}:${process.pid}`);
    assert.equal(mine.started_at, s.h.clock.now());
    assert.equal(mine.finished_at, s.h.clock.now());
    assert.equal(mine.purged, report.purged.length);
    assert.equal(mine.failed, 0);
    assert.ok(runs.every((r) => r.instance !== 'old' || r.started_at >= 6), 'the oldest went');
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'purge run');
    assert.deepEqual(logged?.lagMs, report.lagMs);
    assert.equal(logged?.purged, report.purged.length);
  });

  it('purges each transfer once when two jobs run at the same time', async () => {
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await s.h.send(s.alice, { sizes: [10, 10] }));
    for (const t of sent) await s.h.request('POST', `/transfers/${t.transferId}/revoke`, { token: s.alice.token, body: {} });
    const [a, b] = await Promise.all([job({ batchSize: 2, instance: 'a' }).runOnce(), job({ batchSize: 3, instance: 'b' }).runOnce()]);
    if (dialect === 'postgres') assert.ok(a.skipped || b.skipped, 'the lock lets one run at a time');
    const ids = sent.map((t) => t.transferId);
    const byA = a.purged.filter((id) => ids.includes(id));
    const byB = b.purged.filter((id) => ids.includes(id));
    assert.deepEqual([...byA, ...byB].sort(), [...ids].sort(), 'every transfer purged by exactly one of them');
    assert.deepEqual([...a.failed, ...b.failed], []);
    for (const id of ids) {
      assert.equal((await row(id)).state, 'purged');
      assert.equal((await records(id)).length, 1);
      assert.equal((await purgedEntries(id)).length, 1);
    }
    assert.equal((await s.h.server.ctx.audit.verifyChain()).ok, true);
  });
});

