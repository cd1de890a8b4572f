import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSecret, sealSecret } from './secret-box.js';

test('a sealed secret opens only with the same key, purpose and owner', () => {
  const key = new Uint8Array(randomBytes(32));
  const secret = new Uint8Array(randomBytes(32));
  const sealed = sealSecret(key, 'server-share', 'transfer-a', secret);
  assert.deepEqual(openSecret(key, 'server-share', 'transfer-a', sealed), secret);
  assert.throws(() => openSecret(key, 'server-share', 'transfer-b', sealed));
  assert.throws(() => openSecret(key, 'totp', 'transfer-a', sealed));
  assert.throws(() => openSecret(new Uint8Array(randomBytes(32)), 'server-share', 'transfer-a', sealed));
  const flipped = sealed.slice();
  flipped[20]! ^= 1;
  assert.throws(() => openSecret(key, 'server-share', 'transfer-a', flipped));
  assert.notDeepEqual(sealSecret(key, 'server-share', 'transfer-a', secret), sealed, 'nonces are random');
});
