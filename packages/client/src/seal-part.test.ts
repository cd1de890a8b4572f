// sealPart (what the web app's part-sealer workers run) gives exactly the bytes and hash of the engine's own path:
// the same FK and salt re-encrypt a part identically, which resuming relies on.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { PART_PLAINTEXT_SIZE, SALT_SIZE, encryptPart, newId, toBase64Url } from '@valise/crypto';
import { encryptorForJob, sealPart } from './upload.js';

test('sealPart matches encryptPart + SHA-256, for a full and a final part, with or without a cached encryptor', async () => {
  const plaintextSize = PART_PLAINTEXT_SIZE + 1000;
  const file = randomBytes(plaintextSize);
  const ids = { transferId: toBase64Url(newId()), fileId: toBase64Url(newId()) };
  const keys = { fileKey: toBase64Url(randomBytes(32)), salt: toBase64Url(randomBytes(SALT_SIZE)) };
  const reference = await encryptorForJob({ ...ids, ...keys });
  for (const [index, plaintext] of [[0, file.subarray(0, PART_PLAINTEXT_SIZE)], [1, file.subarray(PART_PLAINTEXT_SIZE)]] as const) {
    const expected = await encryptPart(reference, plaintextSize, index, new Uint8Array(plaintext));
    const job = { ...ids, ...keys, plaintextSize, index, plaintext: new Uint8Array(plaintext) };
    for (const sealed of [await sealPart(job), await sealPart(job, await encryptorForJob(job))]) {
      assert.deepEqual(Buffer.from(sealed.ciphertext), Buffer.from(expected));
      assert.equal(sealed.sha256, createHash('sha256').update(expected).digest('base64url'));
    }
  }
  const otherSalt = await sealPart({ ...ids, ...keys, salt: toBase64Url(randomBytes(SALT_SIZE)), plaintextSize, index: 1, plaintext: new Uint8Array(file.subarray(PART_PLAINTEXT_SIZE)) });
  assert.notDeepEqual(Buffer.from(otherSalt.ciphertext), Buffer.from(await encryptPart(reference, plaintextSize, 1, new Uint8Array(file.subarray(PART_PLAINTEXT_SIZE)))));
});
