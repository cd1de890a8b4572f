// Tests of the transfer keys: TK, link slot wrap/unwrap, link-auth key and proof (checked against node:crypto).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { type SlotIdBytes, type TransferIdBytes, newId } from '../encoding/ids.js';
import {
  type ClientKey,
  type LinkSecret,
  type ServerShare,
  LINK_SLOT_SIZE,
  deriveLinkAuthKey,
  deriveLinkWrapKey,
  deriveTransferKey,
  linkProof,
  newSecret,
  secretFromBase64Url,
  secretFromBytes,
  unwrapLinkSlot,
  verifyLinkProof,
  wrapLinkSlot,
} from './transfer-keys.js';
import { rejectsWith } from '../test-support/vectors.js';
import { toBase64Url } from '../encoding/encoding.js';
import { CryptoError } from '../errors.js';

const transferId = newId<'TransferId'>();
const slotId = newId<'SlotId'>();
const ck = newSecret<'ClientKey'>();
const ss = newSecret<'ServerShare'>();
const ls = newSecret<'LinkSecret'>();
const nodeHkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32));

describe('transfer key', () => {
  it('TK = HKDF-SHA256(CK ‖ SS, transferId, "valise/v1/transfer-key")', async () => {
    const tk = await deriveTransferKey(ck, ss, transferId);
    assert.deepEqual(tk, nodeHkdf(Buffer.concat([ck, ss]), transferId, 'valise/v1/transfer-key'));
    assert.notDeepEqual(await deriveTransferKey(ck, ss, newId<'TransferId'>()), tk);
  });
  it('rejects wrong sizes', async () => {
    await rejectsWith(deriveTransferKey(new Uint8Array(31) as ClientKey, ss, transferId), 'invalid_key');
    await rejectsWith(deriveTransferKey(ck, ss, new Uint8Array(15) as TransferIdBytes), 'invalid_length');
    assert.throws(() => secretFromBytes(new Uint8Array(16)), (e) => e instanceof CryptoError && e.code === 'invalid_key');
    assert.deepEqual(secretFromBase64Url(toBase64Url(ck)), ck);
    assert.throws(() => secretFromBase64Url(toBase64Url(ck) + 'A'), (e) => e instanceof CryptoError && e.code === 'invalid_encoding');
  });
});

describe('link slot', () => {
  it('W = HKDF-SHA256(LS, transferId ‖ slotId, "valise/v1/link-wrap"), slot is 104 bytes and unwraps to CK', async () => {
    assert.deepEqual(await deriveLinkWrapKey(ls, transferId, slotId), nodeHkdf(ls, Buffer.concat([transferId, slotId]), 'valise/v1/link-wrap'));
    const slot = await wrapLinkSlot(ls, transferId, slotId, ck);
    assert.equal(slot.length, LINK_SLOT_SIZE);
    assert.equal(LINK_SLOT_SIZE, 104);
    assert.deepEqual(await unwrapLinkSlot(ls, transferId, slotId, slot), ck);
  });
  it('a wrong LS, slotId or transferId fails the commitment; a wrong length fails first', async () => {
    const slot = await wrapLinkSlot(ls, transferId, slotId, ck);
    await rejectsWith(unwrapLinkSlot(newSecret<'LinkSecret'>(), transferId, slotId, slot), 'commitment_mismatch');
    await rejectsWith(unwrapLinkSlot(ls, transferId, newId<'SlotId'>(), slot), 'commitment_mismatch');
    await rejectsWith(unwrapLinkSlot(ls, newId<'TransferId'>(), slotId, slot), 'commitment_mismatch');
    await rejectsWith(unwrapLinkSlot(ls, transferId, slotId, slot.subarray(0, 103)), 'invalid_length');
    await rejectsWith(unwrapLinkSlot(ls, transferId, slotId, Buffer.concat([slot, Buffer.from([0])])), 'invalid_length');
    await rejectsWith(wrapLinkSlot(ls, transferId, slotId, new Uint8Array(16) as ClientKey), 'invalid_key');
  });
});

describe('link proof', () => {
  it('A = HKDF-SHA256(LS, transferId ‖ slotId, "valise/v1/link-auth"); proof = HMAC-SHA256(A, label ‖ 0 ‖ transferId ‖ nonce)', async () => {
    const a = await deriveLinkAuthKey(ls, transferId, slotId);
    assert.deepEqual(a, nodeHkdf(ls, Buffer.concat([transferId, slotId]), 'valise/v1/link-auth'));
    assert.notDeepEqual(a, await deriveLinkWrapKey(ls as LinkSecret, transferId, slotId));
    const nonce = newSecret<'ServerShare'>(); // any 32 random bytes
    const proof = await linkProof(a, transferId, nonce);
    const expected = createHmac('sha256', a).update(Buffer.concat([Buffer.from('valise/v1/link-proof\0'), transferId, nonce])).digest();
    assert.deepEqual(Buffer.from(proof), expected);
    assert.equal(await verifyLinkProof(a, transferId, nonce, proof), true);
  });
  it('a proof over another nonce, transfer or key is refused without throwing', async () => {
    const a = await deriveLinkAuthKey(ls, transferId, slotId);
    const nonce = newSecret<'ServerShare'>() as Uint8Array;
    const proof = await linkProof(a, transferId, nonce);
    assert.equal(await verifyLinkProof(a, transferId, newSecret<'ServerShare'>() as ServerShare, proof), false);
    assert.equal(await verifyLinkProof(a, newId<'TransferId'>(), nonce, proof), false);
    assert.equal(await verifyLinkProof(await deriveLinkAuthKey(ls, transferId, newId<'SlotId'>() as SlotIdBytes), transferId, nonce, proof), false);
    const flipped = new Uint8Array(proof);
    flipped[31]! ^= 1;
    assert.equal(await verifyLinkProof(a, transferId, nonce, flipped), false);
  });
  it('malformed lengths throw invalid_length', async () => {
    const a = await deriveLinkAuthKey(ls, transferId, slotId);
    await rejectsWith(linkProof(a, transferId, new Uint8Array(16)), 'invalid_length');
    await rejectsWith(verifyLinkProof(a, transferId, new Uint8Array(32), new Uint8Array(31)), 'invalid_length');
  });
});
