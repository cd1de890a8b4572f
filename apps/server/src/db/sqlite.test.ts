// SQLite specifics: file permissions, pragmas, and the download limit across connections.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { createDatabase, type DatabaseHandle } from './database.js';
import { migrateToLatest } from './migrate.js';

// Each worker opens its own connection (as another process would: an admin command next to the server) and tries
// to consume downloads as fast as it can once told to go.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { openSqlite } = await import(workerData.moduleUrl);
  const db = await openSqlite(workerData.path);
  parentPort.postMessage('ready');
  await new Promise((resolve) => parentPort.once('message', resolve));
  let granted = 0;
  for (let i = 0; i < workerData.attempts; i++) {
    const result = await db.updateTable('transfers')
      .set((eb) => ({ downloads_used: eb('downloads_used', '+', 1) }))
      .where('id', '=', workerData.transferId)
      .whereRef('downloads_used', '<', 'max_downloads')
      .executeTakeFirst();
    granted += Number(result.numUpdatedRows);
  }
  await db.destroy();
  parentPort.postMessage(granted);
})().catch((error) => { throw error; });
`;

describe('SQLite specifics', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let path: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'valise-sqlite-'));
    path = join(dir, 'data', 'valise.db');
    handle = await createDatabase({ database: { kind: 'sqlite', path } });
    await migrateToLatest(handle);
  });
  after(async () => {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file readable by its owner only, in a 0700 folder', async () => {
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'data'))).mode & 0o777, 0o700);
  });

  it('runs with WAL, foreign keys and a busy timeout', async () => {
    const pragma = async (name: string) =>
      Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(handle.db)).rows[0] ?? {})[0];
    assert.equal(await pragma('journal_mode'), 'wal');
    assert.equal(await pragma('foreign_keys'), 1);
    assert.equal(await pragma('busy_timeout'), 5000);
    assert.equal(await pragma('synchronous'), 2); // FULL
  });

  it('keeps the download limit across separate connections writing at once', async () => {
    const userId = randomBytes(16).toString('base64url');
    const transferId = randomBytes(16).toString('base64url');
    await handle.db.insertInto('users').values({ id: userId, email: 'w@example.org', status: 'active', created_at: 1 }).execute();
    await handle.db.insertInto('transfers').values({
      id: transferId, sender_id: userId, state: 'ready', created_at: 1, expires_in_ms: 1000, max_downloads: 50,
      ss_epoch: 0, total_bytes: 0, data_class: 'standard',
    }).execute();

    const moduleUrl = new URL('./sqlite.js', import.meta.url).href;
    const workers = Array.from({ length: 4 }, () =>
      new Worker(WORKER, { eval: true, workerData: { moduleUrl, path, transferId, attempts: 40 } }),
    );
    const ready = workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject)));
    await Promise.all(ready);
    const results = workers.map(
      (w) => new Promise<number>((resolve, reject) => w.once('message', resolve).once('error', reject)),
    );
    for (const w of workers) w.postMessage('go');
    const granted = await Promise.all(results);
    assert.equal(granted.reduce((a, b) => a + b, 0), 50);
    const row = await handle.db.selectFrom('transfers').select('downloads_used').where('id', '=', transferId).executeTakeFirstOrThrow();
    assert.equal(row.downloads_used, 50);
  });
});
