// `valise admin fsck` on both databases and both blob stores: orphan blobs and missing blobs are found; a repair
// deletes the orphans (checked gone, recorded), forgets the lost parts of unfinished uploads, leaves finalized
// transfers alone, and never deletes a blob that an upload records while the repair waits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import type { CreateTransferResponse } from '@valise/protocol';
import { newBlobKey } from '../blobs/blob-store.js';
import { describeEachStore } from '../transfers/transfer-test-kit.js';
import { checkStorage } from './storage-check.js';

describeEachStore('storage check (fsck)', (s) => {
  const deps = () => ({ handle: s.h.server.ctx.database, blobs: s.h.server.ctx.blobs, audit: s.h.server.ctx.audit, clock: s.h.clock });
  const putStray = async (size: number): Promise<string> => {
    const key = newBlobKey();
    await s.h.server.ctx.blobs.put(key, Readable.from([randomBytes(size)]), size);
    return key;
  };
  const repairRecords = async () => (await s.h.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', 'storage.repaired').orderBy('seq').execute());

  it('finds nothing amiss in a consistent store, and a repair then changes nothing', async () => {
    const sent = await s.h.send(s.alice, { sizes: [9_000_000, 10] });
    const report = await checkStorage(deps(), { repair: true, graceMs: 0 });
    assert.deepEqual(report.orphanBlobs, []);
    assert.deepEqual(report.missingBlobs, []);
    assert.equal(report.blobsStored, 3);
    assert.equal(report.partsRecorded, 3);
    assert.deepEqual(report.repaired, { blobsDeleted: 0, bytesDeleted: 0, blobsClaimedMeanwhile: 0, partsForgotten: 0, damagedTransfers: [] });
    assert.equal((await s.h.blobKeys(sent.transferId)).length, 3);
    assert.deepEqual(await repairRecords(), [], 'nothing to record');
  });

  it('reports a blob no part refers to, and deletes it only when asked (recorded)', async () => {
    const stray = await putStray(1234);
    const looked = await checkStorage(deps(), { repair: false });
    assert.deepEqual(looked.orphanBlobs, [{ blobKey: stray, size: 1234 }]);
    assert.equal(looked.repaired, null);
    assert.notEqual(await s.h.server.ctx.blobs.stat(stray), null, 'a check alone deletes nothing');

    const repaired = await checkStorage(deps(), { repair: true, graceMs: 0, actor: s.alice.id });
    assert.equal(repaired.repaired?.blobsDeleted, 1);
    assert.equal(repaired.repaired?.bytesDeleted, 1234);
    assert.equal(await s.h.server.ctx.blobs.stat(stray), null);
    assert.ok(!(await s.h.storedKeys()).includes(stray));
    const [record] = await repairRecords();
    assert.equal(record?.actor, s.alice.id);
    assert.deepEqual(JSON.parse(record!.detail!).orphanBlobKeys, [stray]);
    assert.deepEqual((await checkStorage(deps(), { repair: false })).orphanBlobs, []);
  });

  it('a lost part of an unfinished upload is forgotten (to be sent again); a finalized transfer is only reported', async () => {
    const created = (await s.h.create(s.alice, [100])).body as CreateTransferResponse;
    await s.h.uploadFile(s.alice, created, 0, randomBytes(created.files[0]!.ciphertextSize));
    const sent = await s.h.send(s.alice, { sizes: [100] });
    const [uploadingKey] = await s.h.blobKeys(created.transferId);
    const [readyKey] = await s.h.blobKeys(sent.transferId);
    await s.h.server.ctx.blobs.delete(uploadingKey!);
    await s.h.server.ctx.blobs.delete(readyKey!);

    const report = await checkStorage(deps(), { repair: true, graceMs: 0 });
    assert.deepEqual(
      report.missingBlobs.map((m) => [m.transferId, m.state, m.part, m.blobKey]).sort(),
      [[created.transferId, 'uploading', 0, uploadingKey], [sent.transferId, 'ready', 0, readyKey]].sort(),
    );
    assert.equal(report.repaired?.partsForgotten, 1);
    assert.deepEqual(report.repaired?.damagedTransfers, [sent.transferId]);
    assert.deepEqual(await s.h.blobKeys(created.transferId), [], 'the upload will send that part again');
    assert.deepEqual(await s.h.blobKeys(sent.transferId), [readyKey], 'the finalized transfer is left as it was');
    const status = await s.h.request('GET', `/transfers/${created.transferId}/upload`, { token: s.alice.token });
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.files[0].received, [], 'the server asks for the part again');
  });

  it('never deletes an orphan that an upload records while the repair waits', async () => {
    const created = (await s.h.create(s.alice, [100])).body as CreateTransferResponse;
    const size = created.files[0]!.ciphertextSize;
    const key = await putStray(size);
    const repairing = checkStorage(deps(), { repair: true, graceMs: 400 });
    await new Promise((r) => setTimeout(r, 150));
    // What a part receipt does once the part is stored: record it under that key.
    await s.h.db.insertInto('parts').values({
      file_id: created.files[0]!.fileId, idx: 0, transfer_id: created.transferId, blob_key: key, size,
      sha256: Buffer.alloc(32), uploaded_at: s.h.clock.now(),
    }).execute();
    const report = await repairing;
    assert.deepEqual(report.orphanBlobs.map((o) => o.blobKey), [key], 'it was an orphan when checked');
    assert.equal(report.repaired?.blobsClaimedMeanwhile, 1);
    assert.equal(report.repaired?.blobsDeleted, 0);
    assert.notEqual(await s.h.server.ctx.blobs.stat(key), null);
  });
});
