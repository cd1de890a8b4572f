// Computes one Argon2id (member-key unlock, §11.5) off the page's thread: hash-wasm's WebAssembly runs synchronously
// for about a second, which would freeze the page. The page checked the parameters; this only computes.
/// <reference lib="webworker" />
import { type Argon2Job, runArgon2Here } from '@valise/crypto';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async ({ data }: MessageEvent<Argon2Job>) => {
  try {
    const secret = await runArgon2Here(data);
    scope.postMessage({ secret }, [secret.buffer]);
  } catch {
    scope.postMessage({ failed: true });
  }
};
