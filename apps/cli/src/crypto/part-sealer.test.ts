// The part-sealer threads: the same bytes and hashes as the engine's own path, parts read into the buffers they give
// back, failures inside a thread that reject (never hang), and a whole send and receive through them against the
// REAL server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FileSource, type SealPartJob, ValiseApi, encryptorForJob, receiveTransfer, uploadTransfer } from '@valise/client';
import { PART_PLAINTEXT_SIZE, SALT_SIZE, encryptPart, newId, partPlaintextRange, toBase64Url } from '@valise/crypto';
import { openFileSource } from '../node-file-source.js';
import { RealServer } from '../testing/real-server.js';
import { memorySinks } from '../testing/memory-files.js';
import { nodeAead } from './node-aead.js';
import { nodeSha256 } from './node-digest.js';
import { PartSealerPool } from './part-sealer.js';

const SEALER = new URL('./part-sealer.js', import.meta.url).href;

function fileKeys() {
  return {
    transferId: toBase64Url(newId()), fileId: toBase64Url(newId()),
    fileKey: toBase64Url(randomBytes(32)), salt: toBase64Url(randomBytes(SALT_SIZE)),
  };
}

/** Part `index` of `file` as a job, its plaintext in an array of its own (so it can be transferred). */
function jobFor(file: Uint8Array, keys: ReturnType<typeof fileKeys>, index: number): SealPartJob {
  const { start, end } = partPlaintextRange(file.length, index);
  return { ...keys, plaintextSize: file.length, index, plaintext: new Uint8Array(file.subarray(start, end)) };
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'valise-sealer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A thread that throws on its first job, as a crashing sealer would. */
async function crashingScript(dir: string): Promise<URL> {
  const path = join(dir, 'crash.mjs');
  await writeFile(path, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { throw new Error('boom'); });\n");
  return pathToFileURL(path);
}

test('the threads give the bytes and hashes of the engine\'s own path: first, middle and final part, two threads', async (t) => {
  const pool = new PartSealerPool(2);
  t.after(() => pool.terminate());
  const file = randomBytes(2 * PART_PLAINTEXT_SIZE + 1000);
  const keys = fileKeys();
  const reference = await encryptorForJob(keys); // the engine's default: WebCrypto
  const jobs = [0, 1, 2].map((k) => jobFor(file, keys, k));
  const expected = await Promise.all(jobs.map((job) => encryptPart(reference, file.length, job.index, new Uint8Array(job.plaintext))));
  const sealed = await Promise.all(jobs.map((job) => pool.seal(job))); // all in flight: both threads busy
  for (const [k, part] of sealed.entries()) {
    assert.ok(Buffer.from(part.ciphertext).equals(Buffer.from(expected[k]!)), `part ${k} differs`);
    assert.equal(part.sha256, createHash('sha256').update(expected[k]!).digest('base64url'));
  }
  assert.deepEqual(jobs.map((job) => job.plaintext.byteLength), [0, 0, 0], 'the plaintext was transferred, not copied');
});

test('whole parts are read into the plaintext buffers the threads give back, with the right bytes', async (t) => {
  const dir = await tempDir(t);
  const bytes = randomBytes(2 * PART_PLAINTEXT_SIZE + 5);
  await writeFile(join(dir, 'a.bin'), bytes);
  const source = await openFileSource(join(dir, 'a.bin'));
  t.after(() => source.close());
  const into: number[] = [];
  const watched: FileSource = { ...source, readRangeInto: (start, end, buffer) => (into.push(buffer.byteLength), source.readRangeInto!(start, end, buffer)) };
  const pool = new PartSealerPool(1);
  t.after(() => pool.terminate());
  const recycled = pool.recycling(watched);
  const keys = fileKeys();
  for (let k = 0; k < 3; k++) {
    const { start, end } = partPlaintextRange(bytes.length, k);
    const plaintext = await recycled.readRange(start, end);
    assert.ok(Buffer.from(plaintext).equals(bytes.subarray(start, end)), `part ${k} was read wrong`);
    await pool.seal({ ...keys, plaintextSize: bytes.length, index: k, plaintext });
  }
  // Part 0 into a fresh array; part 1 into part 0's buffer; the short final part into a fresh array of its size.
  assert.deepEqual(into, [PART_PLAINTEXT_SIZE]);
});

test('a failure inside a thread rejects that part with a clear error; the next part still seals', async (t) => {
  const pool = new PartSealerPool(1);
  t.after(() => pool.terminate());
  const file = randomBytes(1000);
  const keys = fileKeys();
  await assert.rejects(pool.seal({ ...jobFor(file, keys, 0), salt: 'not-a-salt' }), /^Error: encrypting a part failed: ./);
  const sealed = await pool.seal(jobFor(file, keys, 0));
  assert.equal(sealed.ciphertext.length, 1000 + 56 + 16);
});

test('a thread that dies fails its part and every later one, instead of leaving them waiting', async (t) => {
  const pool = new PartSealerPool(2, await crashingScript(await tempDir(t)));
  t.after(() => pool.terminate());
  const file = randomBytes(1000);
  await assert.rejects(pool.seal(jobFor(file, fileKeys(), 0)), /^Error: a part-sealer thread failed: boom$/);
  await assert.rejects(pool.seal(jobFor(file, fileKeys(), 0)), /^Error: a part-sealer thread failed: boom$/);
});

test('a process exits by itself once its pool is idle or stopped, even with a part still being sealed', async (t) => {
  // Idle threads keep nothing alive (no terminate at all); terminate() rejects the part in flight and ends the threads.
  const script = `
    import { PartSealerPool } from ${JSON.stringify(SEALER)};
    const job = (size, salt = 'A'.repeat(32)) => ({ transferId: 'A'.repeat(22), fileId: 'A'.repeat(22), fileKey: 'A'.repeat(43), salt, plaintextSize: size, index: 0, plaintext: new Uint8Array(Math.min(size, ${PART_PLAINTEXT_SIZE})) });
    const idle = new PartSealerPool(2);
    await idle.seal(job(3, 'bad')).catch((e) => console.log(e.message));
    await idle.seal(job(3)).then(() => console.log('sealed'));
    const stopped = new PartSealerPool(2);
    const running = stopped.seal(job(64 << 20)).catch((e) => e.message);
    await stopped.terminate();
    console.log(await running);
  `;
  const path = join(await tempDir(t), 'pools.mjs');
  await writeFile(path, script);
  const run = spawnSync(process.execPath, [path], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.signal, null, 'the process did not exit by itself');
  assert.equal(run.status, 0, run.stderr);
  const [failed, ...rest] = run.stdout.trim().split('\n');
  assert.match(failed!, /^encrypting a part failed: ./);
  assert.deepEqual(rest, ['sealed', 'the part-sealer threads were stopped']);
});

test('uploadTransfer through the threads, against the real server: the recipient gets every byte back', async (t) => {
  const real = await RealServer.start();
  t.after(() => real.close());
  const token = await real.apiToken(await real.member());
  const api = new ValiseApi({ serverUrl: real.url, token });
  const dir = await tempDir(t);
  const bytes = randomBytes(3 * PART_PLAINTEXT_SIZE + 12_345);
  await writeFile(join(dir, 'scan.bin'), bytes);
  const source = await openFileSource(join(dir, 'scan.bin'));
  t.after(() => source.close());
  const pool = new PartSealerPool(2);
  t.after(() => pool.terminate());
  const sent = await uploadTransfer({
    api, files: [pool.recycling(source)], recipients: ['r@x.example'], aead: nodeAead, sha256: nodeSha256, reuseBuffers: true,
    sealPart: (job) => pool.seal(job),
  });
  const sinks = memorySinks();
  await receiveTransfer(sent.link, { email: 'r@x.example', askCode: () => real.nextCode('r@x.example') }, { createSink: (m) => sinks.createSink(m) });
  assert.ok(Buffer.from(sinks.committed.get('scan.bin')!).equals(bytes));
});

test('a thread dying during uploadTransfer rejects the upload with the thread\'s error', async (t) => {
  const real = await RealServer.start();
  t.after(() => real.close());
  const api = new ValiseApi({ serverUrl: real.url, token: await real.apiToken(await real.member()) });
  const pool = new PartSealerPool(2, await crashingScript(await tempDir(t)));
  t.after(() => pool.terminate());
  const file: FileSource = { name: 'a.bin', type: 'application/octet-stream', size: 5, readRange: async () => new Uint8Array(5) };
  await assert.rejects(
    uploadTransfer({ api, files: [file], recipients: ['r@x.example'], sealPart: (job) => pool.seal(job) }),
    /^Error: a part-sealer thread failed: boom$/,
  );
});
