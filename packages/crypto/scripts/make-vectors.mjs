#!/usr/bin/env node
// Generates test-vectors/valise-v1.json: known-answer vectors for Valise v1 objects, from fixed inputs, with the built package.
// Usage (from the repo root): npx tsc -b packages/crypto && node packages/crypto/scripts/make-vectors.mjs
// The JSON is committed; tests check that the package reproduces it and re-derive it with node:crypto alone.
import { writeFileSync } from 'node:fs';
import {
  COBBLESTONE_256, createEncryptor, deriveLinkAuthKey, deriveLinkWrapKey, deriveMessageKeys, deriveTransferKey,
  encryptManifest, encryptPart, fileContext, idToText, linkProof, linkSlotContext, manifestContext, partCiphertextRange,
  partCount, partHash, partPlaintextRange, serializeManifest, ciphertextSize, toBase64Url, wrapLinkSlot,
} from '../dist/index.js';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
/** bytes start, start+1, … (mod 256): recognisable fixed inputs. */
const seq = (start, length) => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
/** The plaintext rule recorded in the JSON: byte[i] = (i * mul + add) mod 256. */
const pattern = (size, mul, add) => {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * mul + add) & 0xff;
  return out;
};

const ck = seq(0x00, 32);
const ss = seq(0x20, 32);
const ls = seq(0x40, 32);
const transferId = seq(0xa0, 16);
const slotId = seq(0xd0, 16);
const linkNonce = seq(0xf0, 32);
const manifestSalt = seq(0x10, 24);
const slotSalt = seq(0x30, 24);
const createdAt = '2025-01-01T00:00:00.000Z';
const message = 'Bonjour — voici les documents.';

const fileInputs = [
  // 40,000 bytes = chunks of 16384, 16384 and 7232: one part.
  { fileId: seq(0xb0, 16), fk: seq(0x60, 32), salt: seq(0x50, 24), name: 'rapport-2025.pdf', type: 'application/pdf', size: 40_000, mul: 1, add: 0 },
  // One full part (512 chunks) + 40,000 bytes: exercises the part boundary.
  { fileId: seq(0xc0, 16), fk: seq(0x80, 32), salt: seq(0x70, 24), name: 'données brutes.bin', type: 'application/octet-stream', size: 8_388_608 + 40_000, mul: 7, add: 3 },
];

const messageKeysJson = (k) => ({ aeadKey: hex(k.key), baseNonce: hex(k.baseNonce), commitment: hex(k.commitment) });

const files = [];
for (const f of fileInputs) {
  const context = fileContext(transferId, f.fileId);
  const plaintext = pattern(f.size, f.mul, f.add);
  const encryptor = await createEncryptor(f.fk, context, { salt: f.salt });
  const parts = [];
  for (let k = 0; k < partCount(f.size); k++) {
    const { start, end } = partPlaintextRange(f.size, k);
    parts.push(await encryptPart(encryptor, f.size, k, plaintext.subarray(start, end)));
  }
  const ciphertext = Buffer.concat(parts);
  files.push({
    input: f,
    context: hex(context),
    messageKeys: messageKeysJson(await deriveMessageKeys(COBBLESTONE_256, f.fk, f.salt, context)),
    ciphertextSize: ciphertextSize(f.size),
    parts: await Promise.all(parts.map(async (p, k) => ({ ...partCiphertextRange(f.size, k), sha256: await partHash(p) }))),
    ciphertextSha256: hex(await crypto.subtle.digest('SHA-256', ciphertext)),
    // The whole ciphertext only for the small file; the big one is checked through its part hashes.
    ciphertext: ciphertext.length < 100_000 ? hex(ciphertext) : undefined,
  });
}

const tk = await deriveTransferKey(ck, ss, transferId);
const manifest = {
  v: 1,
  transferId: idToText(transferId),
  createdAt,
  message,
  files: files.map(({ input, ciphertextSize: cts, parts }) => ({
    fileId: idToText(input.fileId), key: toBase64Url(input.fk), name: input.name, type: input.type,
    size: input.size, ciphertextSize: cts, partHashes: parts.map((p) => p.sha256),
  })),
};
const a = await deriveLinkAuthKey(ls, transferId, slotId);
const w = await deriveLinkWrapKey(ls, transferId, slotId);

const vectors = {
  format: 'valise/v1',
  description: 'Known-answer vectors for Valise format v1 (docs/format.md). Binary values are hex unless named *Text (base64url) or *Json.',
  generator: 'packages/crypto/scripts/make-vectors.mjs',
  inputs: {
    ck: hex(ck), ss: hex(ss), ls: hex(ls), lsText: toBase64Url(ls),
    transferId: hex(transferId), transferIdText: idToText(transferId),
    slotId: hex(slotId), slotIdText: idToText(slotId),
    linkNonce: hex(linkNonce), manifestSalt: hex(manifestSalt), slotSalt: hex(slotSalt), createdAt, message,
    files: fileInputs.map((f) => ({
      fileId: hex(f.fileId), fileIdText: idToText(f.fileId), fk: hex(f.fk), salt: hex(f.salt), name: f.name, type: f.type, size: f.size,
      plaintext: { rule: 'byte[i] = (i * mul + add) mod 256', mul: f.mul, add: f.add },
    })),
  },
  transferKey: { tk: hex(tk) },
  linkSlot: {
    w: hex(w),
    context: hex(linkSlotContext(transferId, slotId)),
    messageKeys: messageKeysJson(await deriveMessageKeys(COBBLESTONE_256, w, slotSalt, linkSlotContext(transferId, slotId))),
    slot: hex(await wrapLinkSlot(ls, transferId, slotId, ck, { salt: slotSalt })),
  },
  linkAuth: { a: hex(a), proof: hex(await linkProof(a, transferId, linkNonce)) },
  files: files.map(({ input: _input, ...rest }) => rest),
  manifest: {
    canonicalJson: new TextDecoder().decode(serializeManifest(manifest)),
    context: hex(manifestContext(transferId)),
    messageKeys: messageKeysJson(await deriveMessageKeys(COBBLESTONE_256, tk, manifestSalt, manifestContext(transferId))),
    ciphertext: hex(await encryptManifest(tk, manifest, { salt: manifestSalt })),
  },
};

const out = new URL('../test-vectors/valise-v1.json', import.meta.url);
writeFileSync(out, JSON.stringify(vectors, null, 2) + '\n');
console.log(`wrote ${out.pathname}`);
