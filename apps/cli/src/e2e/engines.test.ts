// The client package's send and receive engines (uploadTransfer, openTransfer, receiveTransfer), with in-memory
// sources and sinks, against the REAL server over HTTP: resume, key reuse, the code loop, all-or-nothing writes,
// and what the engines do when the server's storage or database hands back something else than was stored.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError, IntegrityError, type UploadNotice, ValiseApi, createMemoryResumeStore, openTransfer, parseTransferLink,
  receiveTransfer, uploadTransfer,
} from '@valise/client';
import { RealServer } from '../testing/real-server.js';
import { memorySinks, memorySource, recordingFetch } from '../testing/memory-files.js';

const MIB = 1024 * 1024;
/** n bytes of (i * 31 + seed) mod 256: a 256-byte period, so filled by repetition. */
const pattern = (n: number, seed: number) => new Uint8Array(Buffer.alloc(n, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + seed) % 256))));

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const real = await RealServer.start();
  t.after(() => real.close());
  const member = await real.member();
  const token = await real.apiToken(member);
  const network = recordingFetch();
  const apiOptions = { fetch: network.fetch, retry: { retries: 2, baseDelayMs: 0, maxDelayMs: 0 }, sleep: async () => undefined };
  const api = new ValiseApi({ serverUrl: real.url, token, ...apiOptions });
  /** Answers the code question with the code the server really mailed to `email`. */
  const mailedCode = (email: string) => ({ email, askCode: () => real.nextCode(email) });
  return { real, member, token, api, apiOptions, network, mailedCode };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe('engines against the real server', { concurrency: 2 }, () => {
  it('send then receive: two files (one multi-part, one empty), a wrong code first, all bytes back', async (t) => {
    const { real, api, apiOptions, network } = await setup(t);
    const big = pattern(8 * MIB + 12_345, 1);
    const store = createMemoryResumeStore();
    const progress: number[] = [];
    const sent = await uploadTransfer({
      api, files: [memorySource('scan.pdf', big), memorySource('empty.txt', new Uint8Array())],
      recipients: ['Dr.Martin@clinic.example'], maxDownloads: 2, message: 'Résultats ci-joints',
      resumeStore: store, onProgress: (e) => progress.push(e.bytesDone),
    });
    assert.equal(store.size, 0, 'the resume state is deleted after finalize');
    assert.equal(progress.at(-1), big.length);
    assert.equal(sent.maxDownloads, 2);
    const link = parseTransferLink(sent.link);
    assert.equal(link.transferId, sent.transferId);

    const sinks = memorySinks();
    const asked: (number | undefined)[] = [];
    let mailed = '';
    const received = await receiveTransfer(sent.link, {
      email: 'dr.martin@clinic.example',
      askCode: async (c) => {
        asked.push(c.attemptsLeft);
        if (c.attempt === 1) {
          mailed = await real.nextCode('dr.martin@clinic.example');
          return mailed === '00000000' ? '11111111' : '00000000';
        }
        return mailed;
      },
    }, { apiOptions, createSink: (m) => sinks.createSink(m) });
    assert.deepEqual(asked, [undefined, 4]);
    assert.equal(received.message, 'Résultats ci-joints');
    assert.equal(received.completed, true);
    assert.deepEqual(sinks.committed.get('scan.pdf'), big);
    assert.deepEqual(sinks.committed.get('empty.txt'), new Uint8Array());
    const row = await real.db.selectFrom('transfers').select(['downloads_used', 'max_downloads']).where('id', '=', sent.transferId).executeTakeFirstOrThrow();
    assert.deepEqual([Number(row.downloads_used), Number(row.max_downloads)], [1, 2]);

    // Everything both engines sent over the network: the link secret is in none of it, in any form.
    const ls = link.linkSecret;
    const forms = [Buffer.from(ls), Buffer.from(Buffer.from(ls).toString('base64url')), Buffer.from(Buffer.from(ls).toString('base64')), Buffer.from(Buffer.from(ls).toString('hex'))];
    assert.ok(network.requests.length > 10 && network.requests.some((r) => r.method === 'PUT' && r.body.length > MIB), 'the recording saw the traffic');
    for (const request of network.requests) {
      for (const form of forms) {
        assert.ok(!request.url.includes(form.toString('latin1')) && !contains(request.body, form), `the link secret reached the server in ${request.method} ${request.url}`);
      }
    }
  });

  it('an interrupted upload resumes with the same keys and only sends missing parts', async (t) => {
    const { real, api, apiOptions, network, mailedCode } = await setup(t);
    const data = pattern(3 * 8 * MIB + 5, 2); // 4 parts
    const store = createMemoryResumeStore();
    const controller = new AbortController();
    let partsDone = 0;
    await assert.rejects(uploadTransfer({
      api, files: [memorySource('a.bin', data)], recipients: ['r@x.example'], resumeStore: store, concurrency: 1,
      onProgress: () => {
        if (++partsDone === 2) controller.abort(new Error('cut'));
      },
      signal: controller.signal,
    }), /cut/);
    assert.equal(store.size, 1);
    const [transfer, ...others] = await real.db.selectFrom('transfers').select(['id', 'state']).execute();
    assert.equal(others.length, 0);
    assert.equal(transfer!.state, 'uploading');
    const firstParts = await real.blobKeys(transfer!.id);
    assert.deepEqual(firstParts.map((p) => p.part), [0, 1]);
    const firstBytes = await Promise.all(firstParts.map((p) => real.readBlob(p.key)));

    const notices: UploadNotice[] = [];
    const putsBefore = network.requests.filter((r) => r.method === 'PUT').length;
    const sent = await uploadTransfer({
      api, files: [memorySource('a.bin', data)], recipients: ['r@x.example'], resumeStore: store, onNotice: (n) => notices.push(n),
    });
    assert.deepEqual(notices, [{ kind: 'resuming', transferId: transfer!.id, partsDone: 2, partsTotal: 4 }]);
    assert.equal(sent.transferId, transfer!.id);
    assert.equal(sent.resumed, true);
    assert.equal(network.requests.filter((r) => r.method === 'PUT').length - putsBefore, 2, 'only the two missing parts were sent');
    const allParts = await real.blobKeys(transfer!.id);
    assert.deepEqual(allParts.slice(0, 2), firstParts, 'the first parts were not replaced');
    assert.deepEqual(await Promise.all(firstParts.map((p) => real.readBlob(p.key))), firstBytes);
    assert.equal(allParts.length, 4);

    const sinks = memorySinks();
    await receiveTransfer(sent.link, mailedCode('r@x.example'), { apiOptions, createSink: (m) => sinks.createSink(m) });
    assert.deepEqual(sinks.committed.get('a.bin'), data, 'parts from both runs decrypt under one manifest');
  });

  it('changed sources are never resumed: the old transfer is abandoned and new keys are made', async (t) => {
    const { real, api } = await setup(t);
    const store = createMemoryResumeStore();
    const controller = new AbortController();
    await assert.rejects(uploadTransfer({
      api, files: [memorySource('a.bin', pattern(8 * MIB + 1, 3))], recipients: ['r@x.example'], resumeStore: store, concurrency: 1,
      onProgress: () => controller.abort(new Error('cut')), signal: controller.signal,
    }), /cut/);
    const [old] = await real.db.selectFrom('transfers').select('id').execute();
    assert.equal(store.size, 1, 'the interrupted job left its state');

    const notices: UploadNotice[] = [];
    const changed = pattern(8 * MIB + 1, 4); // two parts; same name and size, other bytes (and the same mtime: only the hash differs)
    const sent = await uploadTransfer({
      api, files: [memorySource('a.bin', changed)], recipients: ['r@x.example'], resumeStore: store, onNotice: (n) => notices.push(n),
    });
    assert.deepEqual(notices, [{ kind: 'restarting', reason: 'sources_changed' }, { kind: 'created', transferId: sent.transferId }]);
    assert.notEqual(sent.transferId, old!.id);
    const oldRow = await real.db.selectFrom('transfers').select(['state', 'close_reason']).where('id', '=', old!.id).executeTakeFirstOrThrow();
    // The engine gives the old transfer up by revoking it; the server records every sender's revoke as 'revoked'
    // ('abandoned' is the purge job's word for uploads left unfinished for too long).
    assert.deepEqual(oldRow, { state: 'closed', close_reason: 'revoked' });
  });

  it('changed settings (recipients) also start over', async (t) => {
    const { real, member, api } = await setup(t);
    const store = createMemoryResumeStore();
    const controller = new AbortController();
    const src = () => memorySource('a.bin', pattern(8 * MIB + 1, 5)); // two parts
    await assert.rejects(uploadTransfer({
      api, files: [src()], recipients: ['r@x.example'], resumeStore: store, resumeKey: 'job', concurrency: 1,
      onProgress: () => controller.abort(new Error('cut')), signal: controller.signal,
    }), /cut/);
    const notices: UploadNotice[] = [];
    const sent = await uploadTransfer({ api, files: [src()], recipients: ['other@x.example'], resumeStore: store, resumeKey: 'job', onNotice: (n) => notices.push(n) });
    assert.deepEqual(notices, [{ kind: 'restarting', reason: 'sources_changed' }, { kind: 'created', transferId: sent.transferId }]);
    const rows = await real.db.selectFrom('transfers').select('state').where('sender_id', '=', member.id).execute();
    assert.deepEqual(rows.map((r) => r.state).sort(), ['closed', 'ready']);
  });

  it('network failures during parts are retried transparently', async (t) => {
    const { real, token, apiOptions, mailedCode } = await setup(t);
    const data = pattern(100_000, 6);
    let puts = 0;
    const flaky = new ValiseApi({
      ...apiOptions, serverUrl: real.url, token,
      fetch: async (input, init) => {
        if (init?.method === 'PUT' && puts++ === 0) throw new TypeError('connection reset');
        return globalThis.fetch(input, init);
      },
    });
    const sent = await uploadTransfer({ api: flaky, files: [memorySource('x', data)], recipients: ['r@x.example'] });
    assert.equal(puts, 2, 'the failed part was sent again');
    const sinks = memorySinks();
    await receiveTransfer(sent.link, mailedCode('r@x.example'), { apiOptions, createSink: (m) => sinks.createSink(m) });
    assert.deepEqual(sinks.committed.get('x'), data);
  });

  it('a member who is a recipient opens without a code; a non-recipient is refused', async (t) => {
    const { real, member, token, api, apiOptions } = await setup(t);
    const sent = await uploadTransfer({ api, files: [memorySource('m.txt', pattern(10, 7))], recipients: [member.email] });
    const opened = await openTransfer(sent.link, { memberToken: token }, { apiOptions });
    assert.equal(opened.manifest.files[0]!.name, 'm.txt');
    assert.deepEqual(await real.outbox(), [], 'no code was mailed');

    const other = await uploadTransfer({ api, files: [memorySource('n.txt', pattern(10, 8))], recipients: ['someone@else.example'] });
    await assert.rejects(openTransfer(other.link, { memberToken: token }, { apiOptions }), (e: unknown) => e instanceof ApiError && e.code === 'forbidden');
  });

  it('a wrong link secret fails the proof; exhausted downloads are refused', async (t) => {
    const { real, api, apiOptions, mailedCode } = await setup(t);
    const sent = await uploadTransfer({ api, files: [memorySource('a', pattern(10, 9))], recipients: ['r@x.example'], maxDownloads: 1 });
    const wrong = `${sent.link.split('#')[0]}#${'A'.repeat(43)}`;
    await assert.rejects(openTransfer(wrong, { email: 'r@x.example', askCode: async () => '12345678' }, { apiOptions }),
      (e: unknown) => e instanceof ApiError && e.code === 'link_proof_invalid');
    assert.deepEqual(await real.outbox(), [], 'no code is mailed without the link secret');
    await openTransfer(sent.link, mailedCode('r@x.example'), { apiOptions });
    await assert.rejects(openTransfer(sent.link, mailedCode('r@x.example'), { apiOptions }), (e: unknown) => e instanceof ApiError && e.code === 'transfer_exhausted');
  });

  it('a part altered in the server\'s storage is caught by its hash; every sink is aborted, none committed', async (t) => {
    const { real, api, apiOptions, mailedCode } = await setup(t);
    const sent = await uploadTransfer({
      api, files: [memorySource('one', pattern(1000, 10)), memorySource('two', pattern(1000, 11))], recipients: ['r@x.example'],
    });
    const blobs = await real.blobKeys(sent.transferId);
    assert.deepEqual(blobs.map((b) => [b.file, b.part]), [[0, 0], [1, 0]]);
    await real.corruptBlob(blobs[1]!.key, 100);
    const sinks = memorySinks();
    await assert.rejects(
      receiveTransfer(sent.link, mailedCode('r@x.example'), { apiOptions, createSink: (m) => sinks.createSink(m) }),
      (e: unknown) => e instanceof IntegrityError && e.failure === 'part_hash_mismatch',
    );
    assert.equal(sinks.committed.size, 0);
    assert.equal(sinks.aborted, 2);
  });

  it('a manifest swapped in the server\'s database fails decryption', async (t) => {
    const { real, api, apiOptions, mailedCode } = await setup(t);
    const a = await uploadTransfer({ api, files: [memorySource('a', pattern(10, 12))], recipients: ['r@x.example'] });
    const b = await uploadTransfer({ api, files: [memorySource('b', pattern(10, 13))], recipients: ['r@x.example'] });
    const { manifest } = await real.db.selectFrom('transfers').select('manifest').where('id', '=', b.transferId).executeTakeFirstOrThrow();
    assert.ok(manifest && manifest.length > 0);
    await real.db.updateTable('transfers').set({ manifest }).where('id', '=', a.transferId).execute();
    await assert.rejects(
      openTransfer(a.link, mailedCode('r@x.example'), { apiOptions }),
      (e: unknown) => e instanceof IntegrityError && e.failure === 'decryption_failed',
    );
  });
});
