// fetch for the CLI: a large byte body (a ciphertext part) goes out as a one-chunk stream with its Content-Length.
// Node's fetch copies a Uint8Array body whole before sending it (8 MiB per part, a fresh allocation each time);
// a stream body is written to the socket as it is. The bytes and headers on the wire are the same.

/** Bodies smaller than this go through fetch unchanged. */
const STREAM_BODY_MIN = 64 * 1024;

export const cliFetch: typeof fetch = (input, init) => {
  const body = init?.body;
  if (!(body instanceof Uint8Array) || body.length < STREAM_BODY_MIN) return fetch(input, init);
  const headers = new Headers(init?.headers);
  headers.set('content-length', String(body.length));
  // A new stream per call, so a retry sends the whole body again.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body);
      controller.close();
    },
  });
  return fetch(input, { ...init, headers, body: stream, duplex: 'half' } as RequestInit);
};
