// A hostile sender controls file names in the (authenticated) manifest. These tests build a real encrypted
// transfer with hand-made malicious names and drive the receive engine's verify-decrypt-write step into the
// CLI's folder sinks: everything must land inside --out, under safe names, and nothing may survive a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntegrityError, decryptToSinks } from '@valise/client';
import {
  type Manifest, type ManifestFile, createEncryptor, decryptManifest, deriveTransferKey, encryptManifest,
  encryptPart, fileContext, idFromText, idToText, newId, newSecret, partCount, partHash, partPlaintextRange,
  toBase64Url, ciphertextSize,
} from '@valise/crypto';
import { TEMP_PREFIX, createFolderSinks, resolveOutputDir } from './node-file-sink.js';

interface Built {
  transferId: string;
  manifest: Manifest;
  parts: Map<string, Uint8Array[]>;
  contents: Uint8Array[];
}

/** Encrypts files under fresh keys with the real format code, and returns the manifest as a receiver decrypts it. */
async function buildTransfer(files: { name: string; content: Uint8Array }[]): Promise<Built> {
  const tidBytes = newId<'TransferId'>();
  const transferId = idToText(tidBytes);
  const parts = new Map<string, Uint8Array[]>();
  const entries: ManifestFile[] = [];
  for (const f of files) {
    const fileIdBytes = newId<'FileId'>();
    const fileId = idToText(fileIdBytes);
    const fk = newSecret<'FileKey'>();
    const encryptor = await createEncryptor(fk, fileContext(tidBytes, fileIdBytes));
    const size = f.content.length;
    const list: Uint8Array[] = [];
    for (let k = 0; k < partCount(size); k++) {
      const r = partPlaintextRange(size, k);
      list.push(await encryptPart(encryptor, size, k, f.content.subarray(r.start, r.end)));
    }
    parts.set(fileId, list);
    entries.push({
      fileId, key: toBase64Url(fk), name: f.name, type: 'application/octet-stream', size,
      ciphertextSize: ciphertextSize(size), partHashes: await Promise.all(list.map((p) => partHash(p))),
    });
  }
  const manifest: Manifest = { v: 1, transferId, createdAt: new Date().toISOString(), message: null, files: entries };
  // Round-trip through the real manifest encryption and strict validation, as the receiver would see it.
  const tk = await deriveTransferKey(newSecret<'ClientKey'>(), newSecret<'ServerShare'>(), tidBytes);
  const decrypted = await decryptManifest(tk, idFromText<'TransferId'>(transferId), await encryptManifest(tk, manifest));
  return { transferId, manifest: decrypted, parts, contents: files.map((f) => f.content) };
}

async function receiveInto(built: Built, outDir: string, fetchPart?: (file: ManifestFile, k: number) => Uint8Array) {
  const sinks = createFolderSinks(await resolveOutputDir(outDir));
  await decryptToSinks({
    transferId: built.transferId,
    files: built.manifest.files,
    fetchPart: async (file, k) => (fetchPart ? fetchPart(file, k) : built.parts.get(file.fileId)![k]!),
    createSink: sinks.createSink,
  });
  return sinks.saved;
}

const text = (s: string) => new TextEncoder().encode(s);

async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    out.push(prefix + e.name);
    if (e.isDirectory()) out.push(...(await tree(join(dir, e.name), `${prefix}${e.name}/`)));
  }
  return out.sort();
}

test('malicious names from a manifest are written only inside --out, under safe unique names', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'valise-sink-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const out = join(root, 'out');
  await mkdir(out);
  await writeFile(join(out, 'abs'), 'already here'); // must not be overwritten
  await writeFile(join(root, 'outside.txt'), 'outside');
  await symlink(join(root, 'outside.txt'), join(out, 'link')); // a planted symlink must not be followed

  const hostile = [
    '../x', '/abs', 'a\u0000b', '\u0007bell\u001b[31m', '..', 'C:\\Windows\\evil.dll', '..\\..\\x', '\u202Egnp.exe',
    'CON', 'link', '.hidden', 'dir/../../escape', 'sub/x', '\u2028\u2029', 'normal.txt',
  ];
  const big = new Uint8Array(8 * 1024 * 1024 + 1000).map((_, i) => (i * 7) % 256); // two parts
  const built = await buildTransfer(hostile.map((name, i) => ({ name, content: i === 14 ? big : text(`file ${i}: ${name}`) })));
  assert.deepEqual(built.manifest.files.map((f) => f.name), hostile, 'the hostile names survive manifest validation');

  const saved = await receiveInto(built, out);
  assert.deepEqual(saved.map((s) => s.name), [
    'x', 'abs (1)', 'ab', 'bell[31m', 'file', 'evil.dll', 'x (1)', 'gnp.exe',
    '_CON', 'link (1)', 'hidden', 'escape', 'x (2)', 'file (1)', 'normal.txt',
  ]);
  for (const s of saved) {
    assert.equal(join(out, s.name), s.path);
    assert.deepEqual(new Uint8Array(await readFile(s.path)), built.contents[s.index], s.name);
  }
  assert.deepEqual(await tree(root), ['out', 'outside.txt', ...[...saved.map((s) => `out/${s.name}`), 'out/abs', 'out/link'].sort().map((n) => n)].sort());
  assert.equal(await readFile(join(out, 'abs'), 'utf8'), 'already here');
  assert.equal(await readFile(join(root, 'outside.txt'), 'utf8'), 'outside');
  assert.ok(!(await readdir(out)).some((n) => n.startsWith(TEMP_PREFIX)), 'no temporary file left');
});

test('a tampered part fails the transfer before decryption and leaves no file at all', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'valise-sink-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const built = await buildTransfer([{ name: 'first.txt', content: text('intact') }, { name: 'second.txt', content: text('will be tampered') }]);
  const second = built.manifest.files[1]!;
  await assert.rejects(
    receiveInto(built, root, (file, k) => {
      const part = new Uint8Array(built.parts.get(file.fileId)![k]!);
      if (file.fileId === second.fileId) part[part.length - 1]! ^= 1;
      return part;
    }),
    (e: unknown) => e instanceof IntegrityError && e.failure === 'part_hash_mismatch',
  );
  assert.deepEqual(await readdir(root), [], 'the verified first file is not kept either: all or nothing');
});

test('a part of the wrong size, or another file\'s part, is refused', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'valise-sink-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const built = await buildTransfer([{ name: 'a.txt', content: text('aaaa') }, { name: 'b.txt', content: text('bbbb') }]);
  const [a, b] = built.manifest.files;
  await assert.rejects(
    receiveInto(built, root, (file, k) => built.parts.get(file.fileId)![k]!.subarray(1)),
    (e: unknown) => e instanceof IntegrityError && e.failure === 'part_size_mismatch',
  );
  await assert.rejects(
    receiveInto(built, root, (file, k) => built.parts.get(file.fileId === b!.fileId ? a!.fileId : file.fileId)![k]!),
    (e: unknown) => e instanceof IntegrityError && e.failure === 'part_hash_mismatch',
  );
  assert.deepEqual(await readdir(root), []);
});
