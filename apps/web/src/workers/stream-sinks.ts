// FileSinks into the browser's downloads, through the save service worker (stream-save/): each write hands one
// verified, decrypted part to the file's MessagePort and waits for room (bounded memory). Nothing is finished before
// every file of the transfer verified: commit closes the stream, abort errors it, and the browser then deletes the
// partial download. A download the person cancels, or one the browser never starts, fails the transfer plainly.
import type { FileSink } from '@valise/client';
import type { StreamInput, StreamOutput } from '../stream-save/protocol.js';

/** Raised when the browser's download stopped (cancelled by the person) or never began (refused). */
export class SaveStoppedError extends Error {}

/** How long the browser may take to begin a download (it may first ask the person to allow several downloads). */
const START_TIMEOUT_MS = 120_000;

export function streamSink(port: MessagePort): FileSink {
  let state: 'open' | 'stopped' | 'finished' = 'open';
  let started = false;
  const waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const stop = () => {
    state = 'stopped';
    for (const w of waiting.splice(0)) w.reject(new SaveStoppedError('the browser stopped the download'));
  };
  port.onmessage = ({ data }: MessageEvent<StreamOutput>) => {
    if (data.kind === 'started') started = true;
    else if (data.kind === 'ack') waiting.shift()?.resolve();
    else if (data.kind === 'cancelled') stop();
  };
  const startTimer = setTimeout(() => { if (!started) stop(); }, START_TIMEOUT_MS);
  const send = (message: StreamInput, transfer: Transferable[] = []) => port.postMessage(message, transfer);
  const finish = (message: StreamInput) => {
    clearTimeout(startTimer);
    if (state === 'open') send(message);
    state = 'finished';
    port.close();
  };
  return {
    async write(bytes) {
      if (state !== 'open') throw new SaveStoppedError('the browser stopped the download');
      const acked = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      // The engine gives each part its own buffer (no reuseBuffers here), so it can move instead of being copied.
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      send({ kind: 'chunk', bytes }, whole ? [bytes.buffer as ArrayBuffer] : []);
      await acked;
    },
    async commit() {
      if (state === 'stopped') throw new SaveStoppedError('the browser stopped the download');
      finish({ kind: 'close' });
    },
    async abort() {
      finish({ kind: 'abort' });
    },
  };
}
