// Format throughput in Node: Cobblestone-256 part encryption and decryption, WebCrypto and node:crypto AEADs.
import { createEncryptor, decryptPart, encryptPart, fileContext, newId, openDecryptor, partCount, partPlaintextRange, randomBytes, webCryptoAead } from '@valise/crypto';
import { nodeAead } from '../apps/cli/dist/crypto/node-aead.js';
import { mib } from './measure.mjs';

/** Encrypts then decrypts `sizeBytes` of data part by part (as send and receive do), returning MiB/s each way. */
export async function measureFormat({ sizeBytes, aead }) {
  const key = randomBytes(32);
  const context = fileContext(newId('transfer'), newId('file'));
  const plaintextPart = randomBytes(partPlaintextRange(sizeBytes, 0).end);
  const parts = partCount(sizeBytes);
  const encryptor = await createEncryptor(key, context, { aead });
  const ciphertexts = [];
  let t = performance.now();
  for (let k = 0; k < parts; k++) {
    const { start, end } = partPlaintextRange(sizeBytes, k);
    const ct = await encryptPart(encryptor, sizeBytes, k, plaintextPart.subarray(0, end - start));
    if (k < 2 || k === parts - 1) ciphertexts[k] = ct; // keep a few to decrypt: the rest are identical in cost
  }
  const encryptMiBs = mib(sizeBytes) / ((performance.now() - t) / 1000);
  const decryptor = await openDecryptor(key, context, ciphertexts[0].subarray(0, 56), { aead });
  t = performance.now();
  for (let k = 0; k < parts; k++) {
    const sample = k === 0 ? 0 : k === parts - 1 ? parts - 1 : 1;
    await decryptPart(decryptor, sizeBytes, sample, ciphertexts[sample]);
  }
  const decryptMiBs = mib(sizeBytes) / ((performance.now() - t) / 1000);
  return { encryptMiBs, decryptMiBs };
}

export const AEADS = { webcrypto: webCryptoAead, 'node:crypto': nodeAead };
