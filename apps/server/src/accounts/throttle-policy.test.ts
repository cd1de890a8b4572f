import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lockedUntil, THROTTLE, throttleKeys } from './throttle-policy.js';

test('delays start after the free failures, double, and stop at the cap', () => {
  const now = 1_000_000;
  assert.equal(lockedUntil(0, now), 0);
  assert.equal(lockedUntil(THROTTLE.freeFailures - 1, now), 0);
  assert.equal(lockedUntil(THROTTLE.freeFailures, now), now + 2_000);
  assert.equal(lockedUntil(THROTTLE.freeFailures + 1, now), now + 4_000);
  assert.equal(lockedUntil(THROTTLE.freeFailures + 3, now), now + 16_000);
  assert.equal(lockedUntil(THROTTLE.freeFailures + 50, now), now + THROTTLE.maxDelayMs);
});

test('account keys ignore case; address keys keep the address', () => {
  assert.deepEqual(throttleKeys('Nurse@Example.ORG', '::1'), { account: 'account:nurse@example.org', address: 'address:::1' });
});
