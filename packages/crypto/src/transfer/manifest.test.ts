// Tests of the manifest: canonical serialisation, encryption under TK, and strict validation (table-driven).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encryptMessage } from '../cobblestone/cobblestone.js';
import { manifestContext } from './context.js';
import { toBase64Url, utf8 } from '../encoding/encoding.js';
import { CryptoError } from '../errors.js';
import { idToText, newId } from '../encoding/ids.js';
import { ciphertextSize } from '../cobblestone/layout.js';
import { type Manifest, type ManifestFile, decryptManifest, encryptManifest, parseManifest, partHash, serializeManifest, validateManifest } from './manifest.js';
import { PART_PLAINTEXT_SIZE } from './parts.js';
import { rejectsWith } from '../test-support/vectors.js';
import { type TransferKey, newSecret } from './transfer-keys.js';

const transferId = newId<'TransferId'>();
const tk = newSecret<'ClientKey'>() as unknown as TransferKey;
const hash = toBase64Url(new Uint8Array(32));

function file(overrides: Partial<Record<keyof ManifestFile, unknown>> = {}): ManifestFile {
  const size = 40_000;
  return {
    fileId: idToText(newId<'FileId'>()),
    key: toBase64Url(newSecret<'FileKey'>()),
    name: 'rapport annuel 2025 — final.pdf',
    type: 'application/pdf',
    size,
    ciphertextSize: ciphertextSize(size),
    partHashes: [hash],
    ...overrides,
  } as ManifestFile;
}

function manifest(overrides: Partial<Record<keyof Manifest, unknown>> = {}): Manifest {
  return { v: 1, transferId: idToText(transferId), createdAt: '2025-11-23T20:15:00.000Z', message: 'Bonjour 👋', files: [file()], ...overrides } as Manifest;
}

describe('manifest round trip', () => {
  it('encrypts canonical JSON under TK and decrypts to the same value', async () => {
    const m = manifest({ files: [file(), file({ size: PART_PLAINTEXT_SIZE, ciphertextSize: ciphertextSize(PART_PLAINTEXT_SIZE), partHashes: [hash, hash] })] });
    const ct = await encryptManifest(tk, m);
    assert.deepEqual(await decryptManifest(tk, transferId, ct), m);
    const json = new TextDecoder().decode(serializeManifest(m));
    assert.ok(json.startsWith('{"createdAt":"2025-11-23T20:15:00.000Z","files":[{"ciphertextSize":'), json);
  });
  it('accepts an empty file list, a null message, and the maximum name length', () => {
    validateManifest(manifest({ files: [], message: null }));
    validateManifest(manifest({ files: [file({ name: 'x'.repeat(1024), type: 'text/plain; charset=utf-8' })] }));
  });
  it('partHash is base64url SHA-256', async () => {
    const part = utf8('part');
    assert.equal(await partHash(part), createHash('sha256').update(part).digest('base64url'));
  });
});

describe('manifest validation', () => {
  const many = Array.from({ length: 10_001 }, () => file());
  const dupe = file();
  const cases: Array<[string, unknown]> = [
    ['not an object', [manifest()]],
    ['extra key', { ...manifest(), extra: 1 }],
    ['missing key', (({ message: _m, ...rest }) => rest)(manifest())],
    ['v = 2', manifest({ v: 2 })],
    ['v as string', manifest({ v: '1' })],
    ['transferId too short', manifest({ transferId: 'AAAA' })],
    ['transferId not canonical', manifest({ transferId: 'A'.repeat(21) + 'B' })],
    ['createdAt without milliseconds', manifest({ createdAt: '2025-11-23T20:15:00Z' })],
    ['createdAt with an offset', manifest({ createdAt: '2025-11-23T20:15:00.000+01:00' })],
    ['createdAt impossible date', manifest({ createdAt: '2025-02-30T20:15:00.000Z' })],
    ['message a number', manifest({ message: 5 })],
    ['message with a lone surrogate', manifest({ message: 'a\ud800b' })],
    ['files not an array', manifest({ files: {} })],
    ['more than 10,000 files', manifest({ files: many })],
    ['duplicate fileIds', manifest({ files: [dupe, { ...dupe }] })],
    ['file extra key', manifest({ files: [{ ...file(), path: '/etc' }] })],
    ['file key too short', manifest({ files: [file({ key: toBase64Url(new Uint8Array(16)) })] })],
    ['empty name', manifest({ files: [file({ name: '' })] })],
    ['name of 1025 units', manifest({ files: [file({ name: 'x'.repeat(1025) })] })],
    ['type without subtype', manifest({ files: [file({ type: 'pdf' })] })],
    ['type with a control character', manifest({ files: [file({ type: 'text/plain;\n' })] })],
    ['negative size', manifest({ files: [file({ size: -1 })] })],
    ['fractional size', manifest({ files: [file({ size: 1.5 })] })],
    ['unsafe size', manifest({ files: [file({ size: 2 ** 53 })] })],
    ['size as string', manifest({ files: [file({ size: '40000' })] })],
    ['ciphertextSize mismatch', manifest({ files: [file({ ciphertextSize: ciphertextSize(40_000) + 1 })] })],
    ['too many partHashes', manifest({ files: [file({ partHashes: [hash, hash] })] })],
    ['no partHashes', manifest({ files: [file({ partHashes: [] })] })],
    ['partHash with padding', manifest({ files: [file({ partHashes: [hash.slice(0, 42) + '='] })] })],
    ['class instance', Object.assign(Object.create({ inherited: true }) as object, manifest())],
  ];
  it(`rejects ${cases.length} malformed manifests with manifest_invalid`, () => {
    for (const [why, value] of cases) {
      assert.throws(() => validateManifest(value), (e) => e instanceof CryptoError && e.code === 'manifest_invalid', why);
    }
  });
  it('error messages do not echo names or messages', () => {
    try {
      validateManifest(manifest({ message: 'secret\ud800', files: [file({ name: 'top-secret-name' })] }));
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof CryptoError && !e.message.includes('secret'));
    }
  });
});

describe('decryptManifest', () => {
  it('rejects a manifest naming another transfer, even under the right context', async () => {
    const other = manifest({ transferId: idToText(newId<'TransferId'>()) });
    const ct = await encryptMessage(tk, manifestContext(transferId), serializeManifest(other));
    await rejectsWith(decryptManifest(tk, transferId, ct), 'manifest_invalid');
  });
  it('rejects a manifest of another transfer by its commitment', async () => {
    const otherId = newId<'TransferId'>();
    const ct = await encryptManifest(tk, manifest({ transferId: idToText(otherId) }));
    await rejectsWith(decryptManifest(tk, transferId, ct), 'commitment_mismatch');
  });
  it('rejects non-canonical JSON, duplicate keys and bad UTF-8', async () => {
    const m = manifest();
    const canonical = new TextDecoder().decode(serializeManifest(m));
    const spaced = canonical.replace('"v":1', '"v": 1');
    const duplicated = canonical.replace('{"createdAt"', '{"v":1,"createdAt"');
    for (const text of [spaced, duplicated, JSON.stringify(m)]) {
      assert.throws(() => parseManifest(utf8(text), transferId), (e) => e instanceof CryptoError && e.code === 'manifest_invalid');
      await rejectsWith(decryptManifest(tk, transferId, await encryptMessage(tk, manifestContext(transferId), utf8(text))), 'manifest_invalid');
    }
    assert.throws(() => parseManifest(new Uint8Array([0x7b, 0xff, 0x7d]), transferId), (e) => e instanceof CryptoError && e.code === 'manifest_invalid');
    assert.deepEqual(parseManifest(utf8(canonical), transferId), m);
  });
  it('a wrong TK fails the commitment', async () => {
    const ct = await encryptManifest(tk, manifest());
    await rejectsWith(decryptManifest(newSecret<'ClientKey'>() as unknown as TransferKey, transferId, ct), 'commitment_mismatch');
  });
});
