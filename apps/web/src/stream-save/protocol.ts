// What the page, the download worker and the save service worker say to each other to stream a decrypted file into
// the browser's own downloads (for browsers without the File System Access API). The bytes never leave the browser:
// the service worker answers a same-origin navigation to /_save/<id> with a stream fed from a MessagePort.

/** The only path the save service worker answers; it controls nothing else (its scope). */
export const SAVE_SCOPE = '/_save/';
export const SAVE_WORKER_URL = '/save-sw.js';

/** Page → service worker (on the registration's worker). `expect` carries the MessagePort of the file's bytes. */
export type SaveCommand =
  | { kind: 'expect'; id: string; fileName: string; size: number }
  /** Every few seconds while the page streams: the ids of its streams still being written. */
  | { kind: 'keepalive'; ids: string[] };

/** Download worker → service worker, on the file's port. */
export type StreamInput =
  | { kind: 'chunk'; bytes: Uint8Array }
  | { kind: 'close' }
  | { kind: 'abort' };

/** Service worker → the port's holder. */
export type StreamOutput =
  /** The port is known: the browser may now be sent to /_save/<id>. */
  | { kind: 'registered' }
  /** The browser asked for the file: its download has begun. */
  | { kind: 'started' }
  /** Room for the next chunk (one ack per chunk, sent once the queue is below its high-water mark). */
  | { kind: 'ack' }
  /** The person cancelled the download in the browser. */
  | { kind: 'cancelled' };
