// The share-key shredder against a real server on both databases: one key per day, destruction exactly after the
// window (longest class maximum + grace), never while a transfer still holds a share sealed under the key.
// Filesystem blob storage only: the shredder never touches blobs, so S3 would add time and no coverage.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newId } from '../accounts/tokens.js';
import { openKeystore } from '../keystore.js';
import { DAY_MS, ShareKeyGoneError, dayOf, epochEnd, epochOf } from '../share-keys.js';
import { availableDialects } from '../testing/databases.js';
import { Harness, type Member, type SentTransfer } from '../transfers/transfer-test-kit.js';
import { openServerShare } from '../transfers/server-share.js';
import { ShareKeyShredder } from './share-key-shredder.js';

/** The standard class's 30 days (also VALISE_MAX_EXPIRY's default) + VALISE_SHARE_KEY_GRACE's default 2 days. */
const WINDOW_MS = 32 * DAY_MS;

function shredderOf(h: Harness): ShareKeyShredder {
  const job = h.domain.jobs.find((j) => j instanceof ShareKeyShredder);
  assert.ok(job instanceof ShareKeyShredder, 'the transfer domain registers the shredder');
  return job;
}

async function sealedShareOf(h: Harness, transferId: string): Promise<{ sealed: Uint8Array | null; epoch: number }> {
  const row = await h.db.selectFrom('transfers').select(['ss_enc', 'ss_epoch']).where('id', '=', transferId).executeTakeFirstOrThrow();
  return { sealed: row.ss_enc, epoch: Number(row.ss_epoch) };
}

describe('share-key shredder', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));
  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let alice: Member;
      beforeEach(async () => {
        h = await Harness.start({ dialect });
        alice = await h.member();
      });
      afterEach(() => h.close());

      const epochOfTransfer = async (sent: SentTransfer) => (await sealedShareOf(h, sent.transferId)).epoch;
      const destroyedEntries = () => h.db.selectFrom('audit_log').select(['actor', 'target', 'detail']).where('action', '=', 'share_key.destroyed').orderBy('seq').execute();

      it('seals each day\'s transfers under that day\'s key; a grant on each opens, and another instance agrees', async () => {
        const first = await h.send(alice);
        const firstDay = epochOf(h.clock.now());
        h.clock.advance(DAY_MS);
        const second = await h.send(alice);
        assert.equal(await epochOfTransfer(first), firstDay);
        assert.equal(await epochOfTransfer(second), firstDay + 1);
        assert.deepEqual(await h.server.ctx.keystore.shareKeys.epochs(), [firstDay, firstDay + 1]);
        for (const sent of [first, second]) {
          const granted = await h.grant(sent, 'r@lab.example');
          assert.equal(granted.status, 200, JSON.stringify(granted.body));
          assert.equal(granted.body.serverShare, sent.created.serverShare);
        }
        // A second server instance opens the same data folder: it reads the keys the first one made.
        const other = await openKeystore(h.server.dataDir, h.clock);
        for (const sent of [first, second]) {
          const { sealed, epoch } = await sealedShareOf(h, sent.transferId);
          const share = openServerShare(other, sent.transferId, { sealed: sealed!, epoch });
          assert.equal(Buffer.from(share).toString('base64url'), sent.created.serverShare);
        }
      });

      it('destroys a day\'s key only once that day ended longer ago than the window, and audits it once', async () => {
        const sent = await h.send(alice);
        const epoch = await epochOfTransfer(sent);
        h.clock.set(epochEnd(epoch) + WINDOW_MS);
        await h.domain.purge.runOnce();
        assert.equal((await sealedShareOf(h, sent.transferId)).sealed, null, 'purged: nothing references the key');
        const shredder = shredderOf(h);
        const onTheEdge = await shredder.runOnce();
        assert.equal(onTheEdge.windowMs, WINDOW_MS);
        assert.deepEqual(onTheEdge.destroyed, [], 'not before the window has passed');
        assert.deepEqual(await h.server.ctx.keystore.shareKeys.epochs(), [epoch]);

        h.clock.advance(1);
        const report = await shredder.runOnce();
        assert.deepEqual(report, { skipped: false, windowMs: WINDOW_MS, destroyed: [{ epoch, day: dayOf(epoch) }], kept: [] });
        assert.deepEqual(await h.server.ctx.keystore.shareKeys.epochs(), []);
        assert.throws(() => h.server.ctx.keystore.shareKeys.key(epoch), ShareKeyGoneError);
        assert.deepEqual(await destroyedEntries(), [{ actor: 'system', target: String(epoch), detail: JSON.stringify({ epoch, day: dayOf(epoch) }) }]);

        assert.deepEqual((await shredder.runOnce()).destroyed, [], 'nothing left to destroy');
        assert.equal((await destroyedEntries()).length, 1);
      });

      it('follows the longest class maximum and VALISE_SHARE_KEY_GRACE', async () => {
        const short = await Harness.start({ dialect, env: { VALISE_MAX_EXPIRY: '10d', VALISE_SHARE_KEY_GRACE: '12h' } });
        try {
          const sent = await short.send(await short.member());
          const epoch = (await sealedShareOf(short, sent.transferId)).epoch;
          short.clock.set(epochEnd(epoch) + 10 * DAY_MS + 12 * 3_600_000);
          await short.domain.purge.runOnce();
          assert.deepEqual((await shredderOf(short).runOnce()).destroyed, []);
          short.clock.advance(1);
          const report = await shredderOf(short).runOnce();
          assert.equal(report.windowMs, 10.5 * DAY_MS);
          assert.deepEqual(report.destroyed, [{ epoch, day: dayOf(epoch) }]);
        } finally {
          await short.close();
        }
      });

      it('never destroys a key a transfer still needs (purge behind, legal hold), and does once it is released and purged', async () => {
        const held = await h.send(alice);
        const sameDay = await h.send(alice);
        const day0 = await epochOfTransfer(held);
        h.clock.set(epochEnd(day0) + 3_600_000);
        const nextDay = await h.send(alice);
        const day1 = await epochOfTransfer(nextDay);
        assert.equal(day1, day0 + 1);
        const hold = { id: newId(), transfer_id: held.transferId, reason: 'litigation', placed_by: null, placed_at: h.clock.now(), released_by: null, released_at: null, release_reason: null };
        await h.db.insertInto('legal_holds').values(hold).execute();
        h.clock.set(epochEnd(day1) + WINDOW_MS + 1);
        const shredder = shredderOf(h);

        const beforePurge = await shredder.runOnce();
        assert.deepEqual(beforePurge.destroyed, [], 'every transfer still holds its sealed share');
        assert.deepEqual(beforePurge.kept, [
          { epoch: day0, day: dayOf(day0), transfers: 2, held: 1 },
          { epoch: day1, day: dayOf(day1), transfers: 1, held: 0 },
        ]);

        await h.domain.purge.runOnce(); // purges all but the held transfer
        const whileHeld = await shredder.runOnce();
        assert.deepEqual(whileHeld.destroyed, [{ epoch: day1, day: dayOf(day1) }]);
        assert.deepEqual(whileHeld.kept, [{ epoch: day0, day: dayOf(day0), transfers: 1, held: 1 }]);
        const { sealed, epoch } = await sealedShareOf(h, held.transferId);
        const share = openServerShare(h.server.ctx.keystore, held.transferId, { sealed: sealed!, epoch });
        assert.equal(Buffer.from(share).toString('base64url'), held.created.serverShare, 'the held transfer keeps its share');

        await h.db.updateTable('legal_holds').set({ released_at: h.clock.now(), release_reason: 'settled' }).where('id', '=', hold.id).execute();
        await h.domain.purge.runOnce();
        const released = await shredder.runOnce();
        assert.deepEqual(released.destroyed, [{ epoch: day0, day: dayOf(day0) }]);
        assert.deepEqual(released.kept, []);
        assert.deepEqual(await h.server.ctx.keystore.shareKeys.epochs(), []);
        assert.deepEqual((await destroyedEntries()).map((e) => e.target), [String(day1), String(day0)]);
      });
    });
  }
});
