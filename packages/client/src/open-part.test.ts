// openPart (what the web app's part-opener workers run) and the engine's own download path verify and decrypt
// alike: the same plaintext out, the same refusals of damaged parts; and parts in flight are opened concurrently.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { HEADER_SIZE, type ManifestFile, PART_PLAINTEXT_SIZE, SALT_SIZE, newId, partCount, toBase64Url } from '@valise/crypto';
import { type FileSink, type OpenPartJob, decryptToSinks, decryptorForJob, openPart } from './download.js';
import { IntegrityError } from './integrity-error.js';
import { sealPart } from './upload.js';

/** A file of three parts (two full, one short), sealed as the upload engine seals it. */
async function sealedFile() {
  const size = 2 * PART_PLAINTEXT_SIZE + 12_345;
  const plaintext = randomBytes(size);
  const transferId = toBase64Url(newId());
  const fileId = toBase64Url(newId());
  const fileKey = toBase64Url(randomBytes(32));
  const salt = toBase64Url(randomBytes(SALT_SIZE));
  const parts: Uint8Array[] = [];
  for (let k = 0; k < partCount(size); k++) {
    const chunk = new Uint8Array(plaintext.subarray(k * PART_PLAINTEXT_SIZE, Math.min(size, (k + 1) * PART_PLAINTEXT_SIZE)));
    parts.push((await sealPart({ transferId, fileId, fileKey, salt, plaintextSize: size, index: k, plaintext: chunk })).ciphertext);
  }
  const hashes = parts.map((p) => createHash('sha256').update(p).digest('base64url'));
  const file: ManifestFile = { fileId, name: 'a.bin', type: 'application/octet-stream', size, key: fileKey, ciphertextSize: parts.reduce((n, p) => n + p.length, 0), partHashes: hashes } as ManifestFile;
  const job = (k: number, ciphertext = parts[k]!): OpenPartJob => ({
    transferId, fileId, fileKey, plaintextSize: size, index: k, header: parts[0]!.slice(0, HEADER_SIZE), expectedSha256: hashes[k]!, ciphertext: new Uint8Array(ciphertext),
  });
  return { size, plaintext, transferId, file, parts, job };
}

const integrityCode = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof IntegrityError, `an IntegrityError, not ${String(e)}`);
    return e.failure;
  }
  return 'no error';
};

test('openPart gives back each part’s plaintext, with or without a cached decryptor', async () => {
  const { plaintext, parts, job } = await sealedFile();
  const decryptor = await decryptorForJob(job(0));
  for (let k = 0; k < parts.length; k++) {
    const expected = plaintext.subarray(k * PART_PLAINTEXT_SIZE, (k + 1) * PART_PLAINTEXT_SIZE);
    assert.deepEqual(Buffer.from(await openPart(job(k))), expected);
    assert.deepEqual(Buffer.from(await openPart(job(k), decryptor)), expected);
  }
});

test('openPart refuses a part of the wrong size, a substituted part, a forged hash and a wrong header', async () => {
  const { parts, job } = await sealedFile();
  assert.equal(await integrityCode(openPart(job(1, parts[1]!.subarray(1)))), 'part_size_mismatch');
  const flipped = new Uint8Array(parts[1]!);
  flipped[100]! ^= 1;
  assert.equal(await integrityCode(openPart(job(1, flipped))), 'part_hash_mismatch');
  // A part whose hash an attacker could also replace still fails its tags.
  const forged = { ...job(1, flipped), expectedSha256: createHash('sha256').update(flipped).digest('base64url') };
  assert.equal(await integrityCode(openPart(forged)), 'decryption_failed');
  // Part 1 of this file under part 0 of another file's header (a body moved between files).
  const other = await sealedFile();
  assert.equal(await integrityCode(openPart({ ...job(1), header: other.parts[0]!.slice(0, HEADER_SIZE) })), 'decryption_failed');
});

test('decryptToSinks through an openPart hook writes the same bytes as its own path, opening parts concurrently', async () => {
  const { plaintext, transferId, file, parts } = await sealedFile();
  const received = async (hook?: (job: OpenPartJob) => Promise<Uint8Array>, reuseBuffers = false): Promise<Buffer> => {
    const written: Buffer[] = [];
    const sink: FileSink = { write: async (b) => void written.push(Buffer.from(b)), commit: async () => undefined, abort: async () => undefined };
    await decryptToSinks({
      transferId, files: [file], createSink: () => sink, prefetch: 2, reuseBuffers, openPart: hook,
      fetchPart: async (_f, k, _signal, into) => {
        if (!into) return new Uint8Array(parts[k]!);
        into.set(parts[k]!);
        return into.subarray(0, parts[k]!.length);
      },
    });
    return Buffer.concat(written);
  };
  let inFlight = 0;
  let most = 0;
  const hook = async (job: OpenPartJob) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 20));
    try {
      return await openPart(job);
    } finally {
      inFlight--;
    }
  };
  assert.deepEqual(await received(hook), plaintext);
  assert.ok(most >= 2, `parts were opened concurrently (at most ${most} at once)`);
  assert.deepEqual(await received(), plaintext);
  assert.deepEqual(await received(undefined, true), plaintext);
});

test('decryptToSinks refuses a substituted part 0 by its hash, before its header reaches a decryptor, on either path', async () => {
  const { transferId, file } = await sealedFile();
  const other = await sealedFile();
  for (const hook of [undefined, (job: OpenPartJob) => openPart(job)]) {
    const aborted: string[] = [];
    const failure = await integrityCode(decryptToSinks({
      transferId, files: [file], prefetch: 2, openPart: hook,
      createSink: () => ({ write: async () => undefined, commit: async () => undefined, abort: async () => void aborted.push('aborted') }),
      // Part 0 of another file of the same size: its header commits to another key.
      fetchPart: async (_f, k) => new Uint8Array(k === 0 ? other.parts[0]! : (await sealedFile()).parts[k]!),
    }));
    assert.equal(failure, 'part_hash_mismatch');
    assert.deepEqual(aborted, ['aborted']);
  }
});
