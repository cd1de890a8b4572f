// Legal holds on both databases and both blob stores: a reason is required, one hold at a time, audited; a held
// transfer is never served past its expiry and not purged; releasing an overdue hold purges it at once.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AppError } from '../http/errors.js';
import { describeEachStore, type SentTransfer } from '../transfers/transfer-test-kit.js';
import { LegalHoldService } from './legal-hold.service.js';
import { legalHoldServiceFor } from './legal-hold-admin.js';

const HOUR = 3_600_000;

describeEachStore('legal holds', (s) => {
  const holds = () => new LegalHoldService({ handle: s.h.server.ctx.database, audit: s.h.server.ctx.audit, clock: s.h.clock, purge: s.h.domain.purge });
  const row = (id: string) => s.h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const holdRows = (id: string) => s.h.db.selectFrom('legal_holds').selectAll().where('transfer_id', '=', id).orderBy('placed_at').execute();
  const audits = (id: string, action: string) =>
    s.h.db.selectFrom('audit_log').selectAll().where('target', '=', id).where('action', '=', action).orderBy('seq').execute();
  const refusedWith = (code: string, detail: RegExp) => (e: unknown) => e instanceof AppError && e.code === code && detail.test(e.message);

  it('needs a one-line reason of 1 to 500 characters, and an existing transfer', async () => {
    const sent = await s.h.send(s.alice);
    for (const reason of ['', '   ', 'two\nlines', 'tab\there', 'x'.repeat(501)]) {
      await assert.rejects(holds().place('cli:root', sent.transferId, reason), refusedWith('validation_failed', /1 to 500 characters/), JSON.stringify(reason));
    }
    assert.deepEqual(await holdRows(sent.transferId), [], 'nothing was placed');
    await assert.rejects(holds().place('cli:root', 'A'.repeat(22), 'Case 17'), refusedWith('not_found', /There is no transfer A{22}/));
    const placed = await holds().place('cli:root', sent.transferId, `  ${'é'.repeat(500)}  `);
    assert.equal(placed.reason, 'é'.repeat(500), 'trimmed; 500 characters fit');
  });

  it('places one hold at a time, records who and why, and lists it', async () => {
    const sent = await s.h.send(s.alice);
    const placed = await holds().place('cli:root', sent.transferId, ' Litigation hold, case 2030-117 ');
    assert.equal(placed.reason, 'Litigation hold, case 2030-117');
    assert.equal(placed.transferState, 'ready');
    assert.equal(placed.pastDeadline, false);
    await assert.rejects(holds().place(s.alice.id, sent.transferId, 'again'), refusedWith('conflict', /already held \(since .*: Litigation hold, case 2030-117\)/));

    const [stored, ...more] = await holdRows(sent.transferId);
    assert.deepEqual(more, []);
    assert.deepEqual({ ...stored, placed_at: Number(stored!.placed_at) }, {
      id: placed.holdId, transfer_id: sent.transferId, reason: 'Litigation hold, case 2030-117', placed_by: null, placed_at: s.h.clock.now(),
      released_by: null, released_at: null, release_reason: null,
    }, 'a command-line actor is no user: placed_by stays null, the audit log names it');
    const [audit] = await audits(sent.transferId, 'legal_hold.placed');
    assert.equal(audit?.actor, 'cli:root');
    assert.deepEqual(JSON.parse(audit!.detail!), {
      holdId: placed.holdId, reason: 'Litigation hold, case 2030-117', transferState: 'ready', expiresAt: placed.expiresAt, pastDeadline: false,
    });
    const listed = (await holds().list()).find((h) => h.transferId === sent.transferId);
    assert.deepEqual(listed, {
      holdId: placed.holdId, transferId: sent.transferId, reason: 'Litigation hold, case 2030-117', placedBy: null, placedAt: s.h.clock.now(),
      transferState: 'ready', dataClass: 'standard', senderEmail: s.alice.email, expiresAt: placed.expiresAt, closeReason: null,
    });
  });

  it('records a member who places a hold, and lets two concurrent placements make only one hold', async () => {
    const sent = await s.h.send(s.alice);
    const results = await Promise.allSettled([1, 2, 3].map((n) => holds().place(s.alice.id, sent.transferId, `Request ${n}`)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(refusedWith('conflict', /already held/)(r.reason));
    const rows = await holdRows(sent.transferId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.placed_by, s.alice.id);
    assert.equal((await holds().list()).find((h) => h.transferId === sent.transferId)?.placedBy, s.alice.email);
  });

  it('never serves a held transfer past its expiry: 410 on open and on download with a grant held from before', async () => {
    const sent = await s.h.send(s.alice, { recipients: ['rita@lab.example'], expiresInSeconds: 3600 });
    const granted = await s.h.grant(sent, 'rita@lab.example');
    assert.equal(granted.status, 200);
    const grant = granted.body.grantToken as string;
    const part = `/download/${sent.transferId}/files/${sent.created.files[0]!.fileId}/parts/0`;
    await holds().place('cli:root', sent.transferId, 'Incident review 44');
    assert.equal((await s.h.request('GET', part, { token: grant })).status, 200, 'served while unexpired, hold or not');

    s.h.clock.advance(HOUR);
    const expectGone = async (when: string) => {
      const opened = await s.h.request('POST', `/open/${sent.transferId}/challenge`, { body: {} });
      assert.deepEqual([opened.status, opened.body.code], [410, 'transfer_expired'], `open, ${when}`);
      const downloaded = await s.h.request('GET', part, { token: grant });
      assert.deepEqual([downloaded.status, downloaded.body.code], [410, 'transfer_expired'], `download, ${when}`);
      const resumed = await s.h.request('GET', `/download/${sent.transferId}`, { token: grant });
      assert.deepEqual([resumed.status, resumed.body.code], [410, 'transfer_expired'], `resume, ${when}`);
    };
    await expectGone('before any purge ran');

    const report = await s.h.domain.purge.runOnce();
    assert.ok(!report.purged.includes(sent.transferId), 'the purge skips a held transfer');
    const t = await row(sent.transferId);
    assert.equal(t.state, 'closed', 'closed as expired: the hold keeps the files, not the link');
    assert.notEqual(t.ss_enc, null, 'its secrets are kept');
    const keys = await s.h.blobKeys(sent.transferId);
    assert.equal(keys.length, 1);
    for (const key of keys) assert.notEqual(await s.h.server.ctx.blobs.stat(key), null, 'its files are kept');
    await expectGone('after the purge ran');
  });

  it('purges at once when the hold of an overdue transfer is released, and records the release', async () => {
    const sent = await s.h.send(s.alice, { expiresInSeconds: 3600 });
    const keys = await s.h.blobKeys(sent.transferId);
    const placed = await holds().place('cli:root', sent.transferId, 'Subpoena 9');
    s.h.clock.advance(2 * HOUR);
    await s.h.domain.purge.runOnce();
    assert.equal((await row(sent.transferId)).state, 'closed', 'held: not purged');

    await assert.rejects(holds().release('cli:root', sent.transferId, ''), refusedWith('validation_failed', /reason/));
    const released = await holds().release('cli:admin2', sent.transferId, 'Case settled');
    assert.deepEqual(released, {
      holdId: placed.holdId, transferId: sent.transferId, reason: 'Case settled', releasedAt: s.h.clock.now(), pastDeadline: true, purged: true,
    });
    const t = await row(sent.transferId);
    assert.equal(t.state, 'purged');
    assert.equal(t.ss_enc, null);
    for (const key of keys) assert.equal(await s.h.server.ctx.blobs.stat(key), null, 'its files are gone');

    const [stored] = await holdRows(sent.transferId);
    assert.equal(stored!.released_at, s.h.clock.now());
    assert.equal(stored!.release_reason, 'Case settled');
    assert.equal(stored!.released_by, null);
    const [audit] = await audits(sent.transferId, 'legal_hold.released');
    assert.equal(audit?.actor, 'cli:admin2');
    assert.deepEqual(JSON.parse(audit!.detail!), {
      holdId: placed.holdId, reason: 'Case settled', placedAt: placed.placedAt, placedReason: 'Subpoena 9', pastDeadline: true,
    });
    assert.equal((await s.h.server.ctx.audit.verifyChain()).ok, true);
    assert.ok(!(await holds().list()).some((h) => h.transferId === sent.transferId));

    await assert.rejects(holds().release('cli:root', sent.transferId, 'again'), refusedWith('conflict', /is not held/));
    await assert.rejects(holds().place('cli:root', sent.transferId, 'too late'), refusedWith('conflict', /was purged on .*nothing is left to hold/));
  });

  it('releases a live transfer without purging it; it can be held again', async () => {
    const sent = await s.h.send(s.alice);
    await holds().place('cli:root', sent.transferId, 'First');
    const released = await holds().release('cli:root', sent.transferId, 'Not needed');
    assert.equal(released.pastDeadline, false);
    assert.equal(released.purged, null);
    assert.equal((await row(sent.transferId)).state, 'ready');
    s.h.clock.advance(1000);
    await holds().place('cli:root', sent.transferId, 'Second');
    assert.deepEqual((await holdRows(sent.transferId)).map((h) => [h.reason, h.released_at === null]), [['First', false], ['Second', true]]);
  });

  it('reports a purge that failed or could not run after a release, after retrying runs that were skipped', async () => {
    const handle = s.h.server.ctx.database;
    const audit = s.h.server.ctx.audit;
    const runs: string[] = [];
    const failing = (id: string) => ({ runOnce: async () => (runs.push('failed'), { skipped: false, failed: [id] }) });
    const skipping = { runOnce: async () => (runs.push('skipped'), { skipped: true, failed: [] }) };
    const sent = await s.h.send(s.alice);
    await holds().place('cli:root', sent.transferId, 'Case 8');
    await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} });

    const failed = await new LegalHoldService({ handle, audit, clock: s.h.clock, purge: failing(sent.transferId) }).release('cli:root', sent.transferId, 'Done');
    assert.deepEqual([failed.pastDeadline, failed.purged, runs], [true, false, ['failed']], 'a failed purge is left to the job at once');
    await holds().place('cli:root', sent.transferId, 'Case 8 again');
    runs.length = 0;
    const skipped = await new LegalHoldService({ handle, audit, clock: s.h.clock, purge: skipping, retryDelayMs: 1 }).release('cli:root', sent.transferId, 'Done');
    assert.equal(skipped.purged, false);
    assert.equal(runs.length, 10, 'tried again while another instance held the purge lock');
    assert.equal((await row(sent.transferId)).state, 'closed');
  });

  it('from the server host (legalHoldServiceFor): releasing a revoked, held transfer purges it with a purge job of its own', async () => {
    const sent: SentTransfer = await s.h.send(s.alice);
    const service = legalHoldServiceFor(s.h.server.ctx);
    await service.place('cli:root', sent.transferId, 'Audit');
    assert.equal((await s.h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: s.alice.token, body: {} })).status, 200);
    await s.h.domain.purge.runOnce();
    assert.equal((await row(sent.transferId)).state, 'closed');
    const released = await service.release('cli:root', sent.transferId, 'Done');
    assert.equal(released.purged, true);
    assert.equal((await row(sent.transferId)).state, 'purged');
  });
});
