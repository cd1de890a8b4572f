// fetch for the workers: a large byte body (a ciphertext part) goes out as a Blob. Measured in this Chromium, a
// Blob body uploads two to four times faster than the same bytes as an ArrayBuffer (the bytes on the wire are
// the same). Small JSON bodies pass through unchanged.
const BLOB_BODY_MIN = 64 * 1024;

export const webFetch: typeof fetch = (input, init) => {
  const body = init?.body;
  if (!(body instanceof Uint8Array) || body.length < BLOB_BODY_MIN) return fetch(input, init);
  return fetch(input, { ...init, body: new Blob([body as Uint8Array<ArrayBuffer>]) });
};
