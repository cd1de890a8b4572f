// Purge figures: throughput over many expired transfers with small blobs (SQLite and PostgreSQL, filesystem
// storage), and the lag behind deadlines under a steady stream of expirations with the job on its real timer.
// `node bench/purge.mjs` runs these alone; `npm run bench` runs them after the transfer figures.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createLogger, createServerContext, loadConfig, withWriteTransaction } from '@valise/server';
import { newId } from '../apps/server/dist/accounts/tokens.js';
import { newBlobKey } from '../apps/server/dist/blobs/blob-store.js';
import { PurgeJob } from '../apps/server/dist/jobs/purge.job.js';
import { createTestSchema, displayUrl, postgresAvailability } from '../apps/server/dist/testing/postgres.js';

const BLOB_BYTES = 64;
const INSERT_CHUNK = 400;
const systemClock = { now: () => Date.now() };
const log = (...a) => console.error(' ', ...a);

/** A fresh database (SQLite in the data folder, or a new PostgreSQL schema) and a context over it. */
async function openBench(dialect, env = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'valise-purge-bench-'));
  const schema = dialect === 'postgres' ? await createTestSchema() : null;
  const config = loadConfig({
    VALISE_DATA_DIR: dataDir, VALISE_LOG_LEVEL: 'warn', ...(schema ? { VALISE_DATABASE_URL: schema.url } : {}), ...env,
  });
  const logger = createLogger({ level: process.env.BENCH_DEBUG ? 'info' : 'warn' });
  const ctx = await createServerContext(config, { logger });
  const senderId = newId();
  await ctx.database.db.insertInto('users').values({
    id: senderId, email: `bench-${senderId.slice(0, 6).toLowerCase()}@bench.example`, is_admin: 0, status: 'active', password_hash: null,
    totp_secret_enc: null, totp_last_step: null, quota_bytes: null, created_at: Date.now(),
  }).execute();
  return {
    ctx, senderId, logger,
    async close() {
      await ctx.close();
      await schema?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Rows of `count` ready transfers (one file, one part, one recipient each) expiring at `expiresAt(i)`. */
function transferRows(senderId, count, expiresAt, now) {
  const transfers = [];
  const files = [];
  const parts = [];
  const recipients = [];
  for (let i = 0; i < count; i++) {
    const id = newId();
    const fileId = newId();
    const blob = randomBytes(BLOB_BYTES);
    const key = newBlobKey();
    transfers.push({
      id, sender_id: senderId, state: 'ready', close_reason: null, data_class: 'standard', created_at: now, finalized_at: now,
      expires_in_ms: 60_000, expires_at: expiresAt(i), max_downloads: 1, ss_enc: randomBytes(60), ss_epoch: 1, link_slot_id: newId(),
      link_slot: randomBytes(120), link_auth_key: randomBytes(32), manifest: randomBytes(200), total_bytes: BLOB_BYTES, closed_at: null, purged_at: null,
    });
    files.push({ id: fileId, transfer_id: id, idx: 0, ciphertext_size: BLOB_BYTES, part_count: 1 });
    parts.push({ file_id: fileId, idx: 0, transfer_id: id, blob_key: key, size: BLOB_BYTES, sha256: createHash('sha256').update(blob).digest(), uploaded_at: now, blob });
    recipients.push({ id: newId(), transfer_id: id, email: 'r@lab.example', created_at: now });
  }
  return { transfers, files, parts, recipients };
}

async function insertRows(handle, rows) {
  await withWriteTransaction(handle, async (trx) => {
    await trx.insertInto('transfers').values(rows.transfers).execute();
    await trx.insertInto('transfer_files').values(rows.files).execute();
    await trx.insertInto('parts').values(rows.parts.map(({ blob, ...p }) => p)).execute();
    await trx.insertInto('recipients').values(rows.recipients).execute();
  });
}

async function blobCount(dir) {
  let n = 0;
  for (const fanout of await readdir(dir)) if (/^[0-9a-f]{2}$/.test(fanout)) n += (await readdir(join(dir, fanout))).length;
  return n;
}

/**
 * Purge throughput: `count` transfers already past their expiry, each with one 64-byte blob, purged by one run
 * (closing included), timed from the start of the run to its end. The blobs are written straight into the store's
 * layout to keep the set-up short; the purge deletes them through the store (unlink, directory fsync, stat).
 */
export async function measurePurgeThroughput({ dialect, count }) {
  const bench = await openBench(dialect);
  try {
    const { ctx } = bench;
    const dir = ctx.config.blobs.dir;
    for (let i = 0; i < 256; i++) await mkdir(join(dir, i.toString(16).padStart(2, '0')), { recursive: true });
    const now = Date.now();
    for (let done = 0; done < count; done += INSERT_CHUNK) {
      const rows = transferRows(bench.senderId, Math.min(INSERT_CHUNK, count - done), () => now - 1000, now);
      await Promise.all(rows.parts.map((p) => writeFile(join(dir, p.blob_key.slice(0, 2), p.blob_key), p.blob)));
      await insertRows(ctx.database, rows);
    }
    log(`${dialect}: ${count} expired transfers ready, purging`);
    const job = new PurgeJob({ handle: ctx.database, blobs: ctx.blobs, clock: systemClock, audit: ctx.audit, logger: bench.logger, intervalMs: 30_000 });
    const started = performance.now();
    const report = await job.runOnce();
    const seconds = (performance.now() - started) / 1000;
    if (report.purged.length !== count || report.failed.length > 0) throw new Error(`purged ${report.purged.length} of ${count}, ${report.failed.length} failed`);
    const left = await blobCount(dir);
    if (left !== 0) throw new Error(`${left} blobs left after the purge`);
    const records = await ctx.database.db.selectFrom('deletion_records').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    if (Number(records.n) !== count) throw new Error(`${records.n} deletion records for ${count} transfers`);
    const chain = await ctx.audit.verifyChain();
    if (!chain.ok) throw new Error('audit chain broken after the purge');
    return { perSecond: count / seconds, seconds };
  } finally {
    await bench.close();
  }
}

/**
 * Purge lag: `rate` transfers a second expire for `seconds` seconds (each created, with its blob stored through the
 * store, a moment before it expires), while the purge job runs on its timer every `intervalMs`. The lag of each
 * transfer is its deletion record's: purge time minus expiry.
 */
export async function measurePurgeLag({ dialect, seconds, rate = 100, intervalMs = 30_000 }) {
  const bench = await openBench(dialect);
  const { ctx } = bench;
  const job = new PurgeJob({ handle: ctx.database, blobs: ctx.blobs, clock: systemClock, audit: ctx.audit, logger: bench.logger, intervalMs });
  try {
    const tickMs = 100;
    const perTick = Math.round((rate * tickMs) / 1000);
    const leadMs = 2000;
    const start = Date.now();
    job.start();
    let created = 0;
    for (let tick = 0; tick < (seconds * 1000) / tickMs; tick++) {
      const due = start + tick * tickMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Created `leadMs` before they expire, spread over the tick: a steady `rate` expirations a second.
      const rows = transferRows(bench.senderId, perTick, (i) => due + leadMs + Math.floor((i * tickMs) / perTick), Date.now());
      await Promise.all(rows.parts.map((p) => ctx.blobs.put(p.blob_key, Readable.from([p.blob]), BLOB_BYTES)));
      await insertRows(ctx.database, rows);
      created += perTick;
    }
    log(`${dialect}: ${created} expirations over ${seconds} s; waiting for the timer's runs to purge them`);
    const deadline = Date.now() + 2 * intervalMs + 60_000;
    for (;;) {
      const { n } = await ctx.database.db.selectFrom('deletion_records').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      if (Number(n) >= created) break;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${created} purged`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await job.stop();
    const lags = (await ctx.database.db.selectFrom('deletion_records').select('lag_ms').orderBy('lag_ms').execute()).map((r) => Number(r.lag_ms));
    const runs = await ctx.database.db.selectFrom('purge_runs').select(['started_at', 'finished_at', 'purged']).where('purged', '>', 0).execute();
    const runSeconds = runs.map((r) => (Number(r.finished_at) - Number(r.started_at)) / 1000);
    return {
      transfers: created,
      maxS: lags[lags.length - 1] / 1000,
      p99S: lags[Math.ceil(lags.length * 0.99) - 1] / 1000,
      medianS: lags[Math.floor(lags.length / 2)] / 1000,
      runs: runs.length,
      longestRunS: Math.max(...runSeconds),
    };
  } finally {
    await job.stop();
    await bench.close();
  }
}

/** Every purge figure, as rows of the benchmark's table. Settings: see bench/README.md. */
export async function measurePurge(row) {
  const count = Number(process.env.BENCH_PURGE_TRANSFERS ?? 20_000);
  const lagSeconds = Number(process.env.BENCH_PURGE_LAG_SECONDS ?? 90);
  const intervalMs = Number(process.env.BENCH_PURGE_INTERVAL_S ?? 30) * 1000;
  const wanted = (process.env.BENCH_PURGE_DIALECTS ?? 'sqlite,postgres').split(',');
  const lagDialects = (process.env.BENCH_PURGE_LAG_DIALECTS ?? 'sqlite').split(',');
  const pg = await postgresAvailability();
  const dialects = wanted.filter((d) => d === 'sqlite' || (d === 'postgres' && pg.reachable));
  if (wanted.includes('postgres') && !pg.reachable) console.error(`purge on PostgreSQL NOT MEASURED: not reachable at ${displayUrl()}`);
  for (const dialect of dialects) {
    console.error(`purge throughput, ${dialect}, ${count} transfers`);
    const t = await measurePurgeThroughput({ dialect, count });
    row(`purge throughput, ${count} expired (${dialect})`, t.perSecond, 'transfers/s', dialect === 'sqlite' ? '≥ 1000' : '');
  }
  for (const dialect of dialects.filter((d) => lagDialects.includes(d))) {
    console.error(`purge lag, ${dialect}: 100 expirations/s for ${lagSeconds} s, a run every ${intervalMs / 1000} s`);
    const l = await measurePurgeLag({ dialect, seconds: lagSeconds, intervalMs });
    row(`purge lag max, 100 expirations/s (${dialect})`, l.maxS, 's', '≤ 60');
    row(`purge lag p99, 100 expirations/s (${dialect})`, l.p99S, 's');
    row(`purge lag median (${dialect})`, l.medianS, 's', `(${l.transfers} transfers, ${l.runs} runs, longest ${l.longestRunS.toFixed(1)} s)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = [];
  await measurePurge((what, value, unit, target = '') => {
    rows.push({ what, value, unit, target });
    console.error(`  ${what}: ${value.toFixed(1)} ${unit} ${target}`);
  });
  for (const r of rows) console.log(`| ${r.what} | ${r.value.toFixed(1)} | ${r.unit} | ${r.target} |`);
}
