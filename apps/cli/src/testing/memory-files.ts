// Test support: in-memory FileSource and FileSink for the client package's engines (no file system involved).
import type { FileSink, FileSource, ReceivedFileMeta } from '@valise/client';

export function memorySource(name: string, bytes: Uint8Array, lastModified = 1_700_000_000_000): FileSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    name, type: 'application/pdf', size: bytes.length, lastModified, reads,
    async readRange(start, end) {
      reads.push([start, end]);
      return bytes.slice(start, end);
    },
  };
}

/** A sink factory that keeps committed files by name and counts aborted sinks. */
export function memorySinks() {
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

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly body: Uint8Array;
}

/** The real fetch, with every request's method, URL and body written down (what left this process). */
export function recordingFetch(): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const record: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = init?.body;
    const bytes = body === undefined || body === null ? new Uint8Array()
      : typeof body === 'string' ? new TextEncoder().encode(body)
        : body instanceof Uint8Array ? new Uint8Array(body)
          : body instanceof ArrayBuffer ? new Uint8Array(body.slice(0))
            : (() => {
              throw new TypeError(`recordingFetch: unrecorded body type ${Object.prototype.toString.call(body)}`);
            })();
    requests.push({ method: init?.method ?? 'GET', url, body: bytes });
    return globalThis.fetch(input, init);
  };
  return { fetch: record, requests };
}
