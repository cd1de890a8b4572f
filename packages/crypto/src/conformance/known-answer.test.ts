// The package reproduces every value of test-vectors/valise-v1.json (Valise's own known-answer vectors).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createEncryptor, deriveMessageKeys, openDecryptor } from '../cobblestone/cobblestone.js';
import { fileContext, linkSlotContext, manifestContext } from '../transfer/context.js';
import { sha256 } from '../primitives/digest.js';
import { toBase64Url } from '../encoding/encoding.js';
import { type FileIdBytes, type SlotIdBytes, type TransferIdBytes, idToText } from '../encoding/ids.js';
import { decryptManifest, encryptManifest, partHash, serializeManifest } from '../transfer/manifest.js';
import { decryptPart, encryptPart, partCiphertextRange, partCount, partPlaintextRange } from '../transfer/parts.js';
import { COBBLESTONE_256 } from '../cobblestone/suite.js';
import { hex, toHex } from '../test-support/vectors.js';
import { type MessageKeysJson, loadValiseVectors, patternBytes } from '../test-support/valise-vectors.js';
import {
  type ClientKey, type FileKey, type LinkSecret, type ServerShare, deriveLinkAuthKey, deriveLinkWrapKey, deriveTransferKey,
  linkProof, unwrapLinkSlot, verifyLinkProof, wrapLinkSlot,
} from '../transfer/transfer-keys.js';

const v = loadValiseVectors();
const ck = hex(v.inputs.ck) as ClientKey;
const ss = hex(v.inputs.ss) as ServerShare;
const ls = hex(v.inputs.ls) as LinkSecret;
const transferId = hex(v.inputs.transferId) as TransferIdBytes;
const slotId = hex(v.inputs.slotId) as SlotIdBytes;
const keysHex = (k: { key: Uint8Array; baseNonce: Uint8Array; commitment: Uint8Array }): MessageKeysJson => ({
  aeadKey: toHex(k.key), baseNonce: toHex(k.baseNonce), commitment: toHex(k.commitment),
});

it('ids and the link fragment have their text forms', () => {
  assert.equal(idToText(transferId), v.inputs.transferIdText);
  assert.equal(idToText(slotId), v.inputs.slotIdText);
  assert.equal(toBase64Url(ls), v.inputs.lsText);
});

it('transfer key, link slot and link proof', async () => {
  const tk = await deriveTransferKey(ck, ss, transferId);
  assert.equal(toHex(tk), v.transferKey.tk);
  const w = await deriveLinkWrapKey(ls, transferId, slotId);
  assert.equal(toHex(w), v.linkSlot.w);
  assert.equal(toHex(linkSlotContext(transferId, slotId)), v.linkSlot.context);
  assert.deepEqual(keysHex(await deriveMessageKeys(COBBLESTONE_256, w, hex(v.inputs.slotSalt), linkSlotContext(transferId, slotId))), v.linkSlot.messageKeys);
  assert.equal(toHex(await wrapLinkSlot(ls, transferId, slotId, ck, { salt: hex(v.inputs.slotSalt) })), v.linkSlot.slot);
  assert.deepEqual(await unwrapLinkSlot(ls, transferId, slotId, hex(v.linkSlot.slot)), ck);
  const a = await deriveLinkAuthKey(ls, transferId, slotId);
  assert.equal(toHex(a), v.linkAuth.a);
  assert.equal(toHex(await linkProof(a, transferId, hex(v.inputs.linkNonce))), v.linkAuth.proof);
  assert.equal(await verifyLinkProof(a, transferId, hex(v.inputs.linkNonce), hex(v.linkAuth.proof)), true);
});

it(`file bodies: ${v.files.length} files, parts, hashes and ciphertexts`, async () => {
  for (const [i, f] of v.files.entries()) {
    const input = v.inputs.files[i]!;
    const fk = hex(input.fk) as FileKey;
    const context = fileContext(transferId, hex(input.fileId) as FileIdBytes);
    assert.equal(toHex(context), f.context);
    assert.deepEqual(keysHex(await deriveMessageKeys(COBBLESTONE_256, fk, hex(input.salt), context)), f.messageKeys);
    const plaintext = patternBytes(input.size, input.plaintext.mul, input.plaintext.add);
    const encryptor = await createEncryptor(fk, context, { salt: hex(input.salt) });
    const decryptor = await openDecryptor(fk, context, encryptor.header);
    assert.equal(partCount(input.size), f.parts.length);
    const parts: Uint8Array[] = [];
    for (let k = 0; k < f.parts.length; k++) {
      const range = partPlaintextRange(input.size, k);
      const part = await encryptPart(encryptor, input.size, k, plaintext.subarray(range.start, range.end));
      assert.deepEqual(partCiphertextRange(input.size, k), { start: f.parts[k]!.start, end: f.parts[k]!.end });
      assert.equal(await partHash(part), f.parts[k]!.sha256);
      assert.deepEqual(await decryptPart(decryptor, input.size, k, part), plaintext.subarray(range.start, range.end));
      parts.push(part);
    }
    const ciphertext = Buffer.concat(parts);
    assert.equal(ciphertext.length, f.ciphertextSize);
    assert.equal(toHex(await sha256(ciphertext)), f.ciphertextSha256);
    if (f.ciphertext !== undefined) assert.equal(ciphertext.toString('hex'), f.ciphertext);
  }
});

it('manifest: canonical JSON and its encryption under TK', async () => {
  const tk = await deriveTransferKey(ck, ss, transferId);
  const manifest = await decryptManifest(tk, transferId, hex(v.manifest.ciphertext));
  assert.equal(new TextDecoder().decode(serializeManifest(manifest)), v.manifest.canonicalJson);
  assert.equal(toHex(manifestContext(transferId)), v.manifest.context);
  assert.deepEqual(keysHex(await deriveMessageKeys(COBBLESTONE_256, tk, hex(v.inputs.manifestSalt), manifestContext(transferId))), v.manifest.messageKeys);
  assert.equal(toHex(await encryptManifest(tk, manifest, { salt: hex(v.inputs.manifestSalt) })), v.manifest.ciphertext);
  assert.equal(manifest.createdAt, v.inputs.createdAt);
  assert.equal(manifest.message, v.inputs.message);
  assert.deepEqual(manifest.files.map((f) => f.partHashes), v.files.map((f) => f.parts.map((p) => p.sha256)));
});
