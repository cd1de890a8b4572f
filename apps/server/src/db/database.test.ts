// Database tests on SQLite and PostgreSQL: migrations, column round trips, constraints, atomic limits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { forEachDialect } from '../testing/databases.js';
import { migrateToLatest, migrationStatus } from './migrate.js';
import type { Database, NewRow } from './schema.js';
import { withWriteTransaction } from './transaction.js';

const id = () => randomBytes(16).toString('base64url');
const TABLES = [
  'access_events', 'audit_log', 'box_openings', 'data_classes', 'deletion_records', 'deposit_tokens', 'drop_box_keys', 'drop_box_owner_keys',
  'drop_boxes', 'enrollments', 'grants', 'legal_holds', 'link_challenges', 'login_throttle', 'member_keys', 'member_slots', 'openings', 'parts',
  'purge_runs', 'recipients', 'sessions', 'team_keys', 'team_members', 'teams', 'transfer_files', 'transfer_teams', 'transfers', 'unlock_wraps',
  'users',
];

async function newUser(db: Kysely<Database>, overrides: Partial<NewRow<'users'>> = {}): Promise<string> {
  const userId = id();
  await db
    .insertInto('users')
    .values({ id: userId, email: `${userId.toLowerCase()}@example.org`, status: 'active', created_at: Date.now(), ...overrides })
    .execute();
  return userId;
}

async function newTransfer(db: Kysely<Database>, senderId: string, maxDownloads: number): Promise<string> {
  const transferId = id();
  await db
    .insertInto('transfers')
    .values({
      id: transferId, sender_id: senderId, state: 'ready', created_at: Date.now(), expires_in_ms: 86_400_000,
      max_downloads: maxDownloads, ss_epoch: 0, total_bytes: 0, data_class: 'standard',
    })
    .execute();
  return transferId;
}

forEachDialect('database', (handle, dialect) => {
  it('has every migration applied, and applying again changes nothing', async () => {
    const status = await migrationStatus(handle());
    assert.deepEqual(status, [{ name: '001_initial', applied: true }, { name: '002_teams', applied: true }]);
    assert.deepEqual(await migrateToLatest(handle()), []);
    const tables = (await handle().db.introspection.getTables())
      .filter((t) => !t.name.startsWith('kysely_'))
      .map((t) => t.name)
      .sort();
    assert.deepEqual([...new Set(tables)], TABLES);
  });

  it('round-trips text, 0/1 flags, 64-bit millisecond integers, blobs and nulls', async () => {
    const { db } = handle();
    const userId = id();
    const secret = new Uint8Array(256).map((_, i) => i); // every byte value, NUL included
    const big = Number.MAX_SAFE_INTEGER;
    await db
      .insertInto('users')
      .values({
        id: userId, email: 'rt@example.org', is_admin: 1, status: 'pending', password_hash: '$argon2id$…é',
        totp_secret_enc: secret, totp_last_step: 57_000_000, quota_bytes: big, created_at: 8_640_000_000_000_000 - 1,
      })
      .execute();
    const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    assert.equal(row.email, 'rt@example.org');
    assert.equal(row.is_admin, 1);
    assert.equal(row.password_hash, '$argon2id$…é');
    assert.ok(row.totp_secret_enc instanceof Uint8Array);
    assert.deepEqual(new Uint8Array(row.totp_secret_enc), secret);
    assert.equal(row.totp_last_step, 57_000_000);
    assert.equal(row.quota_bytes, big);
    assert.equal(typeof row.created_at, 'number');
    assert.equal(row.created_at, 8_640_000_000_000_000 - 1);

    const bare = await newUser(db);
    const other = await db.selectFrom('users').selectAll().where('id', '=', bare).executeTakeFirstOrThrow();
    assert.equal(other.is_admin, 0);
    assert.equal(other.password_hash, null);
    assert.equal(other.totp_secret_enc, null);
    assert.equal(other.quota_bytes, null);

    const empty = await newTransfer(db, bare, 1);
    await db.updateTable('transfers').set({ manifest: new Uint8Array(0) }).where('id', '=', empty).execute();
    const transfer = await db.selectFrom('transfers').select(['manifest', 'downloads_used', 'purge_attempts']).where('id', '=', empty).executeTakeFirstOrThrow();
    assert.equal(transfer.manifest?.length, 0);
    assert.equal(transfer.downloads_used, 0);
    assert.equal(transfer.purge_attempts, 0);
  });

  it('returns counts and sums of 64-bit columns as numbers', async () => {
    const { db } = handle();
    const sender = await newUser(db);
    for (const size of [2 ** 40, 2 ** 41, 5]) {
      const transferId = await newTransfer(db, sender, 3);
      await db.updateTable('transfers').set({ total_bytes: size }).where('id', '=', transferId).execute();
    }
    const totals = await db
      .selectFrom('transfers')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('total_bytes').as('bytes')])
      .where('sender_id', '=', sender)
      .executeTakeFirstOrThrow();
    assert.equal(totals.count, 3);
    assert.equal(totals.bytes, 2 ** 40 + 2 ** 41 + 5);
  });

  it('enforces lowercase e-mails, uniqueness, foreign keys and the download ceiling', async () => {
    const { db } = handle();
    await assert.rejects(newUser(db, { email: 'Upper@Example.org' }));
    const userId = await newUser(db, { email: 'unique@example.org' });
    await assert.rejects(newUser(db, { email: 'unique@example.org' }));
    await assert.rejects(
      db.insertInto('sessions').values({
        id: id(), user_id: id(), kind: 'web', token_hash: randomBytes(32), created_at: 1, last_used_at: 1,
      }).execute(),
    );
    await assert.rejects(
      db.insertInto('sessions').values({
        id: id(), user_id: userId, kind: 'bogus' as 'web', token_hash: randomBytes(32), created_at: 1, last_used_at: 1,
      }).execute(),
    );
    const transferId = await newTransfer(db, userId, 2);
    await assert.rejects(db.updateTable('transfers').set({ downloads_used: 3 }).where('id', '=', transferId).execute());
  });

  it('holds drop boxes to their limits, and a transfer to exactly one of a sender or a box', async () => {
    const { db } = handle();
    const owner = await newUser(db);
    const boxId = id();
    await db.insertInto('drop_boxes').values({
      id: boxId, owner_id: owner, name: 'Lab results', sig: 'Ed25519', sig_public_key: randomBytes(32), state: 'open', created_at: 1,
      expires_at: 2, max_deposits: 2, max_deposit_bytes: 2 ** 40, allowed_domains: '[]', data_class: 'standard', closed_at: null,
    }).execute();
    const count = () => db.updateTable('drop_boxes').set((eb) => ({ deposits_used: eb('deposits_used', '+', 1) })).where('id', '=', boxId).execute();
    await count();
    await count();
    await assert.rejects(count(), 'no more deposits than max_deposits, even without the WHERE');
    await assert.rejects(db.updateTable('drop_boxes').set({ state: 'closed' }).where('id', '=', boxId).execute(), 'closed goes with closed_at');

    const deposit = (values: Partial<NewRow<'transfers'>>) => db.insertInto('transfers').values({
      id: id(), sender_id: null, box_id: boxId, depositor_email: 'ana@lab.example', depositor_name: 'Ana', state: 'uploading',
      created_at: 1, expires_in_ms: 1000, max_downloads: 1, ss_epoch: 0, total_bytes: 0, data_class: 'standard', ...values,
    }).execute();
    await deposit({});
    await assert.rejects(deposit({ sender_id: owner }), 'a sender and a box');
    await assert.rejects(deposit({ box_id: null, depositor_email: null, depositor_name: null }), 'neither a sender nor a box');
    await assert.rejects(deposit({ depositor_email: null }), 'a deposit names its depositor');
    await assert.rejects(deposit({ depositor_email: 'Ana@Lab.example' }), 'lowercase');
    await assert.rejects(deposit({ link_slot_id: id() }), 'a deposit has no link');
    await assert.rejects(deposit({ box_slot_id: id() }), 'a box slot names its epoch');
    await assert.rejects(newTransfer(db, owner, 1).then((t) => db.updateTable('transfers').set({ box_slot_id: id(), box_slot_epoch: 1 }).where('id', '=', t).execute()), 'no box slot without a box');
  });

  it('deletes a transfer together with its files, parts, recipients and gate rows', async () => {
    const { db } = handle();
    const sender = await newUser(db);
    const transferId = await newTransfer(db, sender, 5);
    const fileId = id();
    const recipientId = id();
    await db.insertInto('transfer_files').values({ id: fileId, transfer_id: transferId, idx: 0, ciphertext_size: 10, part_count: 1 }).execute();
    await db.insertInto('parts').values({
      file_id: fileId, idx: 0, transfer_id: transferId, blob_key: randomBytes(16).toString('hex'), size: 10,
      sha256: randomBytes(32), uploaded_at: 1,
    }).execute();
    await db.insertInto('recipients').values({ id: recipientId, transfer_id: transferId, email: 'r@example.org', created_at: 1 }).execute();
    await db.insertInto('openings').values({
      id: id(), transfer_id: transferId, recipient_id: recipientId, email: 'r@example.org', token_hash: randomBytes(32),
      code_hash: randomBytes(32), code_expires_at: 1, created_at: 1,
    }).execute();
    await db.insertInto('grants').values({
      id: id(), transfer_id: transferId, recipient_id: recipientId, token_hash: randomBytes(32), created_at: 1, expires_at: 2,
    }).execute();
    await db.insertInto('access_events').values({ id: id(), transfer_id: transferId, recipient_id: recipientId, kind: 'opened', at: 1 }).execute();
    await db.deleteFrom('transfers').where('id', '=', transferId).execute();
    for (const table of ['transfer_files', 'parts', 'recipients', 'openings', 'grants', 'access_events'] as const) {
      const left = await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).where('transfer_id', '=', transferId).executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 0, table);
    }
  });

  it('grants exactly max_downloads downloads to 60 concurrent atomic increments', async () => {
    const { db } = handle();
    const transferId = await newTransfer(db, await newUser(db), 25);
    const attempts = await Promise.all(
      Array.from({ length: 60 }, () =>
        db
          .updateTable('transfers')
          .set((eb) => ({ downloads_used: eb('downloads_used', '+', 1) }))
          .where('id', '=', transferId)
          .whereRef('downloads_used', '<', 'max_downloads')
          .executeTakeFirst(),
      ),
    );
    const granted = attempts.filter((r) => r.numUpdatedRows === 1n).length;
    assert.equal(granted, 25);
    assert.ok(attempts.every((r) => r.numUpdatedRows === 0n || r.numUpdatedRows === 1n));
    const row = await db.selectFrom('transfers').select('downloads_used').where('id', '=', transferId).executeTakeFirstOrThrow();
    assert.equal(row.downloads_used, 25);
  });

  it('serializes read-then-write transactions (no lost updates)', async () => {
    const h = handle();
    const key = `counter-${id()}`;
    await h.db.insertInto('login_throttle').values({ key, failures: 0, locked_until: 0, updated_at: 0 }).execute();
    await Promise.all(
      Array.from({ length: 30 }, () =>
        withWriteTransaction(h, async (trx) => {
          const { failures } = await trx.selectFrom('login_throttle').select('failures').where('key', '=', key).executeTakeFirstOrThrow();
          await new Promise((resolve) => setImmediate(resolve)); // give another transaction a chance to interleave
          await trx.updateTable('login_throttle').set({ failures: failures + 1 }).where('key', '=', key).execute();
        }, { lock: key }),
      ),
    );
    const row = await h.db.selectFrom('login_throttle').select('failures').where('key', '=', key).executeTakeFirstOrThrow();
    assert.equal(row.failures, 30);
  });

  it('rolls a write transaction back when its callback throws', async () => {
    const h = handle();
    const key = `rollback-${id()}`;
    await assert.rejects(
      withWriteTransaction(h, async (trx) => {
        await trx.insertInto('login_throttle').values({ key, failures: 1, locked_until: 0, updated_at: 0 }).execute();
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal(await h.db.selectFrom('login_throttle').select('key').where('key', '=', key).executeTakeFirst(), undefined);
    // …and the connection is usable afterwards.
    await h.ping();
  });

  it('commits a deferred-durability transaction, then restores full durability (also after a failure)', async () => {
    const h = handle();
    // SQLite: synchronous (2 = FULL) on the one connection; PostgreSQL: synchronous_commit of the transaction.
    const level = async (db: Kysely<Database>) => {
      const query = dialect === 'sqlite' ? sql`pragma synchronous` : sql`show synchronous_commit`;
      return String(Object.values((await query.execute(db)).rows[0] as object)[0]);
    };
    const full = dialect === 'sqlite' ? '2' : 'on';
    const lazy = dialect === 'sqlite' ? '1' : 'off';
    const key = `deferred-${id()}`;
    const seen = await withWriteTransaction(h, async (trx) => {
      await trx.insertInto('login_throttle').values({ key, failures: 1, locked_until: 0, updated_at: 0 }).execute();
      return level(trx);
    }, { durability: 'deferred' });
    assert.equal(seen, lazy);
    assert.equal((await h.db.selectFrom('login_throttle').select('failures').where('key', '=', key).executeTakeFirstOrThrow()).failures, 1);
    assert.equal(await withWriteTransaction(h, (trx) => level(trx)), full, 'the default is a full commit');
    await assert.rejects(withWriteTransaction(h, async () => { throw new Error('no'); }, { durability: 'deferred' }), /no/);
    assert.equal(await withWriteTransaction(h, (trx) => level(trx)), full, 'a failed deferred transaction leaves no trace');
  });

  if (dialect === 'postgres') {
    it('lives in its own schema (search_path from the connection options)', async () => {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle().db);
      assert.match(rows[0]!.schema, /^valise_test_[0-9a-f]{12}$/);
    });
  }
});
