// Tests of the audit hash chain on SQLite and PostgreSQL: linking, tampering, concurrency.
import assert from 'node:assert/strict';
import { beforeEach, it } from 'node:test';
import { sql } from 'kysely';
import { forEachDialect } from '../testing/databases.js';
import { ManualClock } from '../testing/manual-clock.js';
import { AuditRepository, GENESIS_HASH, auditHash } from './audit.repository.js';

forEachDialect('audit log', (handle) => {
  const clock = new ManualClock();
  let audit: AuditRepository;

  beforeEach(async () => {
    // Each test starts a chain of its own.
    await handle().db.deleteFrom('audit_log').execute();
    audit = new AuditRepository(handle(), clock);
  });

  it('chains entries from the genesis hash and verifies them', async () => {
    const first = await audit.append({ actor: 'system', action: 'server.started' });
    clock.advance(1000);
    const second = await audit.append({ actor: 'u1', action: 'user.created', target: 'u2', detail: { email: 'a@b.org' } });
    const third = await audit.append({ action: 'transfer.purged', target: 't1', detail: 'expired' });

    assert.deepEqual(first.prevHash, GENESIS_HASH);
    assert.deepEqual(second.prevHash, first.hash);
    assert.deepEqual(third.prevHash, second.hash);
    assert.ok(first.seq < second.seq && second.seq < third.seq);
    assert.equal(second.at, first.at + 1000);
    assert.equal(second.detail, '{"email":"a@b.org"}');
    assert.equal(first.actor, 'system');
    assert.equal(third.actor, null);
    assert.deepEqual(third.hash, auditHash(second.hash, third));

    const result = await audit.verifyChain();
    assert.deepEqual(result, { ok: true, entries: 3, head: new Uint8Array(third.hash) });
  });

  it('verifies an empty log', async () => {
    assert.deepEqual(await audit.verifyChain(), { ok: true, entries: 0, head: GENESIS_HASH });
  });

  it('detects an edited entry', async () => {
    await audit.append({ action: 'a' });
    const victim = await audit.append({ action: 'user.disabled', target: 'u1' });
    await audit.append({ action: 'c' });
    await handle().db.updateTable('audit_log').set({ target: 'u2' }).where('seq', '=', victim.seq).execute();
    assert.deepEqual(await audit.verifyChain(), { ok: false, entries: 1, brokenAt: victim.seq, problem: 'hash_mismatch' });
  });

  it('detects a removed entry', async () => {
    await audit.append({ action: 'a' });
    const removed = await audit.append({ action: 'b' });
    const next = await audit.append({ action: 'c' });
    await handle().db.deleteFrom('audit_log').where('seq', '=', removed.seq).execute();
    assert.deepEqual(await audit.verifyChain(), { ok: false, entries: 1, brokenAt: next.seq, problem: 'prev_hash_mismatch' });
  });

  it('detects an entry rewritten with a recomputed hash (the next link breaks)', async () => {
    await audit.append({ action: 'a' });
    const victim = await audit.append({ action: 'b' });
    const next = await audit.append({ action: 'c' });
    const forged = auditHash(victim.prevHash, { ...victim, action: 'forged' });
    await handle().db.updateTable('audit_log').set({ action: 'forged', hash: forged }).where('seq', '=', victim.seq).execute();
    assert.deepEqual(await audit.verifyChain(), { ok: false, entries: 2, brokenAt: next.seq, problem: 'prev_hash_mismatch' });
  });

  it('keeps one unbroken chain under 40 concurrent appends', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => audit.append({ actor: `u${i}`, action: 'concurrent' })));
    const result = await audit.verifyChain();
    assert.equal(result.ok, true);
    assert.equal(result.entries, 40);
    const { rows } = await sql<{ n: number }>`select count(distinct prev_hash) as n from audit_log`.execute(handle().db);
    assert.equal(Number(rows[0]!.n), 40); // no two entries claim the same predecessor: the chain never forked
  });

  it('pages through long chains', async () => {
    for (let i = 0; i < 1205; i++) await audit.append({ action: 'bulk', detail: { i } });
    const result = await audit.verifyChain();
    assert.equal(result.ok, true);
    assert.equal(result.entries, 1205);
  });
});
