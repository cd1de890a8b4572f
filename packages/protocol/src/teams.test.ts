// The team schemas (docs/format.md §13.5): closed objects, bounded strings and arrays, exact sizes; the transfer, box
// and inbox fields teams add; the new error codes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { CreateBoxRequest } from './drop-boxes.js';
import { ERROR_STATUS, ERROR_TITLES } from './errors.js';
import { schemaBoundsProblems } from './test-support/schema-bounds.js';
import { MAX_TRANSFER_TEAMS } from './limits.js';
import * as schemas from './teams.js';
import { CreateTransferRequest, FinalizeRequest } from './transfers.js';

const ID = 'AAECAwQFBgcICQoLDA0ODw';
const KEY = { record: '{}', signature: 'A'.repeat(86) };

describe('team schemas', () => {
  it('are closed and bounded', () => {
    assert.deepEqual(schemaBoundsProblems(schemas), []);
  });

  it('hold the shapes of the API', () => {
    assert.ok(Value.Check(schemas.CreateTeamRequest, { record: '{}', key: KEY, bundle: 'AAAA' }));
    assert.ok(!Value.Check(schemas.CreateTeamRequest, { record: '{}', key: { ...KEY, signature: 'A'.repeat(85) }, bundle: 'AAAA' }));
    assert.ok(!Value.Check(schemas.CreateTeamRequest, { record: '{}', key: KEY, bundle: 'A'.repeat(87_383) }), 'over 64 KiB');
    assert.ok(Value.Check(schemas.AddTeamMemberRequest, { memberId: ID, copy: { epoch: 1, bundle: 'AAAA' } }));
    assert.ok(!Value.Check(schemas.AddTeamMemberRequest, { memberId: ID, copy: { epoch: 0, bundle: 'AAAA' } }));
    const remove = { key: KEY, copies: [{ memberId: ID, bundle: 'AAAA' }], boxes: [{ boxId: ID, key: KEY, sealed: 'AAAA' }] };
    assert.ok(Value.Check(schemas.RemoveTeamMemberRequest, remove));
    assert.ok(Value.Check(schemas.RemoveTeamMemberRequest, { ...remove, boxes: [] }), 'a team without boxes');
    assert.ok(!Value.Check(schemas.RemoveTeamMemberRequest, { ...remove, copies: undefined }));
    assert.ok(!Value.Check(schemas.RemoveTeamMemberRequest, { ...remove, extra: 1 }));
  });

  it('add teams to transfers, boxes and the error codes', () => {
    const files = [{ ciphertextSize: 100 }];
    assert.ok(Value.Check(CreateTransferRequest, { files, recipients: [], teams: [ID] }), 'a transfer to a team only');
    assert.ok(!Value.Check(CreateTransferRequest, { files, recipients: [], teams: Array(MAX_TRANSFER_TEAMS + 1).fill(ID) }));
    const slot = { teamId: ID, slotId: ID, epoch: 1, wrapped: 'A'.repeat(107) };
    assert.ok(Value.Check(FinalizeRequest, { manifest: 'AAAA', teamSlots: [slot] }));
    assert.ok(!Value.Check(FinalizeRequest, { manifest: 'AAAA', teamSlots: [{ ...slot, epoch: 0 }] }));
    const box = {
      boxId: ID, identity: { sig: 'Ed25519', publicKey: 'A'.repeat(43) }, key: KEY, ownerKeys: { fingerprint: 'A'.repeat(43), sealed: 'AAAA' },
      expiresInSeconds: 3600, maxDeposits: 1, maxDepositBytes: 1, allowedDomains: [],
    };
    assert.ok(Value.Check(CreateBoxRequest, box));
    assert.ok(Value.Check(CreateBoxRequest, { ...box, ownerTeamId: ID }));
    const expected = {
      team_record_invalid: 400, team_key_invalid: 400, team_key_changed: 409, team_unavailable: 404, team_name_taken: 409, team_slot_invalid: 400,
      team_rekey_incomplete: 422,
    };
    for (const [code, status] of Object.entries(expected)) {
      assert.equal(ERROR_STATUS[code as keyof typeof ERROR_STATUS], status, code);
      assert.ok(ERROR_TITLES[code as keyof typeof ERROR_TITLES].length > 0, code);
    }
  });
});
