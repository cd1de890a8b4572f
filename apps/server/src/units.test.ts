// Tests of duration and size parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

describe('durations', () => {
  it('parses s, m, h and d', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('12h'), 43_200_000);
    assert.equal(parseDuration('30d'), 2_592_000_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '7', '7 d', '1.5d', '-1d', '7w', 'd', '7D', '9999999999999d']) assert.equal(parseDuration(bad), null, bad);
  });

  it('formats the shortest exact form', () => {
    assert.equal(formatDuration(86_400_000), '1d');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(7_200_000), '2h');
    assert.equal(formatDuration(1_500), '1500ms');
  });
});

describe('sizes', () => {
  it('parses bytes, binary and decimal units', () => {
    assert.equal(parseSize('1048576'), 1_048_576);
    assert.equal(parseSize('64KiB'), 65_536);
    assert.equal(parseSize('100 GiB'), 100 * 2 ** 30);
    assert.equal(parseSize('5MB'), 5_000_000);
    assert.equal(parseSize('2tib'), 2 * 2 ** 40);
    assert.equal(parseSize('10B'), 10);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'GiB', '1.5GiB', '-1', '10 XB', '99999999 TiB']) assert.equal(parseSize(bad), null, bad);
  });

  it('formats the shortest exact binary form', () => {
    assert.equal(formatSize(2 ** 30), '1GiB');
    assert.equal(formatSize(1000), '1000B');
    assert.equal(formatSize(3 * 2 ** 20), '3MiB');
  });
});
