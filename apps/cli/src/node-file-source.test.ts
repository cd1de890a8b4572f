import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileSource } from './node-file-source.js';

test('openFileSource reads exact ranges and sends the base name only', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'valise-src-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'report.pdf');
  const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
  await writeFile(path, bytes);
  const source = await openFileSource(path);
  t.after(() => source.close());
  assert.equal(source.name, 'report.pdf');
  assert.equal(source.type, 'application/pdf');
  assert.equal(source.size, bytes.length);
  assert.deepEqual(await source.readRange(0, 10), bytes.subarray(0, 10));
  assert.deepEqual(await source.readRange(99_990, 100_000), bytes.subarray(99_990));
  assert.equal((await source.readRange(5, 5)).length, 0);

  // A change of modification time (or size) while sending stops the upload.
  await utimes(path, new Date(), new Date(Date.now() + 5000));
  await assert.rejects(source.readRange(0, 10), /changed while it was being sent/);
});

test('openFileSource refuses folders and missing files with a usage error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'valise-src-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(openFileSource(join(dir, 'nope.txt')), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /no such file/.test(e.message));
  await assert.rejects(openFileSource(dir), (e: Error & { exitCode?: number }) => e.exitCode === 2);
});
