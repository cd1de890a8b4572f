// The promise of crypto-shredding, tested by restoring a real database backup: taken while transfers are live, it
// opens every server share with the current key store while their day keys exist — even after the purge destroyed
// the shares in the live database — and none once the shredder destroyed those keys.
//
// Backups: SQLite with VACUUM INTO (a consistent copy of a live WAL database, what an operator's backup does);
// PostgreSQL by copying every table into another schema in one REPEATABLE READ transaction (the snapshot pg_dump
// takes) and restoring into a freshly migrated schema: no pg_dump binary, whose version must match the server's.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { createDatabase, type DatabaseHandle, type Dialect } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import { openKeystore } from '../keystore.js';
import { DAY_MS, ShareKeyGoneError, epochEnd } from '../share-keys.js';
import { availableDialects } from '../testing/databases.js';
import { createTestSchema } from '../testing/postgres.js';
import { Harness, type SentTransfer } from '../transfers/transfer-test-kit.js';
import { openServerShare } from '../transfers/server-share.js';
import { ShareKeyShredder } from './share-key-shredder.js';

const WINDOW_MS = 32 * DAY_MS;

interface Backup {
  /** A fresh database holding what the backup held; `close` removes it. */
  restore(): Promise<{ readonly handle: DatabaseHandle; close(): Promise<void> }>;
  drop(): Promise<void>;
}

async function sqliteBackup(live: Kysely<Database>): Promise<Backup> {
  const dir = await mkdtemp(join(tmpdir(), 'valise-backup-'));
  const file = join(dir, 'backup.db');
  await sql`vacuum into ${file}`.execute(live);
  return {
    async restore() {
      const target = await mkdtemp(join(tmpdir(), 'valise-restored-'));
      await copyFile(file, join(target, 'valise.db'));
      const handle = await createDatabase({ database: { kind: 'sqlite', path: join(target, 'valise.db') } });
      return { handle, close: async () => { await handle.close(); await rm(target, { recursive: true, force: true }); } };
    },
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresBackup(live: Kysely<Database>): Promise<Backup> {
  const { rows: [current] } = await sql<{ schema: string }>`select current_schema() as schema`.execute(live);
  const liveSchema = current!.schema;
  const tables = await tablesParentsFirst(live, liveSchema);
  const backup = await createTestSchema();
  await live.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    for (const table of tables) await sql`create table ${sql.id(backup.schema, table)} as table ${sql.id(liveSchema, table)}`.execute(trx);
  });
  return {
    async restore() {
      const target = await createTestSchema();
      const handle = await createDatabase({ database: { kind: 'postgres', url: target.url } });
      await migrateToLatest(handle);
      await handle.db.transaction().execute(async (trx) => {
        // The migrations seed rows (the data classes); a restore replaces them with the backup's.
        await sql`truncate ${sql.join(tables.map((t) => sql.id(target.schema, t)))}`.execute(trx);
        for (const table of tables) {
          // OVERRIDING SYSTEM VALUE: audit_log.seq is an identity column; the backup's numbers are kept.
          await sql`insert into ${sql.id(target.schema, table)} overriding system value select * from ${sql.id(backup.schema, table)}`.execute(trx);
        }
      });
      return { handle, close: async () => { await handle.close(); await target.drop(); } };
    },
    drop: () => backup.drop(),
  };
}

/** The schema's tables (the migrations' bookkeeping aside), each after the tables its foreign keys point to. */
async function tablesParentsFirst(db: Kysely<Database>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string; parents: string[] }>`
    select c.relname::text as name,
           coalesce(array_agg(distinct p.relname::text) filter (where p.relname is not null and p.relname <> c.relname), '{}'::text[]) as parents
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_constraint k on k.conrelid = c.oid and k.contype = 'f'
      left join pg_class p on p.oid = k.confrelid
     where n.nspname = ${schema} and c.relkind = 'r' and c.relname not like 'kysely\\_%'
     group by c.relname`.execute(db);
  const ordered: string[] = [];
  const pending = new Map(rows.map((r) => [r.name, r.parents]));
  while (pending.size > 0) {
    const ready = [...pending].filter(([, parents]) => parents.every((p) => ordered.includes(p))).map(([name]) => name);
    assert.ok(ready.length > 0, 'foreign keys form a cycle');
    for (const name of ready.sort()) {
      ordered.push(name);
      pending.delete(name);
    }
  }
  return ordered;
}

/** Opens the SS of every transfer in a restored database with a key store freshly read from the data folder. */
async function openEveryShare(restored: DatabaseHandle, dataDir: string, now: () => number): Promise<Map<string, string | Error>> {
  const keystore = await openKeystore(dataDir, { now });
  const rows = await restored.db.selectFrom('transfers').select(['id', 'ss_enc', 'ss_epoch']).execute();
  const opened = new Map<string, string | Error>();
  for (const row of rows) {
    assert.notEqual(row.ss_enc, null, `the backup holds the sealed share of ${row.id}`);
    try {
      opened.set(row.id, Buffer.from(openServerShare(keystore, row.id, { sealed: row.ss_enc!, epoch: Number(row.ss_epoch) })).toString('base64url'));
    } catch (error) {
      opened.set(row.id, error as Error);
    }
  }
  return opened;
}

describe('a database backup older than the share-key window', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));
  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let backup: Backup;
      const sent: SentTransfer[] = [];
      let uploading: { transferId: string; serverShare: string };

      before(async () => {
        h = await Harness.start({ dialect: dialect as Dialect });
        const alice = await h.member();
        sent.push(await h.send(alice));
        const granted = await h.grant(sent[0]!, 'r@lab.example');
        assert.equal(granted.status, 200);
        h.clock.advance(DAY_MS);
        sent.push(await h.send(alice, { maxDownloads: 3 }));
        const created = await h.create(alice, [5000]); // left uploading
        uploading = { transferId: created.body.transferId, serverShare: created.body.serverShare };
        backup = dialect === 'sqlite' ? await sqliteBackup(h.db) : await postgresBackup(h.db);
      });
      after(async () => {
        await backup?.drop();
        await h?.close();
      });

      it('opens every share while the keys exist (even once purged live), and none after the shredder ran', async () => {
        const expected = new Map([...sent.map((s) => [s.transferId, s.created.serverShare] as const), [uploading.transferId, uploading.serverShare]]);
        const epochs = await h.server.ctx.keystore.shareKeys.epochs();
        assert.equal(epochs.length, 2, 'the backup spans two days, two keys');

        // Past the window of the newest day; the purge destroys every share in the live database.
        h.clock.set(epochEnd(Math.max(...epochs)) + WINDOW_MS + 1);
        const purged = await h.domain.purge.runOnce();
        assert.equal(purged.purged.length, expected.size);
        const live = await h.db.selectFrom('transfers').select('ss_enc').execute();
        assert.ok(live.every((t) => t.ss_enc === null));

        // Before shredding, the backup still opens: purging the live rows alone does not protect old backups.
        const early = await backup.restore();
        try {
          assert.deepEqual(await openEveryShare(early.handle, h.server.dataDir, () => h.clock.now()), expected);
        } finally {
          await early.close();
        }

        const shredder = h.domain.jobs.find((j) => j instanceof ShareKeyShredder) as ShareKeyShredder;
        assert.deepEqual((await shredder.runOnce()).destroyed.map((d) => d.epoch), epochs);

        const late = await backup.restore();
        try {
          const opened = await openEveryShare(late.handle, h.server.dataDir, () => h.clock.now());
          assert.deepEqual([...opened.keys()].sort(), [...expected.keys()].sort());
          for (const [id, result] of opened) {
            assert.ok(result instanceof ShareKeyGoneError, `${id}: ${String(result)}`);
            assert.match(result.message, /^the share key of epoch \d+ \(\d{4}-\d\d-\d\d\) is gone/);
          }
        } finally {
          await late.close();
        }
      });
    });
  }
});
