// Benchmark-only page script (never part of the app's bundle): sends then receives one file with the engine the
// app's workers run (WebCrypto, Blob request bodies, the same parts in flight), and reports the times in the page
// title, where bench/web.mjs reads them. Parameters come in the fragment, which never reaches the server.
import { type FileSink, type OpenPartJob, ValiseApi, downloadTransfer, openTransfer, uploadTransfer } from '@valise/client';
import { PartSealerPool, openerPoolIfWorthIt, poolSize } from '../workers/part-pools.js';
import { webFetch } from '../workers/web-fetch.js';

async function run(): Promise<Record<string, number>> {
  const { token, email, sizeMiB } = JSON.parse(decodeURIComponent(location.hash.slice(1))) as { token: string; email: string; sizeMiB: number };
  history.replaceState(null, '', location.pathname);
  // The file: a random 8 MiB block repeated, read by ranges like a picked file (made on the fly: a 1 GiB Blob is
  // more than this headless Chromium's blob storage keeps readable).
  const block = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 65_536) crypto.getRandomValues(block.subarray(i, i + 65_536));
  const size = sizeMiB * 1024 * 1024;
  const readRange = async (a: number, b: number) => {
    const out = new Uint8Array(b - a);
    for (let at = a; at < b; ) {
      const offset = at % block.length;
      const n = Math.min(block.length - offset, b - at);
      out.set(block.subarray(offset, offset + n), at - a);
      at += n;
    }
    return out;
  };
  const source = { name: 'bench.bin', type: 'application/octet-stream', size, readRange };
  const api = new ValiseApi({ serverUrl: location.origin, token, fetch: webFetch });

  const t0 = performance.now();
  const sealers = new PartSealerPool(poolSize());
  const sent = await uploadTransfer({ api, files: [source], recipients: [email], concurrency: 4, sealPart: (part) => sealers.seal(part) });
  sealers.terminate();
  const upload = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const opened = await openTransfer(sent.link, { memberToken: token });
  // Decrypted bytes are counted, not kept: the app then writes them to a chosen folder or to Blobs.
  let received = 0;
  const openers = openerPoolIfWorthIt();
  await downloadTransfer(opened, {
    prefetch: 2,
    ...(openers ? { openPart: (part: OpenPartJob) => openers.open(part) } : { reuseBuffers: true }),
    createSink: (): FileSink => ({
      async write(bytes) { received += bytes.length; },
      async commit() {},
      async abort() {},
    }),
  });
  openers?.terminate();
  const download = (performance.now() - t1) / 1000;
  if (received !== size) throw new Error(`received ${received} bytes of ${size}`);
  return { uploadMiBs: sizeMiB / upload, downloadMiBs: sizeMiB / download };
}

run().then(
  (result) => { document.title = `RESULT:${JSON.stringify(result)}`; },
  (error: unknown) => { document.title = `FAILED:${String(error)}`; },
);
