// The member-key schemas: closed objects, bounded strings and arrays, exact base64url lengths; the new error codes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { ERROR_STATUS, ERROR_TITLES } from './errors.js';
import { schemaBoundsProblems } from './test-support/schema-bounds.js';
import * as schemas from './member-keys.js';

const WRAP = { wrapId: 'AAECAwQFBgcICQoLDA0ODw', kind: 'recovery', argon2: null, credentialId: null, wrapped: 'A'.repeat(139) };

describe('member-key schemas', () => {
  it('are closed and bounded', () => {
    assert.deepEqual(schemaBoundsProblems(schemas, (path) => path.startsWith('AdminMemberKeyList')), []);
  });

  it('hold the exact sizes of the format', () => {
    assert.ok(Value.Check(schemas.UnlockWrap, WRAP));
    assert.ok(!Value.Check(schemas.UnlockWrap, { ...WRAP, wrapped: 'A'.repeat(138) }), '103 bytes');
    assert.ok(!Value.Check(schemas.UnlockWrap, { ...WRAP, wrapped: 'A'.repeat(140) }));
    assert.ok(!Value.Check(schemas.UnlockWrap, { ...WRAP, extra: 1 }));
    assert.ok(!Value.Check(schemas.UnlockWrap, { ...WRAP, kind: 'password' }));
    const argon2 = { m: 65_536, t: 3, p: 4, salt: 'A'.repeat(22) };
    assert.ok(Value.Check(schemas.UnlockWrap, { ...WRAP, kind: 'passphrase', argon2 }));
    assert.ok(!Value.Check(schemas.UnlockWrap, { ...WRAP, kind: 'passphrase', argon2: { ...argon2, salt: 'A'.repeat(21) } }));
    assert.ok(!Value.Check(schemas.UnlockWrap, { ...WRAP, kind: 'passphrase', argon2: { ...argon2, m: 2 ** 32 } }), 'u32');
    assert.ok(Value.Check(schemas.CertifyMemberKeyRequest, { fingerprint: 'A'.repeat(43), certificate: 'A'.repeat(86) }));
    assert.ok(!Value.Check(schemas.CertifyMemberKeyRequest, { fingerprint: 'A'.repeat(43), certificate: 'A'.repeat(85) }));
    const setUp = { record: '{}', bundle: 'AAAA', wraps: [WRAP] };
    assert.ok(Value.Check(schemas.SetUpMemberKeysRequest, setUp));
    assert.ok(!Value.Check(schemas.SetUpMemberKeysRequest, { ...setUp, wraps: [] }));
    assert.ok(!Value.Check(schemas.SetUpMemberKeysRequest, { ...setUp, wraps: Array(9).fill(WRAP) }));
    assert.ok(!Value.Check(schemas.SetUpMemberKeysRequest, { ...setUp, bundle: 'A'.repeat(87_383) }), 'over 64 KiB');
    assert.ok(Value.Check(schemas.SetUpMemberKeysRequest, { ...setUp, bundle: 'A'.repeat(87_382) }));
  });

  it('have error codes with statuses and titles', () => {
    const expected = {
      member_keys_exist: 409, member_keys_missing: 404, member_key_unavailable: 404, member_key_changed: 409, key_record_invalid: 400,
      wrap_invalid: 400, last_unlock_method: 409, certificate_invalid: 422, org_key_not_configured: 409,
    };
    for (const [code, status] of Object.entries(expected)) {
      assert.equal(ERROR_STATUS[code as keyof typeof ERROR_STATUS], status, code);
      assert.ok(ERROR_TITLES[code as keyof typeof ERROR_TITLES].length > 0, code);
    }
  });
});
