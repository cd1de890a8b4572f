import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import { newTotpSecret, totpCodeAt, verifyTotp } from './totp.js';

// RFC 6238 Appendix B: 8-digit codes; the seed is "12345678901234567890" repeated to the hash's key size.
const seeds = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;
const rfc6238: [number, string, keyof typeof seeds][] = [
  [59, '94287082', 'SHA1'], [59, '46119246', 'SHA256'], [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'], [1111111109, '68084774', 'SHA256'], [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'], [1111111111, '67062674', 'SHA256'], [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'], [1234567890, '91819424', 'SHA256'], [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'], [2000000000, '90698825', 'SHA256'], [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'], [20000000000, '77737706', 'SHA256'], [20000000000, '47863826', 'SHA512'],
];

test('the TOTP library reproduces all 18 RFC 6238 Appendix B vectors', () => {
  for (const [seconds, expected, algorithm] of rfc6238) {
    const code = TOTP.generate({
      secret: Secret.fromLatin1(seeds[algorithm]), algorithm, digits: 8, period: 30, timestamp: seconds * 1000,
    });
    assert.equal(code, expected, `T=${seconds} ${algorithm}`);
  }
});

test('a code verifies within one step of drift, and not beyond', () => {
  const { secretBase32 } = newTotpSecret('a@example.org');
  const now = 1_700_000_000_000;
  assert.notEqual(verifyTotp(secretBase32, totpCodeAt(secretBase32, now), now, null), null);
  assert.notEqual(verifyTotp(secretBase32, totpCodeAt(secretBase32, now - 30_000), now, null), null);
  assert.notEqual(verifyTotp(secretBase32, totpCodeAt(secretBase32, now + 30_000), now, null), null);
  assert.equal(verifyTotp(secretBase32, totpCodeAt(secretBase32, now - 90_000), now, null), null);
  assert.equal(verifyTotp(secretBase32, 'abcdef', now, null), null);
});

test('a used step cannot be replayed', () => {
  const { secretBase32 } = newTotpSecret('a@example.org');
  const now = 1_700_000_000_000;
  const step = verifyTotp(secretBase32, totpCodeAt(secretBase32, now), now, null);
  assert.ok(step !== null);
  assert.equal(verifyTotp(secretBase32, totpCodeAt(secretBase32, now), now, step), null);
  assert.equal(verifyTotp(secretBase32, totpCodeAt(secretBase32, now + 30_000), now + 30_000, step), step + 1);
});

test('the otpauth URI names the issuer and the account and carries a 160-bit secret', () => {
  const { secretBase32, otpauthUri } = newTotpSecret('nurse@hospital.example');
  assert.equal(secretBase32.length, 32);
  assert.match(otpauthUri, /^otpauth:\/\/totp\/Valise:nurse%40hospital\.example\?/);
  assert.match(otpauthUri, new RegExp(`secret=${secretBase32}`));
});
