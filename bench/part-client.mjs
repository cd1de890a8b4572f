// One HTTP client for both the bare baseline and Valise, so the comparison measures servers, not clients.
import { createHash } from 'node:crypto';

/** Parts in flight, as the CLI: send uploads 3 at once (uploadTransfer's default), receive downloads 3 ahead (prefetch 2). */
export const PART_CONCURRENCY = 3;

/** PUTs `count` parts of `body` with `concurrency` in flight; returns MiB/s. `target(k)` gives {url, headers}. */
export async function putParts({ count, body, bodyFor = () => body, concurrency = PART_CONCURRENCY, target }) {
  const hashes = new Map();
  const shaOf = (b) => hashes.get(b.length) ?? hashes.set(b.length, createHash('sha256').update(b).digest('base64url')).get(b.length);
  let next = 0;
  let bytes = 0;
  const start = performance.now();
  const worker = async () => {
    for (let k = next++; k < count; k = next++) {
      const { url, headers } = target(k);
      const part = bodyFor(k);
      bytes += part.length;
      // A one-chunk stream body, as the CLI sends (apps/cli/src/node-fetch.ts): fetch copies a byte body whole
      // first, which would make this client, not the server, the bottleneck of both measurements.
      const res = await fetch(url, {
        method: 'PUT',
        body: new ReadableStream({ start(c) { c.enqueue(part); c.close(); } }),
        duplex: 'half',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(part.length), 'x-valise-part-sha256': shaOf(part), ...headers },
      });
      if (!res.ok) throw new Error(`PUT part ${k}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return bytes / (1024 * 1024) / ((performance.now() - start) / 1000);
}

/** GETs `count` parts with `concurrency` in flight, reading every byte; returns MiB/s. */
export async function getParts({ count, concurrency = PART_CONCURRENCY, target }) {
  let next = 0;
  let bytes = 0;
  const start = performance.now();
  const worker = async () => {
    for (let k = next++; k < count; k = next++) {
      const { url, headers } = target(k);
      const res = await fetch(url, { headers });
      if (!res.ok || !res.body) throw new Error(`GET part ${k}: ${res.status}`);
      for await (const chunk of res.body) bytes += chunk.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return bytes / (1024 * 1024) / ((performance.now() - start) / 1000);
}
