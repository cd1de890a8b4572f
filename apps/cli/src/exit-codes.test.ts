import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, IntegrityError, LinkError } from '@valise/client';
import { CryptoError } from '@valise/crypto';
import { type ErrorCode, ERROR_STATUS } from '@valise/protocol';
import { CliError, EXIT, InterruptedError, exitCodeFor } from './exit-codes.js';
import { describeError } from './messages.js';

const api = (code: ErrorCode | 'network_error', status = code === 'network_error' ? 0 : ERROR_STATUS[code]) =>
  new ApiError({ status, code, title: 'server words' });

const table: [name: string, error: unknown, code: number][] = [
  ['usage', new CliError(EXIT.usage, 'x'), 2],
  ['bad link', new LinkError('link_incomplete', 'the link is incomplete: the part after # is missing'), 2],
  ['policy refuses expiry', api('expiry_out_of_range'), 2],
  ['not signed in', api('unauthenticated'), 3],
  ['wrong password', api('invalid_credentials'), 3],
  ['wrong code', api('code_invalid'), 3],
  ['bad proof', api('link_proof_invalid'), 3],
  ['not found', api('not_found'), 4],
  ['link unavailable', api('link_unavailable'), 4],
  ['expired', api('transfer_expired'), 4],
  ['exhausted', api('transfer_exhausted'), 4],
  ['revoked', api('transfer_revoked'), 4],
  ['tampered part', new IntegrityError('part_hash_mismatch', 'x'), 5],
  ['crypto failure', new CryptoError('authentication_failed', 'x'), 5],
  ['network', api('network_error'), 6],
  ['server down', api('unavailable'), 6],
  ['proxy 502', new ApiError({ status: 502, code: 'unexpected_response', title: 'Bad gateway' }), 6],
  ['rate limited', api('rate_limited'), 7],
  ['too many codes', api('too_many_attempts'), 7],
  ['Ctrl-C', new InterruptedError(), 130],
  ['bug', new TypeError('oops'), 1],
  ['conflict', api('conflict'), 1],
];

for (const [name, error, code] of table) {
  test(`exit code ${code} for ${name}`, () => assert.equal(exitCodeFor(error), code));
}

test('every API error code maps to a documented exit code and a message of our own', () => {
  for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
    assert.ok([1, 2, 3, 4, 5, 6, 7].includes(exitCodeFor(api(code))), code);
    const message = describeError(api(code));
    assert.ok(message.length > 0 && !message.includes('server words'), `${code}: ${message}`);
  }
});

test('messages never echo control characters from the server', () => {
  const e = new ApiError({ status: 400, code: 'validation_failed', title: 't', detail: 'bad \u001b[2J field\u202e' });
  assert.equal(describeError(e), 'the request is not valid: bad [2J field');
});
