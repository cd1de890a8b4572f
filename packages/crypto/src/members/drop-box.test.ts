// Drop boxes (docs/format.md §13): the link's key authenticates the box key; only owners open deposits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64Url, toBase64Url } from '../encoding/encoding.js';
import { newId } from '../encoding/ids.js';
import { CryptoError } from '../errors.js';
import { testOrg } from '../test-support/member-org.js';
import { rejectsWith } from '../test-support/vectors.js';
import { newSecret } from '../transfer/transfer-keys.js';
import {
  type BoxKeyRecord, boxLinkFragment, boxSlotSize, createDropBox, openBoxKeys, openBoxSlot, parseBoxKeyRecord, parseBoxLinkFragment,
  sealBoxKeysForOwner, sealBoxSlot, serializeBoxKeyRecord, verifyBoxKey,
} from './drop-box.js';

const org = await testOrg();
const orgKey = org.key;
const member = (email: string) => org.member(email);

const owner = await member('virology@h.example');
const stranger = await member('stranger@h.example');
const box = await createDropBox('  Virology lab — results  ');
const records = new Map([[1, { record: box.record, signature: box.signature }]]);

describe('drop boxes', () => {
  it('the link carries the box signing key, which verifies the signed, trimmed box name and key', async () => {
    const identity = parseBoxLinkFragment(`#${boxLinkFragment(box.identity)}`);
    assert.deepEqual(identity, box.identity);
    assert.equal(box.record.name, 'Virology lab — results');
    assert.deepEqual(parseBoxKeyRecord(serializeBoxKeyRecord(box.record)), box.record);
    const verified = await verifyBoxKey(identity, box.boxId, box.record, box.signature);
    assert.equal(verified.fingerprint.length, 32);
    assert.throws(() => parseBoxLinkFragment('abc'), (e: unknown) => e instanceof CryptoError && e.code === 'invalid_encoding');
  });

  it('a server swapping the box key, renaming the box, or serving another box or an older epoch is refused', async () => {
    const other = await createDropBox('Virology lab — results');
    // The other box's (validly signed) key, for this box's link.
    await rejectsWith(verifyBoxKey(box.identity, box.boxId, { ...other.record, boxId: box.boxId }, other.signature), 'signature_invalid');
    await rejectsWith(verifyBoxKey(box.identity, box.boxId, other.record, other.signature), 'record_invalid');
    const renamed: BoxKeyRecord = { ...box.record, name: 'Send your results here' };
    await rejectsWith(verifyBoxKey(box.identity, box.boxId, renamed, box.signature), 'signature_invalid');
    await rejectsWith(verifyBoxKey(box.identity, box.boxId, box.record, box.signature, { minEpoch: 2 }), 'record_invalid');
    const flipped = new Uint8Array(box.signature);
    flipped[0]! ^= 1;
    await rejectsWith(verifyBoxKey(box.identity, box.boxId, box.record, flipped), 'signature_invalid');
  });

  it('a deposit opens for the owner, not for a stranger, and not from another transfer or slot', async () => {
    const verified = await verifyBoxKey(box.identity, box.boxId, box.record, box.signature);
    const tid = newId<'TransferId'>();
    const slotId = newId<'SlotId'>();
    const ck = newSecret<'ClientKey'>();
    const slot = await sealBoxSlot(verified, tid, slotId, ck);
    assert.equal(slot.length, boxSlotSize('X25519'));

    const ownerCt = await sealBoxKeysForOwner(owner.certified, box.boxId, box.bundle);
    const keys = await openBoxKeys(owner.unlocked, box.boxId, ownerCt, box.identity, records);
    assert.deepEqual(await openBoxSlot(keys, 1, tid, slotId, slot), ck);
    await rejectsWith(openBoxSlot(keys, 1, newId<'TransferId'>(), slotId, slot), 'authentication_failed');
    await rejectsWith(openBoxSlot(keys, 1, tid, newId<'SlotId'>(), slot), 'authentication_failed');
    await rejectsWith(openBoxSlot(keys, 2, tid, slotId, slot), 'invalid_argument');
    // A stranger cannot open the owner's copy of the box keys.
    await rejectsWith(openBoxKeys(stranger.unlocked, box.boxId, ownerCt, box.identity, records), 'authentication_failed');
  });

  it('an owner copy for another box, or records that do not match the bundle, are refused', async () => {
    const other = await createDropBox('Other');
    const otherCt = await sealBoxKeysForOwner(owner.certified, other.boxId, other.bundle);
    // Served as this box's keys: the HPKE info binds the box id.
    await rejectsWith(openBoxKeys(owner.unlocked, box.boxId, otherCt, box.identity, records), 'authentication_failed');
    // The other box's keys, with its own id but this box's identity: not this box's signing key.
    await rejectsWith(openBoxKeys(owner.unlocked, other.boxId, otherCt, box.identity, records), 'record_invalid');
    const ownerCt = await sealBoxKeysForOwner(owner.certified, box.boxId, box.bundle);
    await rejectsWith(openBoxKeys(owner.unlocked, box.boxId, ownerCt, box.identity, new Map()), 'record_invalid');
  });

  it('works with P-256 and ECDSA keys (87-character link fragment)', async () => {
    const p = await createDropBox('P-256 box', { kem: 'P-256', sig: 'ECDSA-P256' });
    const fragment = boxLinkFragment(p.identity);
    assert.equal(fragment.length, 87);
    const verified = await verifyBoxKey(parseBoxLinkFragment(fragment), p.boxId, p.record, p.signature);
    const ck = newSecret<'ClientKey'>();
    const tid = newId<'TransferId'>();
    const sid = newId<'SlotId'>();
    const slot = await sealBoxSlot(verified, tid, sid, ck);
    assert.equal(slot.length, 113);
    const keys = await openBoxKeys(owner.unlocked, p.boxId, await sealBoxKeysForOwner(owner.certified, p.boxId, p.bundle), p.identity,
      new Map([[1, { record: p.record, signature: p.signature }]]));
    assert.deepEqual(await openBoxSlot(keys, 1, tid, sid, slot), ck);
    assert.equal(toBase64Url(fromBase64Url(p.record.kemPublicKey)).length, 87);
  });
});
