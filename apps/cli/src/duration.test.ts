import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.js';

const valid: [string, number][] = [['90s', 90], ['15m', 900], ['12h', 43_200], ['7d', 604_800], ['1d', 86_400], [' 30d ', 2_592_000]];
for (const [text, seconds] of valid) {
  test(`parseDuration(${JSON.stringify(text)}) = ${seconds}`, () => assert.equal(parseDuration(text), seconds));
}

const invalid = ['', '7', 'd', '0d', '07d', '-1d', '1.5h', '7w', '7D', '1d2h', '1 d', '9999999999d'];
for (const text of invalid) {
  test(`parseDuration refuses ${JSON.stringify(text)}`, () => assert.throws(() => parseDuration(text), /is not a duration/));
}

test('formatDuration picks the largest exact unit', () => {
  assert.equal(formatDuration(604_800), '7d');
  assert.equal(formatDuration(5400), '90m');
  assert.equal(formatDuration(7200), '2h');
  assert.equal(formatDuration(61), '61s');
});
