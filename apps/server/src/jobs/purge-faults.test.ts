// A crash at every step boundary of the purge (a fault thrown from the hook stands for it), then a restart (a new
// PurgeJob over the same database and storage): the restart completes the purge, and nothing happens twice.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { newId } from '../accounts/tokens.js';
import { sha256Of, describeEachStore, type SentTransfer, type StoreSuite } from '../transfers/transfer-test-kit.js';
import { PurgeJob, type PurgeFaults, type PurgeStep } from './purge.job.js';

interface Scenario {
  readonly step: PurgeStep;
  /** Which call of the hook (for our transfers) throws. */
  readonly nth: number;
  readonly what: string;
  /** Blobs deleted when the crash happens (deletes run one at a time here, so this is exact). */
  readonly goneAtCrash?: number;
}

const SCENARIOS: readonly Scenario[] = [
  { step: 'claimed', nth: 1, what: 'after closing, before anything is destroyed', goneAtCrash: 0 },
  { step: 'secrets-destroyed', nth: 1, what: 'after the secrets, before any blob', goneAtCrash: 0 },
  { step: 'blob-deleted', nth: 1, what: 'after the first of four blob deletes, before its stat', goneAtCrash: 1 },
  { step: 'blob-deleted', nth: 2, what: 'in the middle of a transfer\'s three blobs', goneAtCrash: 2 },
  { step: 'blob-verified', nth: 3, what: 'after three blobs deleted and verified gone', goneAtCrash: 3 },
  { step: 'blob-verified', nth: 4, what: 'after every blob is verified gone, before the tombstone', goneAtCrash: 4 },
  { step: 'recording', nth: 1, what: 'inside the tombstone transaction, before its commit', goneAtCrash: 4 },
  { step: 'recorded', nth: 1, what: 'after the tombstone committed, before the run is recorded', goneAtCrash: 4 },
];

describeEachStore('purge: a crash at any step, then a restart', (s) => {
  let runs = 0;
  const job = (instance: string, extra: { faults?: PurgeFaults; blobConcurrency?: number } = {}) => {
    const { ctx } = s.h.server;
    return new PurgeJob({
      handle: ctx.database, blobs: ctx.blobs, clock: s.h.clock, audit: ctx.audit, logger: ctx.logger, intervalMs: 1000, instance, ...extra,
    });
  };

  for (const scenario of SCENARIOS) {
    it(`${scenario.step} #${scenario.nth}: ${scenario.what}`, async () => {
      runs++;
      // Two transfers in one batch, closed two ways: one expired with three blobs, one revoked with one.
      const expired = await s.h.send(s.alice, { sizes: [10, 20, 30], expiresInSeconds: 3600 });
      const revoked = await s.h.send(s.alice, { sizes: [40] });
      await addMemberSlot(s, expired);
      assert.equal((await s.h.grant(expired, 'r@lab.example')).status, 200, 'a live grant to destroy');
      assert.equal((await s.h.request('POST', `/transfers/${revoked.transferId}/revoke`, { token: s.alice.token, body: {} })).status, 200);
      const keys = [...(await s.h.blobKeys(expired.transferId)), ...(await s.h.blobKeys(revoked.transferId))];
      assert.equal(keys.length, 4);
      s.h.clock.advance(3600 * 1000 + 7000);

      const ours = new Set([expired.transferId, revoked.transferId]);
      let calls = 0;
      let goneAtCrash = -1;
      const faults: PurgeFaults = {
        async at(step, transferId) {
          if (step !== scenario.step || !ours.has(transferId) || ++calls !== scenario.nth) return;
          goneAtCrash = await countGone(s, keys);
          throw new Error('injected crash');
        },
      };
      await assert.rejects(job(`crashed-${runs}`, { faults, blobConcurrency: 1 }).runOnce(), /injected crash/);
      assert.equal(goneAtCrash, scenario.goneAtCrash, 'the crash happened where the scenario says');
      assert.equal(await count(s, 'member_slots', expired.transferId), scenario.step === 'claimed' ? 1 : 0, 'member slots go with the secrets');

      const committed = scenario.step === 'recorded';
      for (const sent of [expired, revoked]) {
        const row = await transfer(s, sent.transferId);
        assert.equal(row.state, committed ? 'purged' : 'closed');
        assert.equal(await count(s, 'deletion_records', sent.transferId), committed ? 1 : 0);
        assert.equal(await auditCount(s, sent.transferId), committed ? 1 : 0);
        // Until the tombstone, the part rows (and the SHA-256s the record copies) are still there.
        assert.equal((await s.h.blobKeys(sent.transferId)).length, committed ? 0 : sent.files.length);
      }

      const restart = await job(`restarted-${runs}`).runOnce();
      assert.deepEqual(restart.failed, []);
      for (const id of ours) assert.equal(restart.purged.includes(id), !committed, 'the restart purges what the crash left');
      await assertPurgedOnce(s, expired, 'expired', 7000);
      await assertPurgedOnce(s, revoked, 'revoked', null);
      const stored = await s.h.storedKeys();
      assert.deepEqual(keys.filter((k) => stored.includes(k)), [], 'no blob left in the store');
      assert.equal((await s.h.server.ctx.audit.verifyChain()).ok, true);

      const runRows = await s.h.db.selectFrom('purge_runs').selectAll().where('instance', 'in', [`crashed-${runs}`, `restarted-${runs}`]).execute();
      const crashed = runRows.find((r) => r.instance === `crashed-${runs}`);
      const restarted = runRows.find((r) => r.instance === `restarted-${runs}`);
      assert.equal(crashed?.finished_at, null, 'the crashed run is on record, unfinished');
      assert.notEqual(restarted?.finished_at ?? null, null);
      assert.ok(Number(restarted?.purged) >= (committed ? 0 : 2));

      // A further run changes nothing.
      const again = await job(`again-${runs}`).runOnce();
      for (const id of ours) assert.ok(!again.purged.includes(id));
      for (const id of ours) {
        assert.equal(await count(s, 'deletion_records', id), 1);
        assert.equal(await auditCount(s, id), 1);
      }
    });
  }
});

async function countGone(s: StoreSuite, keys: readonly string[]): Promise<number> {
  let gone = 0;
  for (const key of keys) if ((await s.h.server.ctx.blobs.stat(key)) === null) gone++;
  return gone;
}

function transfer(s: StoreSuite, id: string) {
  return s.h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** A member slot and a manifest signature on a link transfer (the inbox tests make real ones): secrets to destroy. */
async function addMemberSlot(s: StoreSuite, sent: SentTransfer): Promise<void> {
  const recipient = await s.h.db.selectFrom('recipients').select('id').where('transfer_id', '=', sent.transferId).executeTakeFirstOrThrow();
  await s.h.db.insertInto('member_slots').values({
    transfer_id: sent.transferId, slot_id: newId(), user_id: s.alice.id, recipient_id: recipient.id, fingerprint: randomBytes(32), wrapped: randomBytes(80),
    created_at: s.h.clock.now(),
  }).execute();
  await s.h.db.updateTable('transfers').set({ manifest_signature: randomBytes(64), signer_fingerprint: randomBytes(32) }).where('id', '=', sent.transferId).execute();
}

async function count(s: StoreSuite, table: 'deletion_records' | 'parts' | 'grants' | 'openings' | 'link_challenges' | 'member_slots', id: string): Promise<number> {
  const rows = await s.h.db.selectFrom(table).select('transfer_id').where('transfer_id', '=', id).execute();
  return rows.length;
}

async function auditCount(s: StoreSuite, id: string): Promise<number> {
  const rows = await s.h.db.selectFrom('audit_log').select('seq').where('action', '=', 'transfer.purged').where('target', '=', id).execute();
  return rows.length;
}

/** Purged, secrets gone, no part row, one deletion record that matches what was uploaded. */
async function assertPurgedOnce(s: StoreSuite, sent: SentTransfer, reason: string, lagMs: number | null): Promise<void> {
  const row = await transfer(s, sent.transferId);
  assert.equal(row.state, 'purged');
  assert.equal(row.close_reason, reason);
  assert.deepEqual([row.ss_enc, row.link_slot, row.link_auth_key, row.manifest, row.manifest_signature], [null, null, null, null, null]);
  for (const table of ['parts', 'grants', 'openings', 'link_challenges', 'member_slots'] as const) {
    assert.equal(await count(s, table, sent.transferId), 0, `no ${table} row left`);
  }
  const records = await s.h.db.selectFrom('deletion_records').selectAll().where('transfer_id', '=', sent.transferId).execute();
  assert.equal(records.length, 1);
  const record = records[0]!;
  assert.equal(record.reason, reason);
  assert.equal(record.purged_at, row.purged_at);
  if (lagMs !== null) assert.equal(record.lag_ms, lagMs);
  else assert.equal(record.deadline_at, row.closed_at);
  assert.equal(record.blob_count, sent.files.length);
  assert.equal(record.bytes, sent.files.reduce((n, f) => n + f.length, 0));
  const parts = JSON.parse(record.parts) as { file: number; index: number; size: number; sha256: string; goneAt: number }[];
  // Small files: one part each, whose SHA-256 is that of the whole ciphertext as uploaded.
  assert.deepEqual(parts.map((p) => [p.file, p.index, p.size, p.sha256]), sent.files.map((f, i) => [i, 0, f.length, sha256Of(f)]));
  for (const p of parts) assert.equal(p.goneAt, s.h.clock.now());
  assert.equal(await auditCount(s, sent.transferId), 1);
}
