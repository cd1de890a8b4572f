// The save service worker: it answers /_save/<id> — and nothing else, that is its whole scope — with a stream of
// the decrypted bytes the download worker sends on a MessagePort, as an attachment. The browser writes that stream
// to its downloads folder, so a file of any size never sits whole in memory. A chunk arrives only after its tag
// verified; the stream closes only once every file of the transfer verified, and is errored otherwise, so the
// browser marks the download failed and deletes what it wrote.
/// <reference lib="webworker" />
import { SAVE_SCOPE, type SaveCommand, type StreamInput, type StreamOutput } from './protocol.js';

const worker = self as unknown as ServiceWorkerGlobalScope;
/** Bytes queued between the port and the browser's download before the sender is asked to wait. */
const HIGH_WATER_MARK = 16 * 1024 * 1024;
/**
 * A stream whose page stopped saying it is alive (closed or reloaded tab) is failed after this long, so that its
 * download does not wait forever in the browser.
 */
const ORPHAN_AFTER_MS = 30_000;
const expected = new Map<string, { stream: ReadableStream<Uint8Array>; headers: Headers; port: MessagePort }>();
/** Streams being written, by id: when their page last spoke of them, and how to fail them. */
const live = new Map<string, { seen: number; fail: () => void }>();

worker.addEventListener('install', () => void worker.skipWaiting());

worker.addEventListener('message', (event: ExtendableMessageEvent) => {
  const command = event.data as SaveCommand;
  const now = Date.now();
  // Receiving a message is also what keeps this worker running during a long download.
  if (command?.kind === 'keepalive' && Array.isArray(command.ids)) {
    for (const id of command.ids) { const stream = live.get(id); if (stream) stream.seen = now; }
  }
  failOrphans(now);
  const port = event.ports[0];
  if (command?.kind !== 'expect' || !port || !/^[A-Za-z0-9_-]{22}$/u.test(command.id)) return;
  expected.set(command.id, { stream: streamFrom(command.id, port), headers: attachmentHeaders(command.fileName, command.size), port });
  send(port, { kind: 'registered' });
});

function failOrphans(now: number): void {
  for (const [id, stream] of live) if (now - stream.seen > ORPHAN_AFTER_MS) stream.fail();
}
// Also between messages: this worker may be kept running by another page's download (or by developer tools).
setInterval(() => failOrphans(Date.now()), ORPHAN_AFTER_MS / 3);

worker.addEventListener('fetch', (event: FetchEvent) => {
  const url = new URL(event.request.url);
  if (url.origin !== worker.location.origin || !url.pathname.startsWith(SAVE_SCOPE)) return;
  const id = url.pathname.slice(SAVE_SCOPE.length);
  const entry = expected.get(id);
  expected.delete(id); // one download per stream
  if (!entry || event.request.method !== 'GET') {
    event.respondWith(new Response('This download is no longer available.', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
    return;
  }
  send(entry.port, { kind: 'started' });
  event.respondWith(new Response(entry.stream, { headers: entry.headers }));
});

function send(port: MessagePort, message: StreamOutput): void {
  port.postMessage(message);
}

function streamFrom(id: string, port: MessagePort): ReadableStream<Uint8Array> {
  let ackOwed = false;
  let ended = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const end = (how: 'close' | 'error') => {
        if (ended) return;
        ended = true;
        live.delete(id);
        if (how === 'close') controller.close();
        else controller.error(new Error('the file could not be verified'));
        port.close();
      };
      port.onmessage = ({ data }: MessageEvent<StreamInput>) => {
        if (data.kind === 'chunk') {
          controller.enqueue(data.bytes);
          if ((controller.desiredSize ?? 0) > 0) send(port, { kind: 'ack' });
          else ackOwed = true;
        } else {
          end(data.kind === 'close' ? 'close' : 'error');
        }
      };
      live.set(id, { seen: Date.now(), fail: () => end('error') });
      // The sender went away (the tab was closed or reloaded): the download fails instead of waiting forever.
      port.addEventListener('close', () => end('error'));
    },
    pull() {
      if (!ackOwed) return;
      ackOwed = false;
      send(port, { kind: 'ack' });
    },
    cancel() {
      ended = true;
      live.delete(id);
      send(port, { kind: 'cancelled' });
      port.close();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_MARK }));
}

/**
 * An attachment with the (already made safe) name, never rendered: the sender chose the name and the type, so the
 * type is not used and the response may not run anything.
 */
function attachmentHeaders(fileName: string, size: number): Headers {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/gu, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return new Headers({
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`,
    'content-length': String(size),
    'content-security-policy': "default-src 'none'; sandbox",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
}
