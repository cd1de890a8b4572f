// P1, end to end: the server never holds a file's content, its name, the sender's message, or the link secret.
// Unique random markers are planted in all three; the real `valise` sends and receives through the real server
// (logging at its most verbose level into a file); then everything the server has is searched for them: a dump of
// every table, the raw database files, every stored blob, the outbox and the log — as text and in the usual encodings.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTransferLink } from '@valise/client';
import { createLogger } from '@valise/server';
import { availableDialects } from '@valise/server/testing';
import { type RealServer, cliWorkspace } from '../testing/real-server.js';
import { runCli } from '../testing/run-cli.js';

/** Alphanumeric only, so that JSON, URL or header escaping could not hide it. */
const newMarker = (what: string) => `valise${what}marker${randomBytes(16).toString('hex')}`;

interface Needle {
  readonly what: string;
  /** Searched case-insensitively in the latin1 view of the haystack. */
  readonly texts: string[];
  /** Searched exactly. */
  readonly bytes: Buffer[];
}

/** The middle of the base64 of `data` placed at every offset modulo 3: found in any base64 text containing it. */
function base64Cores(data: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), data]).toString('base64');
    const core = encoded.slice(offset === 0 ? 0 : 4, -4);
    cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return cores;
}

function needle(what: string, data: Buffer, asText: string | null): Needle {
  return {
    what,
    texts: [...(asText === null ? [] : [asText]), data.toString('hex')],
    bytes: [data, ...base64Cores(data).map((c) => Buffer.from(c, 'latin1'))],
  };
}

function find(haystack: Buffer, needles: readonly Needle[]): string[] {
  const lower = haystack.toString('latin1').toLowerCase();
  const found: string[] = [];
  for (const n of needles) {
    if (n.texts.some((t) => lower.includes(t.toLowerCase())) || n.bytes.some((b) => haystack.includes(b))) found.push(n.what);
  }
  return found;
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

/** `SELECT *` of every table of the server's database (its own schema only, on PostgreSQL), binary columns as raw bytes, hex and base64. */
async function dumpDatabase(real: RealServer): Promise<{ dump: Buffer; tables: string[]; rows: number }> {
  const { database } = real.ctx.config;
  const schema = database.kind === 'postgres' ? /search_path=(\S+)/.exec(new URL(database.url).searchParams.get('options') ?? '')?.[1] : undefined;
  if (database.kind === 'postgres' && !schema) throw new Error('the test database URL names no schema');
  const db = real.db;
  const tables = (await db.introspection.getTables({ withInternalKyselyTables: true }))
    .filter((t) => !t.isView && (schema === undefined || t.schema === schema))
    .map((t) => t.name)
    .sort();
  const parts: Buffer[] = [];
  let rows = 0;
  for (const table of tables) {
    const source = schema === undefined ? db : db.withSchema(schema);
    const result = (await source.selectFrom(table as 'users').selectAll().execute()) as unknown as Record<string, unknown>[];
    for (const row of result) {
      rows++;
      for (const [column, value] of Object.entries(row)) {
        parts.push(Buffer.from(`\n${table}.${column}=`));
        if (value instanceof Uint8Array) {
          const b = Buffer.from(value);
          parts.push(b, Buffer.from(` hex:${b.toString('hex')} b64:${b.toString('base64')}`));
        } else {
          parts.push(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)));
        }
      }
    }
  }
  return { dump: Buffer.concat(parts), tables, rows };
}

describe('P1: no plaintext and no link secret on the server', { concurrency: 2 }, async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));
  const stores = [...dialects.map((dialect) => ({ dialect, blobs: 'fs' as const })), { dialect: 'sqlite' as const, blobs: 's3' as const }];

  it('the search finds every marker in every encoding it looks for (so a miss below means absence)', () => {
    const m = newMarker('selfcheck');
    const n = [needle('m', Buffer.from(m), m)];
    for (const pad of ['', 'x', 'xy']) {
      const data = Buffer.from(`${pad}${m}tail`);
      for (const form of [data, Buffer.from(data.toString('hex').toUpperCase()), Buffer.from(data.toString('base64')), Buffer.from(data.toString('base64url')), Buffer.from(m.toUpperCase())]) {
        assert.deepEqual(find(Buffer.concat([randomBytes(7), form, randomBytes(5)]), n), ['m'], `${pad}: ${form.toString('latin1').slice(0, 20)}`);
      }
    }
    assert.deepEqual(find(randomBytes(4096), n), []);
  });

  for (const store of stores) {
    it(`content, name, message and link secret never reach the server (${store.dialect}, ${store.blobs} storage)`, async (t) => {
      const logDir = await mkdtemp(join(tmpdir(), 'valise-p1-log-'));
      t.after(() => rm(logDir, { recursive: true, force: true }));
      const logPath = join(logDir, 'server.log');
      const logStream = createWriteStream(logPath);
      const w = await cliWorkspace(t, { ...store, logger: createLogger({ level: 'trace', stream: logStream }) });

      const contentMarker = newMarker('content');
      const nameMarker = newMarker('name');
      const messageMarker = newMarker('message');
      const fileName = `dossier ${nameMarker}.txt`;
      // The content marker at the start, across the boundary of the first 64 KiB chunk, and at the end.
      const content = Buffer.concat([
        Buffer.from(`${contentMarker}\n`), Buffer.alloc(65_536 - 60, 'a'), Buffer.from(`${contentMarker}\n`), Buffer.alloc(20_000, 'b'), Buffer.from(contentMarker),
      ]);
      await writeFile(join(w.src, fileName), content);

      const send = await runCli(['--json', 'send', join(w.src, fileName), '--to', 'lab@x.example', '--message', `Résultats ${messageMarker}`], { env: w.env });
      assert.equal(send.code, 0, send.stderr);
      const sent = JSON.parse(send.stdout) as { transferId: string; link: string };
      const out = join(w.root, 'out');
      const recv = await runCli(['--json', 'receive', sent.link, '--out', out, '--email', 'lab@x.example'], { env: w.env, drive: w.real.answerCode('lab@x.example') });
      assert.equal(recv.code, 0, recv.stderr);
      const list = await runCli(['list'], { env: w.env });
      assert.equal(list.code, 0, list.stderr);

      // The markers are really in what the recipient got: had they been lost on the way, the search would prove nothing.
      assert.deepEqual(await readdir(out), [fileName]);
      const received = await readFile(join(out, fileName));
      assert.deepEqual(received, content);
      assert.ok(received.includes(contentMarker));
      assert.ok((JSON.parse(recv.stdout) as { message: string }).message.includes(messageMarker));

      const ls = Buffer.from(parseTransferLink(sent.link).linkSecret);
      assert.equal(ls.length, 32);
      const needles = [
        needle('file content', Buffer.from(contentMarker), contentMarker),
        needle('file name', Buffer.from(nameMarker), nameMarker),
        needle('message', Buffer.from(messageMarker), messageMarker),
        needle('link secret', ls, ls.toString('base64url')),
      ];

      // Everything the server holds, while it runs: the database as rows, every file of its data folder (SQLite
      // database and WAL, keystore, blobs, outbox), and every object of its blob store.
      const { dump, tables, rows } = await dumpDatabase(w.real);
      for (const table of ['transfers', 'transfer_files', 'parts', 'recipients', 'openings', 'grants', 'access_events', 'users', 'sessions']) {
        assert.ok(tables.includes(table), `the dump covers ${table} (tables: ${tables.join(', ')})`);
      }
      assert.ok(rows > 10 && dump.includes(Buffer.from(sent.transferId)), 'the dump holds the transfer');
      assert.deepEqual(find(dump, needles), [], 'database rows');

      const files = [];
      for await (const path of filesUnder(w.real.server.dataDir)) files.push(path);
      if (store.dialect === 'sqlite') assert.ok(files.some((f) => f.endsWith('.db')) && files.some((f) => f.endsWith('.db-wal')), `raw SQLite files (${files.join(', ')})`);
      for (const path of files) assert.deepEqual(find(await readFile(path), needles), [], path);

      const keys = await w.real.storedKeys();
      assert.deepEqual(keys, (await w.real.blobKeys(sent.transferId)).map((b) => b.key).sort());
      assert.ok(keys.length > 0);
      for (const key of keys) assert.deepEqual(find(await w.real.readBlob(key), needles), [], `blob ${key}`);

      const mails = await w.real.outbox();
      assert.equal(mails.length, 1, 'the code e-mail');
      for (const mail of mails) assert.deepEqual(find(Buffer.from(`${mail.subject}\n${mail.body}`), needles), [], `mail ${mail.file}`);

      // The log, once the server has stopped (shutdown logs included) and the file is flushed.
      await w.real.close();
      await new Promise<void>((resolve, reject) => logStream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      const log = await readFile(logPath);
      const lines = log.toString('utf8').trim().split('\n');
      assert.ok(lines.length > 20, `the log is not empty (${lines.length} lines)`);
      assert.ok(lines.some((l) => l.includes(`/api/v1/open/${sent.transferId}/`)) && lines.some((l) => l.includes(`/api/v1/download/${sent.transferId}/`)),
        'the gate and download requests were logged');
      assert.deepEqual(find(log, needles), [], 'server log');
    });
  }
});
