// The page's side of the streaming save: registers the save service worker (scope /_save/ only), and for each file
// hands it a MessagePort, then sends a hidden frame to /_save/<id> so the browser starts the download. The port is
// then given to the download worker, which writes the decrypted bytes into it. Where service workers are missing or
// blocked (policy, private windows), `streamingSaver()` answers null and the page keeps files as Blobs instead.
import { safeFileName } from '@valise/client';
import { toBase64Url } from '@valise/crypto';
import { SAVE_SCOPE, SAVE_WORKER_URL, type SaveCommand, type StreamOutput } from './protocol.js';

export interface StreamingSaver {
  /** Starts the browser's download of one file; returns the port its bytes go to (to transfer to a worker). */
  open(file: { name: string; size: number }): Promise<MessagePort>;
  /** Stops keeping the service worker awake and removes the frames (the downloads themselves go on). */
  finish(): void;
}

const REGISTRATION_TIMEOUT_MS = 10_000;
/**
 * Service workers are stopped after about 30 s without an event; a message every 10 s keeps this one running, and
 * tells it which streams still have a page behind them.
 */
const KEEPALIVE_MS = 10_000;

let registration: Promise<ServiceWorker | null> | undefined;

/** Registers the save service worker once (call early: it is ready by the time the person clicks). */
export function prepareStreamingSave(): Promise<ServiceWorker | null> {
  registration ??= activeSaveWorker().catch(() => null);
  return registration;
}

export async function streamingSaver(): Promise<StreamingSaver | null> {
  const worker = await prepareStreamingSave();
  if (!worker) return null;
  const frames: HTMLIFrameElement[] = [];
  const ids: string[] = [];
  const keepalive = setInterval(() => worker.postMessage({ kind: 'keepalive', ids } satisfies SaveCommand), KEEPALIVE_MS);
  return {
    async open(file) {
      const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
      ids.push(id);
      const channel = new MessageChannel();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the save service worker did not answer')), REGISTRATION_TIMEOUT_MS);
        channel.port2.onmessage = ({ data }: MessageEvent<StreamOutput>) => {
          if (data.kind !== 'registered') return;
          clearTimeout(timer);
          channel.port2.onmessage = null;
          resolve();
        };
        worker.postMessage({ kind: 'expect', id, fileName: safeFileName(file.name), size: file.size } satisfies SaveCommand, [channel.port1]);
      });
      const frame = document.createElement('iframe');
      frame.hidden = true;
      frame.title = 'download';
      frame.src = `${SAVE_SCOPE}${id}`;
      document.body.append(frame);
      frames.push(frame);
      return channel.port2;
    },
    finish() {
      clearInterval(keepalive);
      // A download, once begun, belongs to the browser; the frames can go a little later.
      setTimeout(() => frames.splice(0).forEach((f) => f.remove()), 60_000);
    },
  };
}

async function activeSaveWorker(): Promise<ServiceWorker | null> {
  if (!('serviceWorker' in navigator) || !globalThis.isSecureContext) return null;
  const deadline = new Promise<null>((resolve) => setTimeout(() => resolve(null), REGISTRATION_TIMEOUT_MS));
  const ready = (async () => {
    const reg = await navigator.serviceWorker.register(SAVE_WORKER_URL, { scope: SAVE_SCOPE });
    const worker = reg.active ?? reg.installing ?? reg.waiting;
    if (!worker) return null;
    if (worker.state !== 'activated') {
      await new Promise<void>((resolve, reject) => worker.addEventListener('statechange', () => {
        if (worker.state === 'activated') resolve();
        else if (worker.state === 'redundant') reject(new Error('the save service worker was not installed'));
      }));
    }
    return worker;
  })();
  return Promise.race([ready, deadline]);
}
