// Sender routes over real HTTP on SQLite and PostgreSQL: creation rules, finalize, list, detail, revoke.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ciphertextSize, newSecret } from '@valise/crypto';
import { availableDialects } from '../testing/databases.js';
import { newId } from '../accounts/tokens.js';
import { finalizeBody, Harness, partBytes, type Member } from './transfer-test-kit.js';

describe('transfer routes', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let alice: Member;
      let bob: Member;
      before(async () => {
        h = await Harness.start({ dialect, env: { VALISE_MAX_EXPIRY: '30d', VALISE_USER_QUOTA: '20MiB', VALISE_MAX_FILES: '3' } });
        alice = await h.member();
        bob = await h.member();
      });
      after(async () => h?.close());

      it('requires a member', async () => {
        const r = await h.request('POST', '/transfers', { body: { files: [{ ciphertextSize: ciphertextSize(10) }], recipients: ['r@x.example'] } });
        assert.equal(r.status, 401);
        assert.equal(r.body.code, 'unauthenticated');
      });

      it('tells a member the policy bounds (the send form shows them)', async () => {
        assert.equal((await h.request('GET', '/transfers/policy')).status, 401);
        const policy = await h.request('GET', '/transfers/policy', { token: alice.token });
        assert.equal(policy.status, 200);
        const day = 86_400;
        assert.deepEqual(policy.body, {
          minExpirySeconds: 60, defaultDataClass: 'standard',
          dataClasses: [
            { name: 'health', description: 'Health data: deleted once every recipient has downloaded, 7 days at most.', maxExpirySeconds: 7 * day,
              defaultExpirySeconds: 3 * day, maxDownloads: 20, deleteWhenDownloaded: true, allowOutsideRecipients: true },
            { name: 'standard', description: 'Everyday files: 30 days at most.', maxExpirySeconds: 30 * day, defaultExpirySeconds: 7 * day,
              maxDownloads: 100, deleteWhenDownloaded: false, allowOutsideRecipients: true },
          ],
          maxFiles: 3, maxRecipients: 50, maxFileSize: 100 * 1024 ** 3,
        });
      });

      it('creates a transfer: ids, SS, parts, defaults', async () => {
        const r = await h.create(alice, [10, 9_000_000], { recipients: ['A@Lab.example', 'a@lab.example', 'b@lab.example'] });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.match(r.body.transferId, /^[A-Za-z0-9_-]{22}$/);
        assert.equal(Buffer.from(r.body.serverShare, 'base64url').length, 32);
        assert.deepEqual(r.body.files.map((f: { partCount: number }) => f.partCount), [1, 2]);
        assert.equal(r.body.expiresInSeconds, 7 * 86400, 'the configured default expiry');
        assert.equal(r.body.maxDownloads, 2, 'one download per distinct recipient');
        const recipients = await h.db.selectFrom('recipients').select('email').where('transfer_id', '=', r.body.transferId).orderBy('email').execute();
        assert.deepEqual(recipients.map((x) => x.email), ['a@lab.example', 'b@lab.example']);
        const row = await h.db.selectFrom('transfers').selectAll().where('id', '=', r.body.transferId).executeTakeFirstOrThrow();
        assert.notDeepEqual(Buffer.from(row.ss_enc!), Buffer.from(r.body.serverShare, 'base64url'), 'SS is stored sealed');
      });

      it('refuses an expiry beyond the policy, saying the allowed range in words', async () => {
        const r = await h.create(alice, [10], { expiresInSeconds: 90 * 86400 });
        assert.equal(r.status, 400);
        assert.equal(r.body.code, 'expiry_out_of_range');
        assert.match(r.body.detail, /between 1 minute and 30 days/);
        assert.equal((await h.create(alice, [10], { expiresInSeconds: 59 })).body.code, 'expiry_out_of_range');
        assert.equal((await h.create(alice, [10], { expiresInSeconds: 60 })).status, 201);
      });

      it('refuses too many downloads, too many files and sizes that are not ciphertext lengths', async () => {
        const tooMany = await h.create(alice, [10], { maxDownloads: 101 });
        assert.equal(tooMany.status, 400);
        assert.equal(tooMany.body.code, 'max_downloads_out_of_range');
        assert.match(tooMany.body.detail, /between 1 and 100/);
        assert.equal((await h.create(alice, [1, 2, 3, 4])).body.code, 'too_many_files');
        const odd = await h.request('POST', '/transfers', { token: alice.token, body: { files: [{ ciphertextSize: 56 + 16400 + 5 }], recipients: ['r@x.example'] } });
        assert.equal(odd.status, 400);
        assert.equal(odd.body.code, 'validation_failed');
      });

      it('refuses unknown fields rather than ignoring them', async () => {
        const r = await h.request('POST', '/transfers', {
          token: alice.token,
          body: { files: [{ ciphertextSize: ciphertextSize(10) }], recipients: ['r@x.example'], password: 'x' },
        });
        assert.equal(r.status, 400);
        assert.equal(r.body.code, 'validation_failed');
        const nested = await h.request('POST', '/transfers', {
          token: alice.token,
          body: { files: [{ ciphertextSize: ciphertextSize(10), name: 'secret.pdf' }], recipients: ['r@x.example'] },
        });
        assert.equal(nested.status, 400);
      });

      it('enforces the quota over live transfers (413), per member when set', async () => {
        const carol = await h.member();
        await h.db.updateTable('users').set({ quota_bytes: 1024 * 1024 }).where('id', '=', carol.id).execute();
        // 1 MiB quota: 600 KB fits, a second 600 KB does not.
        assert.equal((await h.create(carol, [600_000])).status, 201);
        const over = await h.create(carol, [600_000]);
        assert.equal(over.status, 413);
        assert.equal(over.body.code, 'quota_exceeded');
        const erin = await h.member();
        assert.equal((await h.create(erin, [15_000_000])).status, 201, 'the configured default quota: 20 MiB');
        assert.equal((await h.create(erin, [6_000_000])).body.code, 'quota_exceeded');
        // A closed transfer no longer counts.
        const revoked = (await h.create(carol, [10])).body;
        await h.request('POST', `/transfers/${revoked.transferId}/revoke`, { token: carol.token });
        const first = (await h.request('GET', '/transfers', { token: carol.token })).body.transfers.find((t: { totalBytes: number }) => t.totalBytes > 500_000);
        await h.request('POST', `/transfers/${first.transferId}/revoke`, { token: carol.token });
        assert.equal((await h.create(carol, [600_000])).status, 201);
      });

      it('finalize refuses an incomplete upload (409, saying how many parts are missing), then succeeds', async () => {
        const created = (await h.create(alice, [9_000_000])).body;
        const file = created.files[0];
        const ciphertext = randomBytes(file.ciphertextSize);
        assert.equal((await h.putPart(alice, created.transferId, file.fileId, 0, partBytes(ciphertext, 9_000_000, 0))).status, 200);
        const body = await finalizeBody(created.transferId, newId(), newSecret<'LinkSecret'>(), newSecret<'ClientKey'>());
        const incomplete = await h.request('POST', `/transfers/${created.transferId}/finalize`, { token: alice.token, body });
        assert.equal(incomplete.status, 409);
        assert.equal(incomplete.body.code, 'upload_incomplete');
        assert.match(incomplete.body.detail, /1 of 2 parts/);

        assert.equal((await h.putPart(alice, created.transferId, file.fileId, 1, partBytes(ciphertext, 9_000_000, 1))).status, 200);
        const status = await h.request('GET', `/transfers/${created.transferId}/upload`, { token: alice.token });
        assert.equal(status.body.serverShare, created.serverShare, 'the owner gets SS back to resume');
        assert.deepEqual(status.body.files[0].received.map((p: { index: number }) => p.index), [0, 1]);

        const done = await h.request('POST', `/transfers/${created.transferId}/finalize`, { token: alice.token, body });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.linkBase, `${h.server.url}/t/${created.transferId}`);
        assert.equal(done.body.expiresAt, h.clock.now() + 7 * 86_400_000);

        const again = await h.request('POST', `/transfers/${created.transferId}/finalize`, { token: alice.token, body });
        assert.equal(again.status, 409);
        assert.equal(again.body.code, 'transfer_not_uploading');
        const after = await h.request('GET', `/transfers/${created.transferId}/upload`, { token: alice.token });
        assert.equal(after.body.state, 'ready');
        assert.equal(after.body.serverShare, null, 'SS is no longer handed out once finalized');
        const late = await h.putPart(alice, created.transferId, file.fileId, 0, partBytes(ciphertext, 9_000_000, 0));
        assert.equal(late.status, 409);
        assert.equal(late.body.code, 'transfer_not_uploading');
      });

      it('finalize accepts a manifest far above the JSON limit', async () => {
        const created = (await h.create(alice, [10])).body;
        await h.uploadFile(alice, created, 0, randomBytes(created.files[0].ciphertextSize));
        const body = await finalizeBody(created.transferId, newId(), newSecret<'LinkSecret'>(), newSecret<'ClientKey'>());
        const big = { ...body, manifest: randomBytes(2 * 1024 * 1024).toString('base64url') };
        const r = await h.request('POST', `/transfers/${created.transferId}/finalize`, { token: alice.token, body: big });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const row = await h.db.selectFrom('transfers').select('manifest').where('id', '=', created.transferId).executeTakeFirstOrThrow();
        assert.equal(Buffer.from(row.manifest!).toString('base64url'), big.manifest);
      });

      it('finalize checks the slot and key sizes', async () => {
        const created = (await h.create(alice, [10])).body;
        const body = await finalizeBody(created.transferId, newId(), newSecret<'LinkSecret'>(), newSecret<'ClientKey'>());
        await h.uploadFile(alice, created, 0, randomBytes(created.files[0].ciphertextSize));
        const shortSlot = { ...body, linkSlot: { ...body.linkSlot, wrapped: randomBytes(103).toString('base64url') } };
        const r = await h.request('POST', `/transfers/${created.transferId}/finalize`, { token: alice.token, body: shortSlot });
        assert.equal(r.status, 400);
        assert.match(r.body.detail, /104 bytes/);
        const empty = await h.request('POST', `/transfers/${created.transferId}/finalize`, { token: alice.token, body: { ...body, manifest: '' } });
        assert.equal(empty.status, 400);
      });

      it("hides other members' transfers (404, like a missing one)", async () => {
        const sent = await h.send(alice);
        for (const path of [`/transfers/${sent.transferId}`, `/transfers/${sent.transferId}/upload`]) {
          const r = await h.request('GET', path, { token: bob.token });
          assert.equal(r.status, 404);
          assert.equal(r.body.code, 'not_found');
        }
        assert.equal((await h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: bob.token, body: {} })).status, 404);
        assert.equal((await h.request('GET', `/transfers/${newId()}`, { token: bob.token })).status, 404);
        const created = (await h.create(alice, [10])).body;
        const foreign = await h.putPart(bob, created.transferId, created.files[0].fileId, 0, randomBytes(created.files[0].ciphertextSize));
        assert.equal(foreign.status, 404);
        assert.equal(foreign.body.code, 'not_found');
      });

      it('lists a page at a time: newest first, ties by id, a cursor that holds while new transfers arrive; refuses bad pages', async () => {
        const erin = await h.member();
        const created: { id: string; at: number }[] = [];
        for (const step of [0, 0, 0, 1000, 1000]) {
          h.clock.advance(step);
          const reply = await h.create(erin, [10], { recipients: ['x@lab.example'] });
          assert.equal(reply.status, 201, JSON.stringify(reply.body));
          created.push({ id: reply.body.transferId, at: h.clock.now() });
        }
        const expected = [...created].sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : 1)).map((c) => c.id);
        const page = async (query: string) => {
          const reply = await h.request('GET', `/transfers${query}`, { token: erin.token });
          assert.equal(reply.status, 200, JSON.stringify(reply.body));
          return reply.body as { transfers: { transferId: string }[]; next: string | null };
        };
        const all = await page('');
        assert.deepEqual(all.transfers.map((t) => t.transferId), expected);
        assert.equal(all.next, null);

        const first = await page('?limit=2');
        assert.deepEqual(first.transfers.map((t) => t.transferId), expected.slice(0, 2));
        assert.ok(first.next);
        h.clock.advance(1000);
        const newer = await h.create(erin, [10], { recipients: ['x@lab.example'] });
        const second = await page(`?limit=2&before=${encodeURIComponent(first.next)}`);
        assert.deepEqual(second.transfers.map((t) => t.transferId), expected.slice(2, 4), 'a transfer sent meanwhile moves nothing');
        const third = await page(`?limit=2&before=${encodeURIComponent(second.next!)}`);
        assert.deepEqual(third.transfers.map((t) => t.transferId), expected.slice(4));
        assert.equal(third.next, null, 'the last page says so');
        assert.equal((await page('?limit=1')).transfers[0]!.transferId, newer.body.transferId);

        for (const query of ['?limit=0', '?limit=201', '?limit=two', '?before=12345', `?before=x.${newer.body.transferId}`, '?page=2']) {
          const reply = await h.request('GET', `/transfers${query}`, { token: erin.token });
          assert.equal(reply.status, 400, query);
          assert.equal(reply.body.code, 'validation_failed', query);
        }
      });

      it('lists newest first and shows details; revoke closes at once and is idempotent', async () => {
        const dave = await h.member();
        const first = await h.send(dave, { recipients: ['x@lab.example'] });
        h.clock.advance(1000);
        const second = await h.send(dave, { recipients: ['y@lab.example', 'z@lab.example'], sizes: [5, 6] });
        const list = await h.request('GET', '/transfers', { token: dave.token });
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.transfers.map((t: { transferId: string }) => t.transferId), [second.transferId, first.transferId]);
        const summary = list.body.transfers[0];
        assert.equal(summary.state, 'ready');
        assert.equal(summary.fileCount, 2);
        assert.deepEqual(summary.recipients, ['y@lab.example', 'z@lab.example']);
        assert.equal(summary.totalBytes, ciphertextSize(5) + ciphertextSize(6));
        assert.equal(summary.contentBytes, 11, 'the files’ own sizes, 5 + 6 bytes');

        const revoked = await h.request('POST', `/transfers/${first.transferId}/revoke`, { token: dave.token, body: {} });
        assert.equal(revoked.status, 200);
        assert.equal(revoked.body.state, 'closed');
        assert.equal(revoked.body.closeReason, 'revoked');
        const twice = await h.request('POST', `/transfers/${first.transferId}/revoke`, { token: dave.token });
        assert.equal(twice.status, 200);
        assert.equal(twice.body.closeReason, 'revoked');
        const detail = await h.request('GET', `/transfers/${first.transferId}`, { token: dave.token });
        assert.equal(detail.body.transfer.state, 'closed');
        assert.deepEqual(detail.body.events, []);
        const bad = await h.request('POST', `/transfers/${second.transferId}/revoke`, { token: dave.token, body: { now: true } });
        assert.equal(bad.status, 400);
      });
    });
  }
});
