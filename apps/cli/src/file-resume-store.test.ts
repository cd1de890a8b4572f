import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResumeState } from '@valise/client';
import { loadCredentials, requireCredentials, saveCredentials, deleteCredentials, credentialsPath } from './credentials.js';
import { createFileResumeStore, resumeFileName, sendResumeKey } from './file-resume-store.js';

const state: ResumeState = {
  v: 1,
  serverUrl: 'https://v.example',
  transferId: 'AAECAwQFBgcICQoLDA0ODw',
  fingerprint: 'fp',
  createdAt: '2025-01-01T00:00:00.000Z',
  maxDownloads: 5,
  dataClass: 'standard',
  clientKey: 'c'.repeat(43),
  linkSecret: 'l'.repeat(43),
  slotId: 'AAECAwQFBgcICQoLDA0ODw',
  files: [{ fileId: 'AAECAwQFBgcICQoLDA0ODw', key: 'k'.repeat(43), salt: 's'.repeat(32), size: 10, ciphertextSize: 82, partHashes: [null] }],
};

const mode = async (path: string) => (await stat(path)).mode & 0o777;

test('resume states are 0600 files in a 0700 folder, named by a hash of the key', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'valise-resume-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, 'uploads');
  const store = createFileResumeStore(dir);
  const key = sendResumeKey('https://v.example', ['/home/me/secret-patient-name.pdf']);

  assert.equal(await store.load(key), undefined);
  await store.save(key, state);
  assert.deepEqual(await store.load(key), state);
  const files = await readdir(dir);
  assert.deepEqual(files, [resumeFileName(key)]);
  assert.match(files[0]!, /^[0-9a-f]{64}\.json$/, 'no path or file name in the state file name');
  if (process.platform !== 'win32') {
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(join(dir, files[0]!)), 0o600);
  }

  state.files[0]!.partHashes[0] = 'h'.repeat(43);
  await store.save(key, state);
  assert.equal((await store.load(key))?.files[0]?.partHashes[0], 'h'.repeat(43));
  assert.equal((await readdir(dir)).length, 1, 'atomic replace leaves no temporary file');

  await writeFile(join(dir, files[0]!), '{not json');
  assert.equal(await store.load(key), undefined, 'a damaged state counts as none');

  await store.delete(key);
  await store.delete(key);
  assert.deepEqual(await readdir(dir), []);
});

test('an existing, too-open config folder is tightened to 0700', { skip: process.platform === 'win32' }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'valise-resume-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const { chmod, mkdir } = await import('node:fs/promises');
  const dir = join(root, 'uploads');
  await mkdir(dir, { mode: 0o755 });
  await chmod(dir, 0o755);
  await createFileResumeStore(dir).save('k', state);
  assert.equal(await mode(dir), 0o700);
});

test('credentials are 0600 in a 0700 folder, and can be deleted', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'valise-cred-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const configDir = join(root, 'valise');
  await assert.rejects(requireCredentials(configDir), (e: Error) => /not signed in/.test(e.message));
  const c = { v: 1 as const, serverUrl: 'https://v.example', email: 'a@b.example', memberId: 'm', isAdmin: false, token: 't'.repeat(43), expiresAt: null };
  await saveCredentials(configDir, c);
  assert.deepEqual(await loadCredentials(configDir), c);
  if (process.platform !== 'win32') {
    assert.equal(await mode(configDir), 0o700);
    assert.equal(await mode(credentialsPath(configDir)), 0o600);
  }
  await saveCredentials(configDir, { ...c, expiresAt: Date.now() - 1000 });
  await assert.rejects(requireCredentials(configDir), /expired/);
  await deleteCredentials(configDir);
  assert.equal(await loadCredentials(configDir), undefined);
});
