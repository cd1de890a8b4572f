// Part uploads over real HTTP, on both databases and both blob stores: sizes, hashes, no orphans, early refusal.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { it } from 'node:test';
import { PART_HASH_HEADER } from '@valise/protocol';
import { describeEachStore, partBytes, sha256Of } from './transfer-test-kit.js';

const TWO_PARTS = 9_000_000;

describeEachStore('part uploads', (s) => {
  async function fresh() {
    const created = (await s.h.create(s.alice, [TWO_PARTS])).body;
    const file = created.files[0];
    return { created, file, ciphertext: randomBytes(file.ciphertextSize) };
  }

  it('stores a part, checking its hash, and answers a receipt', async () => {
    const { created, file, ciphertext } = await fresh();
    const part = partBytes(ciphertext, TWO_PARTS, 1);
    const r = await s.h.putPart(s.alice, created.transferId, file.fileId, 1, part);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { index: 1, size: part.length, sha256: sha256Of(part) });
    const [key] = await s.h.blobKeys(created.transferId);
    assert.deepEqual(await s.h.server.ctx.blobs.stat(key!), { size: part.length });
  });

  it('refuses a wrong hash (422) and a wrong size (400), keeping no blob', async () => {
    const { created, file, ciphertext } = await fresh();
    const before = (await s.h.storedKeys()).length;
    const part = partBytes(ciphertext, TWO_PARTS, 0);
    const wrongHash = await s.h.putPart(s.alice, created.transferId, file.fileId, 0, part, sha256Of(randomBytes(8)));
    assert.equal(wrongHash.status, 422);
    assert.equal(wrongHash.body.code, 'part_hash_mismatch');
    const short = part.subarray(0, part.length - 1);
    const wrongSize = await s.h.putPart(s.alice, created.transferId, file.fileId, 0, short);
    assert.equal(wrongSize.status, 400);
    assert.equal(wrongSize.body.code, 'part_size_mismatch');
    const outOfRange = await s.h.putPart(s.alice, created.transferId, file.fileId, 2, part);
    assert.equal(outOfRange.body.code, 'part_out_of_range');
    assert.equal((await s.h.storedKeys()).length, before, 'no blob left behind');
    assert.deepEqual(await s.h.blobKeys(created.transferId), []);
  });

  it('answers 413 to an oversized Content-Length before reading the body', async () => {
    const { created, file } = await fresh();
    const url = new URL(s.h.server.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const announced = 100 * 1024 * 1024;
    socket.write(
      `PUT /api/v1/transfers/${created.transferId}/files/${file.fileId}/parts/0 HTTP/1.1\r\n` +
        `Host: ${url.host}\r\nAuthorization: Bearer ${s.alice.token}\r\nContent-Type: application/octet-stream\r\n` +
        `${PART_HASH_HEADER}: ${sha256Of(Buffer.alloc(1))}\r\nContent-Length: ${announced}\r\n\r\n`,
    );
    socket.write(randomBytes(64 * 1024));
    // Only 64 KiB of 100 MiB sent: an answer now means the server did not wait for (or buffer) the body.
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n') && text.includes('}')) resolve(text);
      });
      socket.once('error', reject);
      setTimeout(() => reject(new Error(`no answer; got ${JSON.stringify(text)}`)), 5000).unref();
    });
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /payload_too_large/);
    assert.match(answer, /connection: close/i);
  });

  it('a client that goes away mid-part leaves no blob, no row and no unhandled rejection', async () => {
    const { created, file, ciphertext } = await fresh();
    const part = partBytes(ciphertext, TWO_PARTS, 0);
    const before = (await s.h.storedKeys()).length;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const url = new URL(s.h.server.url);
      const socket = connect(Number(url.port), url.hostname);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        `PUT /api/v1/transfers/${created.transferId}/files/${file.fileId}/parts/0 HTTP/1.1\r\n` +
          `Host: ${url.host}\r\nAuthorization: Bearer ${s.alice.token}\r\nContent-Type: application/octet-stream\r\n` +
          `${PART_HASH_HEADER}: ${sha256Of(part)}\r\nContent-Length: ${part.length}\r\n\r\n`,
      );
      await new Promise<void>((resolve) => socket.write(part.subarray(0, part.length >> 1), () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.equal((await s.h.storedKeys()).length, before, 'no blob left behind');
    assert.deepEqual(await s.h.blobKeys(created.transferId), []);
    assert.equal((await s.h.putPart(s.alice, created.transferId, file.fileId, 0, part)).status, 200, 'the server goes on serving');
  });

  it('replaces a re-uploaded part and deletes the old blob, also when two uploads race', async () => {
    const { created, file, ciphertext } = await fresh();
    const part = partBytes(ciphertext, TWO_PARTS, 1);
    assert.equal((await s.h.putPart(s.alice, created.transferId, file.fileId, 1, part)).status, 200);
    const [first] = await s.h.blobKeys(created.transferId);
    assert.equal((await s.h.putPart(s.alice, created.transferId, file.fileId, 1, part)).status, 200);
    const [second] = await s.h.blobKeys(created.transferId);
    assert.notEqual(first, second);
    assert.equal(await s.h.server.ctx.blobs.stat(first!), null, 'the replaced blob is gone');

    const results = await Promise.all([1, 2, 3].map(() => s.h.putPart(s.alice, created.transferId, file.fileId, 1, part)));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
    const keys = await s.h.blobKeys(created.transferId);
    assert.equal(keys.length, 1);
    const stored = (await s.h.storedKeys()).filter((k) => [first, second, ...keys].includes(k));
    assert.deepEqual(stored, keys, 'exactly the recorded blob remains');

    // First uploads racing (no row yet, so receipts commit with deferred durability): still one blob left.
    const part0 = partBytes(ciphertext, TWO_PARTS, 0);
    const before = new Set(await s.h.storedKeys());
    const firsts = await Promise.all([1, 2, 3].map(() => s.h.putPart(s.alice, created.transferId, file.fileId, 0, part0)));
    assert.deepEqual(firsts.map((r) => r.status), [200, 200, 200]);
    const recorded = await s.h.blobKeys(created.transferId);
    assert.equal(recorded.length, 2);
    const added = (await s.h.storedKeys()).filter((k) => !before.has(k));
    assert.deepEqual(added, recorded.filter((k) => !keys.includes(k)), 'no orphan from the raced first uploads');
  });

  it('needs application/octet-stream and the hash header', async () => {
    const { created, file, ciphertext } = await fresh();
    const part = partBytes(ciphertext, TWO_PARTS, 1);
    const noHash = await s.h.request('PUT', `/transfers/${created.transferId}/files/${file.fileId}/parts/1`, {
      token: s.alice.token, body: new Uint8Array(part),
    });
    assert.equal(noHash.status, 400);
    const json = await s.h.request('PUT', `/transfers/${created.transferId}/files/${file.fileId}/parts/1`, {
      token: s.alice.token, body: { bytes: 'x' }, headers: { [PART_HASH_HEADER]: sha256Of(part) },
    });
    assert.equal(json.status, 415);
  });
});
