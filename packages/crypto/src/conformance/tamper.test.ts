// Tamper tests: every modification of a transfer's ciphertexts fails with a clear CryptoError and releases no unverified plaintext.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes as nodeRandom } from 'node:crypto';
import { createEncryptor, decryptMessage, encryptMessage, openDecryptor } from '../cobblestone/cobblestone.js';
import { createDecryptStream } from '../cobblestone/cobblestone-stream.js';
import { fileContext, manifestContext } from '../transfer/context.js';
import { type CryptoErrorCode } from '../errors.js';
import { idToText, newId } from '../encoding/ids.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, HEADER_SIZE, ciphertextSize } from '../cobblestone/layout.js';
import { decryptManifest, serializeManifest } from '../transfer/manifest.js';
import { PART_PLAINTEXT_SIZE, decryptPart, encryptPart, partPlaintextRange } from '../transfer/parts.js';
import { pipeThrough, rejectsWith } from '../test-support/vectors.js';
import { type TransferKey, deriveLinkAuthKey, linkProof, newSecret, unwrapLinkSlot, verifyLinkProof, wrapLinkSlot } from '../transfer/transfer-keys.js';

const transferId = newId<'TransferId'>();
const fileId = newId<'FileId'>();
const fk = newSecret<'FileKey'>();
const n = 40_000; // 3 chunks: 16384, 16384, 7232
const body = new Uint8Array(nodeRandom(n));
const ctx = fileContext(transferId, fileId);
const ct = await encryptMessage(fk, ctx, body);
const chunkAt = (i: number) => HEADER_SIZE + i * ENCRYPTED_CHUNK_SIZE;

function flip(bytes: Uint8Array, offset: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[offset]! ^= 0x01;
  return copy;
}

/**
 * The one-shot API must reject (so it releases nothing). The stream may release only the chunks before
 * `firstBadChunk`, which verified; with the authenticated size, the same holds.
 */
async function refused(tampered: Uint8Array, code: CryptoErrorCode | CryptoErrorCode[], firstBadChunk: number, context: Uint8Array = ctx) {
  await rejectsWith(decryptMessage(fk, context, tampered), code);
  for (const opts of [{}, { plaintextSize: n }]) {
    const { output, error } = await pipeThrough(createDecryptStream(fk, context, opts), tampered, 7000);
    assert.ok(error !== undefined, 'the stream must error');
    assert.ok(output.length <= firstBadChunk * CHUNK_SIZE, `stream released ${output.length} bytes`);
    assert.deepEqual(new Uint8Array(output), body.subarray(0, output.length));
  }
}

describe('tampered file body', () => {
  it('flipped bit in the salt or the commitment: commitment_mismatch, nothing released', async () => {
    await refused(flip(ct, 3), 'commitment_mismatch', 0);
    await refused(flip(ct, 40), 'commitment_mismatch', 0);
  });
  it('flipped bit in a chunk body or in a tag: authentication_failed', async () => {
    await refused(flip(ct, chunkAt(1) + 10), 'authentication_failed', 1);
    await refused(flip(ct, chunkAt(1) + ENCRYPTED_CHUNK_SIZE - 1), 'authentication_failed', 1); // tag of chunk 1
    await refused(flip(ct, ct.length - 1), 'authentication_failed', 2); // tag of the final chunk
  });
  it('truncated body', async () => {
    await refused(ct.subarray(0, ct.length - 100), ['authentication_failed', 'truncated'], 2);
    await refused(ct.subarray(0, ct.length - 7240), 'truncated', 2); // cut inside the final chunk's tag
    const dec = await openDecryptor(fk, ctx, ct.subarray(0, HEADER_SIZE));
    await rejectsWith(decryptPart(dec, n, 0, ct.subarray(0, ct.length - 100)), 'truncated');
    const known = await pipeThrough(createDecryptStream(fk, ctx, { plaintextSize: n }), ct.subarray(0, ct.length - 100), 7000);
    await rejectsWith(Promise.reject(known.error), 'truncated');
  });
  it('dropped final chunk: the message ends on a full chunk, truncated', async () => {
    await refused(ct.subarray(0, chunkAt(2)), 'truncated', 2);
  });
  it('appended trailing data', async () => {
    const longer = Buffer.concat([ct, Buffer.from('garbage')]);
    await refused(longer, ['authentication_failed', 'trailing_data'], 2);
    const known = await pipeThrough(createDecryptStream(fk, ctx, { plaintextSize: n }), longer, 7000);
    await rejectsWith(Promise.reject(known.error), 'trailing_data');
    const dec = await openDecryptor(fk, ctx, ct.subarray(0, HEADER_SIZE));
    await rejectsWith(decryptPart(dec, n, 0, longer), 'trailing_data');
  });
  it('reordered (swapped) chunks and a duplicated chunk', async () => {
    const swapped = new Uint8Array(ct);
    swapped.set(ct.subarray(chunkAt(1), chunkAt(2)), chunkAt(0));
    swapped.set(ct.subarray(chunkAt(0), chunkAt(1)), chunkAt(1));
    await refused(swapped, 'authentication_failed', 0);
    const duplicated = new Uint8Array(ct);
    duplicated.set(ct.subarray(chunkAt(0), chunkAt(1)), chunkAt(1));
    await refused(duplicated, 'authentication_failed', 1);
  });
  it('a body moved to another file or another transfer, or read in a wrong context', async () => {
    await refused(ct, 'commitment_mismatch', 0, fileContext(transferId, newId<'FileId'>()));
    await refused(ct, 'commitment_mismatch', 0, fileContext(newId<'TransferId'>(), fileId));
    await refused(ct, 'commitment_mismatch', 0, manifestContext(transferId));
  });
});

describe('swapped parts between two files', () => {
  const size = PART_PLAINTEXT_SIZE + 40_000; // two parts
  const plain = new Uint8Array(nodeRandom(size));
  const part = (k: number) => plain.subarray(partPlaintextRange(size, k).start, partPlaintextRange(size, k).end);
  it('part 1 of file B under file A: authentication_failed; part 0 of B: header mismatch', async () => {
    const idA = newId<'FileId'>();
    const idB = newId<'FileId'>();
    // Even with the same FK, the fileId in the context gives B different chunk keys.
    const encA = await createEncryptor(fk, fileContext(transferId, idA));
    const encB = await createEncryptor(fk, fileContext(transferId, idB));
    const b0 = await encryptPart(encB, size, 0, part(0));
    const b1 = await encryptPart(encB, size, 1, part(1));
    const decA = await openDecryptor(fk, fileContext(transferId, idA), encA.header);
    await rejectsWith(decryptPart(decA, size, 1, b1), 'authentication_failed');
    await rejectsWith(decryptPart(decA, size, 0, b0), 'commitment_mismatch');
    // Part 0 of B with A's header pasted on: its chunks still fail.
    const pasted = new Uint8Array(b0);
    pasted.set(encA.header, 0);
    await rejectsWith(decryptPart(decA, size, 0, pasted), 'authentication_failed');
    assert.equal(ciphertextSize(size), b0.length + b1.length);
  });
});

describe('manifest, link slot and proof', () => {
  const tk = newSecret<'ClientKey'>() as unknown as TransferKey;
  it('a manifest with a wrong transferId', async () => {
    const m = { v: 1 as const, transferId: idToText(newId<'TransferId'>()), createdAt: '2025-11-23T20:15:00.000Z', message: null, files: [] };
    const ct = await encryptMessage(tk, manifestContext(transferId), serializeManifest(m));
    await rejectsWith(decryptManifest(tk, transferId, ct), 'manifest_invalid');
  });
  it('a link slot unwrapped with the wrong LS or slotId', async () => {
    const ls = newSecret<'LinkSecret'>();
    const slotId = newId<'SlotId'>();
    const ck = newSecret<'ClientKey'>();
    const slot = await wrapLinkSlot(ls, transferId, slotId, ck);
    await rejectsWith(unwrapLinkSlot(newSecret<'LinkSecret'>(), transferId, slotId, slot), 'commitment_mismatch');
    await rejectsWith(unwrapLinkSlot(ls, transferId, newId<'SlotId'>(), slot), 'commitment_mismatch');
    await rejectsWith(unwrapLinkSlot(ls, transferId, slotId, flip(slot, 80)), 'authentication_failed');
  });
  it('a proof over another nonce is refused', async () => {
    const a = await deriveLinkAuthKey(newSecret<'LinkSecret'>(), transferId, newId<'SlotId'>());
    const proof = await linkProof(a, transferId, new Uint8Array(nodeRandom(32)));
    assert.equal(await verifyLinkProof(a, transferId, new Uint8Array(nodeRandom(32)), proof), false);
  });
});
