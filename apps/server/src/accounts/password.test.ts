import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argon2idEncodedForTest, checkPasswordPolicy, hashPassword, verifyPassword } from './password.js';

test('Argon2id reproduces the phc-winner-argon2 reference vector', async () => {
  const encoded = await argon2idEncodedForTest('password', new TextEncoder().encode('somesalt'), {
    memoryKiB: 65536, iterations: 2, parallelism: 1,
  });
  assert.equal(encoded, '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc');
});

test('a hash verifies its password and no other, and salts differ', async () => {
  const a = await hashPassword('correct horse battery staple');
  const b = await hashPassword('correct horse battery staple');
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('correct horse battery staple', a), true);
  assert.equal(await verifyPassword('correct horse battery stapl', a), false);
});

test('the password policy refuses short, e-mail-equal and single-character passwords', () => {
  assert.equal(checkPasswordPolicy('short', 'a@b.example'), 'too_short');
  assert.equal(checkPasswordPolicy('elevenchars', 'a@b.example'), 'too_short');
  assert.equal(checkPasswordPolicy('twelve chars', 'a@b.example'), null);
  assert.equal(checkPasswordPolicy('Nurse@Hospital.example', 'nurse@hospital.example'), 'same_as_email');
  assert.equal(checkPasswordPolicy('aaaaaaaaaaaaaaa', 'a@b.example'), 'one_repeated_character');
  // Length counts characters, not UTF-16 units: 12 emoji are 12 characters.
  assert.equal(checkPasswordPolicy('🔒'.repeat(11), 'a@b.example'), 'too_short');
});
