// The retention report on SQLite and PostgreSQL, each test on a fresh server: live transfers by class and age,
// overdue transfers (held or not), purge lag percentiles, the last purge run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../accounts/tokens.js';
import { availableDialects } from '../testing/databases.js';
import { Harness, type Member } from '../transfers/transfer-test-kit.js';
import { LegalHoldService } from './legal-hold.service.js';
import { defaultGraceMs, retentionReport, serverRetentionReport, type RetentionReportOptions } from './retention-report.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('retention report', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      async function fresh(t: { after(fn: () => Promise<void>): void }): Promise<{ h: Harness; alice: Member; report: (o?: RetentionReportOptions) => ReturnType<typeof retentionReport> }> {
        const h = await Harness.start({ dialect });
        t.after(() => h.close());
        const alice = await h.member();
        const report = (o: RetentionReportOptions = {}) =>
          retentionReport({ handle: h.server.ctx.database, clock: h.clock, purgeIntervalMs: 30_000 }, { graceMs: MINUTE, ...o });
        return { h, alice, report };
      }
      const bytesOf = (sent: { created: { files: readonly { ciphertextSize: number }[] } }) => sent.created.files.reduce((n, f) => n + f.ciphertextSize, 0);

      it('counts live transfers and their bytes by class and age, every bucket shown', async (t) => {
        const { h, alice, report } = await fresh(t);
        const empty = await report();
        assert.deepEqual(empty.live, {
          transfers: 0, bytes: 0,
          byClass: ['health', 'standard'].map((dataClass) => ({
            dataClass, transfers: 0, bytes: 0, ages: ['<1d', '1-7d', '7-30d', '>30d'].map((age) => ({ age, transfers: 0, bytes: 0 })),
          })),
        });

        const old = await h.send(alice, { sizes: [1000], expiresInSeconds: 30 * 86_400 });
        h.clock.advance(10 * DAY);
        const mid = await h.send(alice, { sizes: [2000], dataClass: 'health' });
        h.clock.advance(2 * DAY);
        const young = await h.send(alice, { sizes: [3000, 40] });
        const uploading = (await h.create(alice, [500])).body;
        const r = await report();
        const standard = r.live.byClass.find((c) => c.dataClass === 'standard')!;
        const health = r.live.byClass.find((c) => c.dataClass === 'health')!;
        const youngBytes = bytesOf(young) + uploading.files[0].ciphertextSize;
        assert.deepEqual(standard.ages, [
          { age: '<1d', transfers: 2, bytes: youngBytes },
          { age: '1-7d', transfers: 0, bytes: 0 },
          { age: '7-30d', transfers: 1, bytes: bytesOf(old) },
          { age: '>30d', transfers: 0, bytes: 0 },
        ]);
        assert.deepEqual(health.ages.map((a) => [a.age, a.transfers, a.bytes]), [['<1d', 0, 0], ['1-7d', 1, bytesOf(mid)], ['7-30d', 0, 0], ['>30d', 0, 0]]);
        assert.equal(r.live.transfers, 4);
        assert.equal(r.live.bytes, youngBytes + bytesOf(old) + bytesOf(mid));
        assert.equal(r.overdue.count, 0);
        assert.equal(r.generatedAt, h.clock.now());

        // Purged transfers are not live; closed ones still hold data until purged.
        await h.request('POST', `/transfers/${old.transferId}/revoke`, { token: alice.token, body: {} });
        assert.equal((await report()).live.transfers, 4, 'revoked, not purged yet: still stored');
        await h.domain.purge.runOnce();
        const after = await report();
        assert.equal(after.live.transfers, 3);
        assert.equal(after.live.byClass.find((c) => c.dataClass === 'standard')!.ages[2]!.transfers, 0);
        h.clock.advance(30 * DAY);
        assert.deepEqual((await report()).live.byClass.map((c) => c.ages[3]!.transfers), [1, 2], 'more than 30 days old, health and standard');
        await h.domain.purge.runOnce();
        assert.deepEqual((await report()).live.transfers, 0, 'all expired or abandoned, and purged');
      });

      it('lists what is past its deadline and not purged, held or not, most overdue first; the purge leaves only the held', async (t) => {
        const { h, alice, report } = await fresh(t);
        const t0 = h.clock.now();
        const revoked = await h.send(alice);
        await h.request('POST', `/transfers/${revoked.transferId}/revoke`, { token: alice.token, body: {} });
        const [a, held] = [await h.send(alice, { expiresInSeconds: 3600 }), await h.send(alice, { expiresInSeconds: 3600 })];
        const b = await h.send(alice, { expiresInSeconds: 7200 });
        const upload = (await h.create(alice, [10])).body;
        const holds = new LegalHoldService({ handle: h.server.ctx.database, audit: h.server.ctx.audit, clock: h.clock, purge: h.domain.purge });
        await holds.place('cli:root', held.transferId, 'Case 5');
        h.clock.advance(3 * HOUR);

        const r = await report();
        assert.deepEqual({ count: r.overdue.count, unheld: r.overdue.unheld, graceMs: r.overdue.graceMs }, { count: 4, unheld: 3, graceMs: MINUTE });
        const byDeadline = [a, held].map((x) => x.transferId).sort();
        assert.deepEqual(r.overdue.transfers.map((o) => o.transferId), [revoked.transferId, ...byDeadline, b.transferId]);
        assert.deepEqual(r.overdue.transfers[0], {
          transferId: revoked.transferId, dataClass: 'standard', state: 'closed', reason: 'revoked', deadlineAt: t0, held: false, lateMs: 3 * HOUR,
        });
        const heldEntry = r.overdue.transfers.find((o) => o.transferId === held.transferId)!;
        assert.deepEqual({ state: heldEntry.state, reason: heldEntry.reason, held: heldEntry.held, lateMs: heldEntry.lateMs }, { state: 'ready', reason: 'expired', held: true, lateMs: 2 * HOUR });
        assert.equal(r.overdue.transfers.find((o) => o.transferId === b.transferId)!.lateMs, HOUR);
        assert.deepEqual(r.holds.map((x) => [x.transferId, x.reason]), [[held.transferId, 'Case 5']]);

        assert.equal((await report({ graceMs: 90 * MINUTE })).overdue.count, 3, 'within the grace is not overdue yet');
        const limited = await report({ listLimit: 2 });
        assert.deepEqual([limited.overdue.count, limited.overdue.transfers.length, limited.overdue.listLimit], [4, 2, 2], 'all counted, some listed');

        await h.domain.purge.runOnce();
        const purged = await report();
        assert.deepEqual(purged.overdue.transfers.map((o) => [o.transferId, o.state, o.reason, o.held]), [[held.transferId, 'closed', 'expired', true]]);
        assert.deepEqual([purged.overdue.count, purged.overdue.unheld], [1, 0]);

        h.clock.advance(21 * HOUR + 2 * MINUTE);
        const abandoned = await report();
        const entry = abandoned.overdue.transfers.find((o) => o.transferId === upload.transferId);
        assert.deepEqual(entry && { state: entry.state, reason: entry.reason, deadlineAt: entry.deadlineAt }, { state: 'uploading', reason: 'abandoned', deadlineAt: t0 + DAY });
        assert.equal(abandoned.overdue.unheld, 1);
      });

      it('gives purge lag percentiles over the window (nearest rank), and the last purge run', async (t) => {
        const { h, alice, report } = await fresh(t);
        const none = await report();
        assert.deepEqual(none.purgeLag, { windowMs: 30 * DAY, count: 0, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null });
        assert.equal(none.lastPurgeRun, null);

        const now = h.clock.now();
        const lags = [...Array.from({ length: 100 }, (_, i) => (i + 1) * 1000)].sort(() => Math.random() - 0.5);
        for (const lag of lags) await deletionRecord(h, alice, { purgedAt: now - HOUR, lagMs: lag });
        await deletionRecord(h, alice, { purgedAt: now - 31 * DAY, lagMs: 1e9 });
        const r = await report();
        assert.deepEqual(r.purgeLag, { windowMs: 30 * DAY, count: 100, p50Ms: 50_000, p90Ms: 90_000, p99Ms: 99_000, maxMs: 100_000 });
        assert.equal((await report({ lagWindowMs: 32 * DAY })).purgeLag.maxMs, 1e9);

        const runs = h.server.ctx.database.db.insertInto('purge_runs');
        await runs.values({ id: newId(), instance: 'host-a:1', started_at: now - 2 * MINUTE, finished_at: now - 2 * MINUTE + 300, closed: 1, purged: 1, failed: 0 }).execute();
        await runs.values({ id: newId(), instance: 'host-b:2', started_at: now - MINUTE, finished_at: null, closed: 0, purged: 0, failed: 0 }).execute();
        assert.deepEqual((await report()).lastPurgeRun, { instance: 'host-b:2', startedAt: now - MINUTE, finishedAt: null, closed: 0, purged: 0, failed: 0 });

        // The purge job records its own runs.
        h.clock.advance(MINUTE);
        const sent = await h.send(alice);
        await h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: alice.token, body: {} });
        await h.domain.purge.runOnce();
        const last = (await report()).lastPurgeRun;
        assert.equal(last?.startedAt, h.clock.now());
        assert.equal(last?.purged, 1);
      });

      it('waits twice the purge interval (at least a minute) before calling a transfer overdue, by default', async (t) => {
        const { h } = await fresh(t);
        assert.deepEqual([defaultGraceMs(1000), defaultGraceMs(30_000), defaultGraceMs(5 * MINUTE)], [MINUTE, MINUTE, 10 * MINUTE]);
        assert.equal((await serverRetentionReport(h.server.ctx)).overdue.graceMs, 2 * DAY, 'the test server purges once a day');
      });
    });
  }
});

/** A purged transfer's tombstone and deletion record, as the purge leaves them. */
async function deletionRecord(h: Harness, sender: Member, r: { purgedAt: number; lagMs: number }): Promise<void> {
  const id = newId();
  const db = h.server.ctx.database.db;
  await db.insertInto('transfers').values({
    id, sender_id: sender.id, state: 'purged', close_reason: 'expired', data_class: 'standard', created_at: r.purgedAt - DAY, finalized_at: r.purgedAt - DAY,
    expires_in_ms: HOUR, expires_at: r.purgedAt - r.lagMs, max_downloads: 1, ss_enc: null, ss_epoch: 0, link_slot_id: null, link_slot: null,
    link_auth_key: null, manifest: null, total_bytes: 0, closed_at: r.purgedAt, purged_at: r.purgedAt,
  }).execute();
  await db.insertInto('deletion_records').values({
    transfer_id: id, sender_id: sender.id, data_class: 'standard', reason: 'expired', deadline_at: r.purgedAt - r.lagMs, purged_at: r.purgedAt,
    lag_ms: r.lagMs, blob_count: 0, bytes: 0, parts: '[]',
  }).execute();
}
