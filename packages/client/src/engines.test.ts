// The send and receive engines with in-memory sources and sinks, against the in-memory protocol double
// (testing/in-memory-server.ts). End-to-end runs against apps/server belong to the server's test helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValiseApi } from './api-client.js';
import { ApiError } from './api-error.js';
import { type FileSink, type ReceivedFileMeta, openTransfer, receiveTransfer } from './download.js';
import { IntegrityError } from './integrity-error.js';
import { parseTransferLink } from './links.js';
import { createMemoryResumeStore } from './resume-store.js';
import { InMemoryValiseServer } from './testing/in-memory-server.js';
import { type FileSource, type UploadNotice, uploadTransfer } from './upload.js';

const MIB = 1024 * 1024;

function memorySource(name: string, bytes: Uint8Array, lastModified = 1_700_000_000_000): FileSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    name, type: 'application/pdf', size: bytes.length, lastModified, reads,
    async readRange(start, end) {
      reads.push([start, end]);
      return bytes.slice(start, end);
    },
  };
}

function memorySinks() {
  const committed = new Map<string, Uint8Array>();
  let aborted = 0;
  return {
    committed,
    get aborted() {
      return aborted;
    },
    createSink(meta: ReceivedFileMeta): FileSink {
      const chunks: Uint8Array[] = [];
      return {
        async write(b) {
          chunks.push(new Uint8Array(b));
        },
        async commit() {
          const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
          let o = 0;
          for (const c of chunks) {
            out.set(c, o);
            o += c.length;
          }
          committed.set(meta.name, out);
        },
        async abort() {
          aborted++;
        },
      };
    },
  };
}

const pattern = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) % 256);

function setup() {
  const server = new InMemoryValiseServer();
  const apiOptions = { fetch: server.fetch, retry: { retries: 2, baseDelayMs: 0, maxDelayMs: 0 }, sleep: async () => undefined };
  const api = new ValiseApi({ serverUrl: server.baseUrl, token: server.memberToken, ...apiOptions });
  return { server, api, apiOptions };
}

test('send then receive: two files (one multi-part, one empty), a wrong code first, all bytes back', async () => {
  const { server, api, apiOptions } = setup();
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
  assert.ok(!server.log.some((l) => l.includes(sent.link.split('#')[1]!)), 'the link secret never reaches the server');

  const sinks = memorySinks();
  const asked: (number | undefined)[] = [];
  const received = await receiveTransfer(sent.link, {
    email: 'dr.martin@clinic.example',
    askCode: async (c) => {
      asked.push(c.attemptsLeft);
      return c.attempt === 1 ? '00000000' : server.outbox.get('dr.martin@clinic.example')!;
    },
  }, { apiOptions, createSink: (m) => sinks.createSink(m) });
  assert.deepEqual(asked, [undefined, 4]);
  assert.equal(received.message, 'Résultats ci-joints');
  assert.equal(received.completed, true);
  assert.deepEqual(sinks.committed.get('scan.pdf'), big);
  assert.deepEqual(sinks.committed.get('empty.txt'), new Uint8Array());
  assert.equal(server.transfers.get(sent.transferId)!.downloadsUsed, 1);
});

test('an interrupted upload resumes with the same keys and only sends missing parts', async () => {
  const { server, api, apiOptions } = setup();
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
  const [transfer] = [...server.transfers.values()];
  assert.equal(transfer!.files[0]!.parts.size, 2);
  const firstParts = [...transfer!.files[0]!.parts.values()].map((p) => new Uint8Array(p));

  const notices: UploadNotice[] = [];
  const putsBefore = server.log.filter((l) => l.startsWith('PUT')).length;
  const sent = await uploadTransfer({
    api, files: [memorySource('a.bin', data)], recipients: ['r@x.example'], resumeStore: store, onNotice: (n) => notices.push(n),
  });
  assert.deepEqual(notices, [{ kind: 'resuming', transferId: transfer!.transferId, partsDone: 2, partsTotal: 4 }]);
  assert.equal(sent.transferId, transfer!.transferId);
  assert.equal(sent.resumed, true);
  assert.equal(server.log.filter((l) => l.startsWith('PUT')).length - putsBefore, 2, 'only the two missing parts were sent');
  assert.deepEqual([...transfer!.files[0]!.parts.values()].slice(0, 2), firstParts, 'the first parts were not replaced');

  const sinks = memorySinks();
  await receiveTransfer(sent.link, { email: 'r@x.example', askCode: async () => server.outbox.get('r@x.example')! }, { apiOptions, createSink: (m) => sinks.createSink(m) });
  assert.deepEqual(sinks.committed.get('a.bin'), data, 'parts from both runs decrypt under one manifest');
});

test('changed sources are never resumed: the old transfer is abandoned and new keys are made', async () => {
  const { server, api } = setup();
  const store = createMemoryResumeStore();
  const controller = new AbortController();
  await assert.rejects(uploadTransfer({
    api, files: [memorySource('a.bin', pattern(2 * 8 * MIB, 3))], recipients: ['r@x.example'], resumeStore: store, concurrency: 1,
    onProgress: () => controller.abort(new Error('cut')), signal: controller.signal,
  }), /cut/);
  const oldId = [...server.transfers.keys()][0]!;
  assert.equal(store.size, 1, 'the interrupted job left its state');

  const notices: UploadNotice[] = [];
  const changed = pattern(2 * 8 * MIB, 4); // same name and size, other bytes (and the same mtime: only the hash differs)
  const sent = await uploadTransfer({
    api, files: [memorySource('a.bin', changed)], recipients: ['r@x.example'], resumeStore: store, onNotice: (n) => notices.push(n),
  });
  assert.deepEqual(notices, [{ kind: 'restarting', reason: 'sources_changed' }]);
  assert.notEqual(sent.transferId, oldId);
  assert.equal(server.transfers.get(oldId)!.state, 'closed');
  assert.equal(server.transfers.get(oldId)!.closeReason, 'abandoned');
});

test('changed settings (recipients) also start over', async () => {
  const { server, api } = setup();
  const store = createMemoryResumeStore();
  const controller = new AbortController();
  const src = () => memorySource('a.bin', pattern(2 * 8 * MIB, 5));
  await assert.rejects(uploadTransfer({
    api, files: [src()], recipients: ['r@x.example'], resumeStore: store, resumeKey: 'job', concurrency: 1,
    onProgress: () => controller.abort(new Error('cut')), signal: controller.signal,
  }), /cut/);
  const notices: UploadNotice[] = [];
  await uploadTransfer({ api, files: [src()], recipients: ['other@x.example'], resumeStore: store, resumeKey: 'job', onNotice: (n) => notices.push(n) });
  assert.deepEqual(notices, [{ kind: 'restarting', reason: 'sources_changed' }]);
  assert.equal(server.transfers.size, 2);
});

test('network failures during parts are retried transparently', async () => {
  const { server, apiOptions } = setup();
  const data = pattern(100_000, 6);
  const realFetch = server.fetch;
  let puts = 0;
  const flaky = new ValiseApi({
    ...apiOptions, serverUrl: server.baseUrl, token: server.memberToken,
    fetch: async (input, init) => {
      if (init?.method === 'PUT' && puts++ === 0) throw new TypeError('connection reset');
      return realFetch(input, init);
    },
  });
  const sent = await uploadTransfer({ api: flaky, files: [memorySource('x', data)], recipients: ['r@x.example'] });
  const sinks = memorySinks();
  await receiveTransfer(sent.link, { email: 'r@x.example', askCode: async () => server.outbox.get('r@x.example')! }, { apiOptions, createSink: (m) => sinks.createSink(m) });
  assert.deepEqual(sinks.committed.get('x'), data);
});

test('a member who is a recipient opens without a code; a non-recipient is refused', async () => {
  const { server, api, apiOptions } = setup();
  const sent = await uploadTransfer({ api, files: [memorySource('m.txt', pattern(10, 7))], recipients: [server.memberEmail] });
  const opened = await openTransfer(sent.link, { memberToken: server.memberToken }, { apiOptions });
  assert.equal(opened.manifest.files[0]!.name, 'm.txt');

  const other = await uploadTransfer({ api, files: [memorySource('n.txt', pattern(10, 8))], recipients: ['someone@else.example'] });
  await assert.rejects(openTransfer(other.link, { memberToken: server.memberToken }, { apiOptions }), (e: unknown) => e instanceof ApiError && e.code === 'forbidden');
});

test('a wrong link secret fails the proof; exhausted downloads are refused', async () => {
  const { server, api, apiOptions } = setup();
  const sent = await uploadTransfer({ api, files: [memorySource('a', pattern(10, 9))], recipients: ['r@x.example'], maxDownloads: 1 });
  const wrong = `${sent.link.split('#')[0]}#${'A'.repeat(43)}`;
  await assert.rejects(openTransfer(wrong, { email: 'r@x.example', askCode: async () => '12345678' }, { apiOptions }),
    (e: unknown) => e instanceof ApiError && e.code === 'link_proof_invalid');
  const identity = { email: 'r@x.example', askCode: async () => server.outbox.get('r@x.example')! };
  await openTransfer(sent.link, identity, { apiOptions });
  await assert.rejects(openTransfer(sent.link, identity, { apiOptions }), (e: unknown) => e instanceof ApiError && e.code === 'transfer_exhausted');
});

test('a part altered on the server is caught by its hash; every sink is aborted, none committed', async () => {
  const { server, api, apiOptions } = setup();
  const sent = await uploadTransfer({
    api, files: [memorySource('one', pattern(1000, 10)), memorySource('two', pattern(1000, 11))], recipients: ['r@x.example'],
  });
  const t = server.transfers.get(sent.transferId)!;
  t.files[1]!.parts.get(0)![100]! ^= 0xff;
  const sinks = memorySinks();
  await assert.rejects(
    receiveTransfer(sent.link, { email: 'r@x.example', askCode: async () => server.outbox.get('r@x.example')! }, { apiOptions, createSink: (m) => sinks.createSink(m) }),
    (e: unknown) => e instanceof IntegrityError && e.failure === 'part_hash_mismatch',
  );
  assert.equal(sinks.committed.size, 0);
  assert.equal(sinks.aborted, 2);
});

test('a manifest swapped by the server fails decryption', async () => {
  const { server, api, apiOptions } = setup();
  const a = await uploadTransfer({ api, files: [memorySource('a', pattern(10, 12))], recipients: ['r@x.example'] });
  const b = await uploadTransfer({ api, files: [memorySource('b', pattern(10, 13))], recipients: ['r@x.example'] });
  server.transfers.get(a.transferId)!.finalized!.manifest = server.transfers.get(b.transferId)!.finalized!.manifest;
  await assert.rejects(
    openTransfer(a.link, { email: 'r@x.example', askCode: async () => server.outbox.get('r@x.example')! }, { apiOptions }),
    (e: unknown) => e instanceof IntegrityError && e.failure === 'decryption_failed',
  );
});
