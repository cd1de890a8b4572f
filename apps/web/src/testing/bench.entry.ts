// Benchmark-only page script (never part of the app's bundle): sends then receives one file with the engine the
// app's workers run (WebCrypto, Blob request bodies, the same parts in flight), and reports the times in the page
// title, where bench/web.mjs reads them. Parameters come in the fragment, which never reaches the server.
import { type FileSink, ValiseApi, downloadTransfer, openTransfer, uploadTransfer } from '@valise/client';
import { webFetch } from '../workers/web-fetch.js';

async function run(): Promise<Record<string, number>> {
  const { token, email, sizeMiB } = JSON.parse(decodeURIComponent(location.hash.slice(1))) as { token: string; email: string; sizeMiB: number };
  history.replaceState(null, '', location.pathname);
  // The file: a Blob of sizeMiB (a random 8 MiB block repeated), read by slices like a picked file.
  const block = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 65_536) crypto.getRandomValues(block.subarray(i, i + 65_536));
  const size = sizeMiB * 1024 * 1024;
  const blob = new Blob(Array.from({ length: Math.ceil(size / block.length) }, () => block)).slice(0, size);
  const source = { name: 'bench.bin', type: 'application/octet-stream', size, readRange: async (a: number, b: number) => new Uint8Array(await blob.slice(a, b).arrayBuffer()) };
  const api = new ValiseApi({ serverUrl: location.origin, token, fetch: webFetch });

  const t0 = performance.now();
  const sent = await uploadTransfer({ api, files: [source], recipients: [email], concurrency: 4 });
  const upload = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const opened = await openTransfer(sent.link, { memberToken: token });
  let received = 0;
  await downloadTransfer(opened, {
    prefetch: 2,
    createSink: (): FileSink => {
      const parts: Blob[] = [];
      return {
        async write(bytes) { parts.push(new Blob([bytes as Uint8Array<ArrayBuffer>])); },
        async commit() { received = new Blob(parts).size; },
        async abort() { parts.length = 0; },
      };
    },
  });
  const download = (performance.now() - t1) / 1000;
  if (received !== size) throw new Error(`received ${received} bytes of ${size}`);
  return { uploadMiBs: sizeMiB / upload, downloadMiBs: sizeMiB / download };
}

run().then(
  (result) => { document.title = `RESULT:${JSON.stringify(result)}`; },
  (error: unknown) => { document.title = `FAILED:${String(error)}`; },
);
