// Team mailboxes (docs/format.md §13.5): a team certified by the organisation, its keys sealed to each member;
// a removed member keeps what was theirs to read but cannot open anything deposited or sent after the removal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../encoding/ids.js';
import { testOrg } from '../test-support/member-org.js';
import { rejectsWith } from '../test-support/vectors.js';
import { newSecret } from '../transfer/transfer-keys.js';
import { addBoxEpoch, createDropBox, openBoxKeys, openBoxSlot, sealBoxKeysForOwner, sealBoxSlot, verifyBoxKey } from './drop-box.js';
import {
  type TeamKeyRecord, addTeamEpoch, certifyTeam, checkCertifiedTeam, createTeam, openTeamKeys, openTeamSlot, parseTeamKeyRecord, parseTeamRecord,
  sealTeamKeysForMember, sealTeamSlot, serializeTeamKeyRecord, serializeTeamRecord, teamSlotSize, verifyTeamKey,
} from './team.js';

const org = await testOrg();
const orgKey = org.key;
const member = (email: string) => org.member(email);

const alice = await member('alice@h.example');
const bob = await member('bob@h.example');
const made = await createTeam('  Virology lab ');
const team = await checkCertifiedTeam(org.publicKey, made.record, await certifyTeam(orgKey, made.record), made.record.teamId);
const records = new Map([[1, { record: made.key.record, signature: made.key.signature }]]);

describe('team mailboxes', () => {
  it('records round-trip canonically; the team is certified by the organisation and its keys signed by the team', async () => {
    assert.equal(made.record.name, 'Virology lab');
    assert.deepEqual(parseTeamRecord(serializeTeamRecord(made.record)), made.record);
    assert.deepEqual(parseTeamKeyRecord(serializeTeamKeyRecord(made.key.record)), made.key.record);
    const other = await createTeam('Virology lab');
    await rejectsWith(checkCertifiedTeam(org.publicKey, other.record, await certifyTeam(orgKey, made.record), other.record.teamId), 'signature_invalid');
    await rejectsWith(checkCertifiedTeam(org.publicKey, made.record, null, made.record.teamId), 'signature_invalid');
    await rejectsWith(checkCertifiedTeam(org.publicKey, made.record, await certifyTeam(orgKey, made.record), other.record.teamId), 'record_invalid');
    // Another team's (validly signed) key presented as this team's.
    const forged: TeamKeyRecord = { ...other.key.record, teamId: made.record.teamId };
    await rejectsWith(verifyTeamKey(team, forged, other.key.signature), 'signature_invalid');
    await rejectsWith(verifyTeamKey(team, made.key.record, made.key.signature, { minEpoch: 2 }), 'record_invalid');
  });

  it('every member opens the team keys sealed to them; a transfer sent to the team opens for each', async () => {
    const forAlice = await openTeamKeys(alice.unlocked, team, await sealTeamKeysForMember(alice.certified, made.record.teamId, made.bundle), records);
    const forBob = await openTeamKeys(bob.unlocked, team, await sealTeamKeysForMember(bob.certified, made.record.teamId, made.bundle), records);
    const key = await verifyTeamKey(team, made.key.record, made.key.signature);
    const tid = newId<'TransferId'>();
    const sid = newId<'SlotId'>();
    const ck = newSecret<'ClientKey'>();
    const slot = await sealTeamSlot(key, tid, sid, ck);
    assert.equal(slot.length, teamSlotSize('X25519'));
    assert.deepEqual(await openTeamSlot(forAlice, 1, tid, sid, slot), ck);
    assert.deepEqual(await openTeamSlot(forBob, 1, tid, sid, slot), ck);
    await rejectsWith(openTeamSlot(forBob, 1, tid, newId<'SlotId'>(), slot), 'authentication_failed');
    // Alice's copy does not open for bob.
    await rejectsWith(openTeamKeys(bob.unlocked, team, await sealTeamKeysForMember(alice.certified, made.record.teamId, made.bundle), records), 'authentication_failed');
  });

  it('a removed member opens what was deposited before, and nothing deposited after (keys re-wrapped, files untouched)', async () => {
    // A drop box owned by the team: its keys sealed to the team's epoch-1 key.
    const box = await createDropBox('Virology lab — results');
    const boxRecords = new Map([[1, { record: box.record, signature: box.signature }]]);
    const teamKey1 = await verifyTeamKey(team, made.key.record, made.key.signature);
    const ownerCt1 = await sealBoxKeysForOwner(teamKey1, box.boxId, box.bundle);
    const deposit = async (boxKey: Parameters<typeof sealBoxSlot>[0]) => {
      const tid = newId<'TransferId'>();
      const sid = newId<'SlotId'>();
      const ck = newSecret<'ClientKey'>();
      return { tid, sid, ck, slot: await sealBoxSlot(boxKey, tid, sid, ck) };
    };
    const before = await deposit(await verifyBoxKey(box.identity, box.boxId, box.record, box.signature));

    // Bob, while a member: his team keys open the box keys, which open the deposit.
    const bobTeam = await openTeamKeys(bob.unlocked, team, await sealTeamKeysForMember(bob.certified, made.record.teamId, made.bundle), records);
    const bobBox = await openBoxKeys(bobTeam.epochs.get(1)!.holder, box.boxId, ownerCt1, box.identity, boxRecords);
    assert.deepEqual(await openBoxSlot(bobBox, 1, before.tid, before.sid, before.slot), before.ck);

    // Alice removes bob: a new team epoch (sealed to alice only), a new box epoch (sealed to the new team key).
    const aliceTeam = await openTeamKeys(alice.unlocked, team, await sealTeamKeysForMember(alice.certified, made.record.teamId, made.bundle), records);
    const rotated = await addTeamEpoch(aliceTeam);
    assert.equal(rotated.key.record.epoch, 2);
    const records2 = new Map([...records, [2, { record: rotated.key.record, signature: rotated.key.signature }]]);
    const aliceTeam2 = await openTeamKeys(alice.unlocked, team, await sealTeamKeysForMember(alice.certified, made.record.teamId, rotated.bundle), records2);
    assert.equal(aliceTeam2.current.record.epoch, 2);
    const aliceBox1 = await openBoxKeys(aliceTeam2.epochs.get(1)!.holder, box.boxId, ownerCt1, box.identity, boxRecords);
    const boxEpoch2 = await addBoxEpoch(aliceBox1);
    const boxRecords2 = new Map([...boxRecords, [2, { record: boxEpoch2.record, signature: boxEpoch2.signature }]]);
    const ownerCt2 = await sealBoxKeysForOwner(aliceTeam2.current, box.boxId, boxEpoch2.bundle);

    const after = await deposit(await verifyBoxKey(box.identity, box.boxId, boxEpoch2.record, boxEpoch2.signature, { minEpoch: 2 }));
    // Alice (still a member) opens both deposits through the new keys.
    const aliceBox2 = await openBoxKeys(aliceTeam2.epochs.get(2)!.holder, box.boxId, ownerCt2, box.identity, boxRecords2);
    assert.deepEqual(await openBoxSlot(aliceBox2, 2, after.tid, after.sid, after.slot), after.ck);
    assert.deepEqual(await openBoxSlot(aliceBox2, 1, before.tid, before.sid, before.slot), before.ck);

    // Bob, with everything he ever held: the old deposit still opens for him, the new one does not.
    assert.deepEqual(await openBoxSlot(bobBox, 1, before.tid, before.sid, before.slot), before.ck);
    await rejectsWith(openBoxSlot(bobBox, 2, after.tid, after.sid, after.slot), 'invalid_argument');
    await rejectsWith(openBoxKeys(bobTeam.epochs.get(1)!.holder, box.boxId, ownerCt2, box.identity, boxRecords2), 'authentication_failed');
    await rejectsWith(openTeamKeys(bob.unlocked, team, await sealTeamKeysForMember(alice.certified, made.record.teamId, rotated.bundle), records2), 'authentication_failed');
    // A transfer sent to the team after the removal (to epoch 2) does not open with bob's epoch-1 key either.
    const tid = newId<'TransferId'>();
    const sid = newId<'SlotId'>();
    const teamSlot = await sealTeamSlot(aliceTeam2.current, tid, sid, newSecret<'ClientKey'>());
    await rejectsWith(openTeamSlot(bobTeam, 2, tid, sid, teamSlot), 'invalid_argument');
    await rejectsWith(openTeamSlot(bobTeam, 1, tid, sid, teamSlot), 'authentication_failed');
  });
});
