// Tests of the context encoding: exact bytes, fixed id lengths and counts per label.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeContext, fileContext, linkSlotContext, manifestContext } from './context.js';
import { CryptoError } from '../errors.js';
import { type FileIdBytes, type SlotIdBytes, type TransferIdBytes } from '../encoding/ids.js';

const t = new Uint8Array(16).fill(0xaa) as TransferIdBytes;
const f = new Uint8Array(16).fill(0xbb) as FileIdBytes;
const isCode = (code: string) => (e: unknown) => e instanceof CryptoError && e.code === code;

it('ctx(label, ids) = UTF-8(label) ‖ 0x00 ‖ ids', () => {
  assert.equal(Buffer.from(fileContext(t, f)).toString('hex'), Buffer.from('valise/v1/file').toString('hex') + '00' + 'aa'.repeat(16) + 'bb'.repeat(16));
  assert.equal(manifestContext(t).length, 'valise/v1/manifest'.length + 1 + 16);
  assert.equal(linkSlotContext(t, f as unknown as SlotIdBytes).length, 'valise/v1/link-slot'.length + 1 + 32);
});

it('rejects wrong id lengths, id counts and labels', () => {
  assert.throws(() => encodeContext('valise/v1/file', t, new Uint8Array(15)), isCode('invalid_length'));
  assert.throws(() => encodeContext('valise/v1/file', t), isCode('invalid_argument'));
  assert.throws(() => encodeContext('valise/v1/manifest', t, f), isCode('invalid_argument'));
  assert.throws(() => encodeContext('valise/v2/file' as 'valise/v1/file', t, f), isCode('invalid_argument'));
});
