// Test-only page script (never part of the app's bundle): a file sealed by a pool of part-sealer workers and opened
// by a pool of part-opener workers, in Chromium, must come back byte for byte; a damaged part must be refused. The
// app uses the opener pool only where more than two cores are free, so this is where that path runs on any machine.
import { type FileSink, type OpenPartJob, type SealPartJob, decryptToSinks } from '@valise/client';
import { type ManifestFile, PART_PLAINTEXT_SIZE, SALT_SIZE, newId, partCount, toBase64Url } from '@valise/crypto';
import { PartOpenerPool, PartSealerPool } from '../workers/part-pools.js';

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function roundTrip(size: number, damagePart: number | null): Promise<{ same: boolean; parts: number; failure: string | null }> {
  const plaintext = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(plaintext.subarray(i, Math.min(size, i + 65_536)));
  const ids = { transferId: toBase64Url(newId()), fileId: toBase64Url(newId()) };
  const keys = { fileKey: toBase64Url(crypto.getRandomValues(new Uint8Array(32))), salt: toBase64Url(crypto.getRandomValues(new Uint8Array(SALT_SIZE))) };
  const sealers = new PartSealerPool(2);
  const openers = new PartOpenerPool(2);
  try {
    const count = partCount(size);
    const sealed = await Promise.all(Array.from({ length: count }, (_, k) => sealers.seal({
      ...ids, ...keys, plaintextSize: size, index: k,
      plaintext: plaintext.slice(k * PART_PLAINTEXT_SIZE, Math.min(size, (k + 1) * PART_PLAINTEXT_SIZE)),
    } satisfies SealPartJob)));
    const file = {
      fileId: ids.fileId, name: 'a.bin', type: 'application/octet-stream', size, key: keys.fileKey,
      ciphertextSize: sealed.reduce((n, p) => n + p.ciphertext.length, 0), partHashes: sealed.map((p) => p.sha256),
    } as ManifestFile;
    if (damagePart !== null) sealed[damagePart]!.ciphertext[100]! ^= 1;
    const written: Uint8Array[] = [];
    const sink: FileSink = { write: async (b) => void written.push(b), commit: async () => undefined, abort: async () => void (written.length = 0) };
    try {
      await decryptToSinks({
        transferId: ids.transferId, files: [file], createSink: () => sink, prefetch: 2,
        fetchPart: async (_f, k) => sealed[k]!.ciphertext.slice(), // a copy: the pool transfers it away
        openPart: (job: OpenPartJob) => openers.open(job),
      });
    } catch (error) {
      return { same: false, parts: count, failure: (error as Error).name };
    }
    const joined = new Uint8Array(size);
    let at = 0;
    for (const w of written) { joined.set(w, at); at += w.length; }
    return { same: at === size && await sha256Hex(joined) === await sha256Hex(plaintext), parts: count, failure: null };
  } finally {
    sealers.terminate();
    openers.terminate();
  }
}

(globalThis as unknown as { roundTrip: typeof roundTrip }).roundTrip = roundTrip;
document.title = 'pools ready';
