// Data classes over real HTTP on both databases: the class's bounds at creation and finalize, outside recipients,
// an administrator's changes (validated, audited, tightening live transfers), and "downloaded" as the class sees it.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { newSecret } from '@valise/crypto';
import { newId } from '../accounts/tokens.js';
import type { CreateTransferResponse } from '@valise/protocol';
import { describeEachStore, finalizeBody } from '../transfers/transfer-test-kit.js';
import { changeDataClass, listDataClasses } from './retention-admin.js';

const DAY = 86_400_000;

describeEachStore('data classes', (s) => {
  const row = (id: string) => s.h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('creates under the default class unless another is named; each class has its own bounds and defaults', async () => {
    const plain = await s.h.create(s.alice, [10]);
    assert.equal(plain.status, 201);
    assert.equal(plain.body.dataClass, 'standard');
    assert.equal(plain.body.expiresInSeconds, 7 * 86_400, 'the standard default');

    const health = await s.h.create(s.alice, [10], { dataClass: 'health', recipients: ['a@lab.example', 'b@lab.example'] });
    assert.equal(health.status, 201);
    assert.equal(health.body.dataClass, 'health');
    assert.equal(health.body.expiresInSeconds, 3 * 86_400, 'the health default');
    assert.equal(health.body.maxDownloads, 2);
    assert.equal((await row(health.body.transferId)).data_class, 'health');

    const tooLong = await s.h.create(s.alice, [10], { dataClass: 'health', expiresInSeconds: 8 * 86_400 });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.code, 'expiry_out_of_range');
    assert.match(tooLong.body.detail, /data class "health".*7 days/);
    assert.equal((await s.h.create(s.alice, [10], { dataClass: 'standard', expiresInSeconds: 8 * 86_400 })).status, 201);

    const tooMany = await s.h.create(s.alice, [10], { dataClass: 'health', maxDownloads: 21 });
    assert.equal(tooMany.body.code, 'max_downloads_out_of_range');

    const unknown = await s.h.create(s.alice, [10], { dataClass: 'secret' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'data_class_unknown');
    assert.match(unknown.body.detail, /health, standard/);
    assert.equal((await s.h.create(s.alice, [10], { dataClass: 'Health!' })).body.code, 'validation_failed', 'the schema checks the name');
  });

  it('an expiry never passes the class maximum counted from creation, however late the upload is finalized', async () => {
    const created = (await s.h.create(s.alice, [10], { dataClass: 'health', expiresInSeconds: 7 * 86_400 })).body as CreateTransferResponse;
    await s.h.uploadFile(s.alice, created, 0, randomBytes(created.files[0]!.ciphertextSize));
    const createdAt = (await row(created.transferId)).created_at;
    s.h.clock.advance(2 * DAY);
    const body = await finalizeBody(created.transferId, newId(), newSecret<'LinkSecret'>(), newSecret<'ClientKey'>());
    const finalized = await s.h.request('POST', `/transfers/${created.transferId}/finalize`, { token: s.alice.token, body });
    assert.equal(finalized.status, 200);
    assert.equal(finalized.body.expiresAt, createdAt + 7 * DAY, 'creation + 7 days, not finalize + 7 days');
  });

  it('a class closed to outside recipients accepts members only', async () => {
    const server = s.h.server.ctx;
    await changeDataClass(server, 'staff', { maxExpiryMs: 2 * DAY, defaultExpiryMs: DAY, allowOutsideRecipients: false, description: 'Between colleagues' }, { create: true });
    const bob = await s.h.member();
    const outsider = await s.h.create(s.alice, [10], { dataClass: 'staff', recipients: [bob.email, 'Stranger@Elsewhere.example'] });
    assert.equal(outsider.status, 400);
    assert.equal(outsider.body.code, 'outside_recipient_not_allowed');
    assert.match(outsider.body.detail, /stranger@elsewhere\.example/);
    assert.doesNotMatch(outsider.body.detail, new RegExp(bob.email.replace('.', '\\.')), 'members are not named');
    const members = await s.h.create(s.alice, [10], { dataClass: 'staff', recipients: [bob.email.toUpperCase()] });
    assert.equal(members.status, 201, JSON.stringify(members.body));
    assert.equal(members.body.expiresInSeconds, 86_400);

    const policy = await s.h.request('GET', '/transfers/policy', { token: s.alice.token });
    const staff = policy.body.dataClasses.find((c: { name: string }) => c.name === 'staff');
    assert.deepEqual(staff, {
      name: 'staff', description: 'Between colleagues', maxExpirySeconds: 2 * 86_400, defaultExpirySeconds: 86_400, maxDownloads: 10,
      deleteWhenDownloaded: false, allowOutsideRecipients: false,
    });
  });

  it('an administrator tightens a class: validated, audited, and its live transfers obey at once', async () => {
    const server = s.h.server.ctx;
    await changeDataClass(server, 'lab', { maxExpiryMs: 20 * DAY, defaultExpiryMs: 10 * DAY, maxDownloads: 5 }, { create: true });
    const long = await s.h.send(s.alice, { dataClass: 'lab', expiresInSeconds: 15 * 86_400, maxDownloads: 5 });
    const short = await s.h.send(s.alice, { dataClass: 'lab', expiresInSeconds: 86_400 });
    assert.equal((await s.h.grant(long, 'r@lab.example')).status, 200);
    const other = await s.h.send(s.alice, { expiresInSeconds: 15 * 86_400 });

    await assert.rejects(changeDataClass(server, 'lab', { maxExpiryMs: 31 * DAY }, { create: false }), /between 1 minute and 30 days/);
    await assert.rejects(changeDataClass(server, 'lab', { defaultExpiryMs: 21 * DAY }, { create: false }), /at most the maximum/);
    await assert.rejects(changeDataClass(server, 'lab', {}, { create: true }), /exists already/);
    await assert.rejects(changeDataClass(server, 'nope', { maxDownloads: 2 }, { create: false }), /no data class "nope"/);

    const before = await row(long.transferId);
    const { dataClass, transfersShortened } = await changeDataClass(server, 'lab', { maxExpiryMs: 3 * DAY, defaultExpiryMs: DAY, maxDownloads: 1 }, { create: false });
    assert.equal(dataClass.maxExpiryMs, 3 * DAY);
    assert.equal(transfersShortened, 1);
    const after = await row(long.transferId);
    assert.equal(after.expires_at, before.created_at + 3 * DAY);
    assert.equal(after.max_downloads, 1, 'one download used: the new limit of 1 holds');
    assert.equal((await row(short.transferId)).expires_at, (await row(short.transferId)).finalized_at! + DAY, 'already within bounds: unchanged');
    assert.equal((await row(other.transferId)).expires_at! - (await row(other.transferId)).finalized_at!, 15 * DAY, 'another class: unchanged');

    const audit = await s.h.db.selectFrom('audit_log').selectAll().where('target', '=', 'lab').orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.action), ['data_class.created', 'data_class.changed']);
    const detail = JSON.parse(audit[1]!.detail!);
    assert.equal(detail.before.maxExpiryMs, 20 * DAY);
    assert.equal(detail.after.maxExpiryMs, 3 * DAY);
    assert.equal(detail.transfersShortened, 1);
    assert.match(audit[1]!.actor!, /^cli:/);
    assert.equal((await server.audit.verifyChain()).ok, true);

    const listed = await listDataClasses(server);
    assert.equal(listed.defaultClass, 'standard');
    assert.ok(listed.classes.some((c) => c.name === 'lab' && c.maxDownloads === 1));
  });

  it('a completed download marks its recipient as having downloaded, once', async () => {
    const sent = await s.h.send(s.alice, { dataClass: 'health', recipients: ['rita@lab.example', 'rob@lab.example'] });
    const granted = await s.h.grant(sent, 'rita@lab.example');
    assert.equal(granted.status, 200);
    const recipients = () => s.h.db.selectFrom('recipients').select(['email', 'downloaded_at']).where('transfer_id', '=', sent.transferId).orderBy('email').execute();
    assert.deepEqual((await recipients()).map((r) => r.downloaded_at), [null, null], 'a grant alone is not a download');
    const at = s.h.clock.now();
    assert.equal((await s.h.request('POST', `/download/${sent.transferId}/complete`, { token: granted.body.grantToken, body: {} })).status, 204);
    s.h.clock.advance(1000);
    assert.equal((await s.h.request('POST', `/download/${sent.transferId}/complete`, { token: granted.body.grantToken, body: {} })).status, 401, 'the grant is over');
    assert.deepEqual(await recipients(), [{ email: 'rita@lab.example', downloaded_at: at }, { email: 'rob@lab.example', downloaded_at: null }]);
  });
});
