import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, SpeedMeter } from './progress.js';

test('speed is measured from the start, so a one-step transfer still shows its speed', () => {
  const meter = new SpeedMeter();
  meter.add(1_000, 0);
  assert.equal(meter.bytesPerSecond, 0, 'one sample: no speed yet');
  meter.add(1_500, 3 * 1024 * 1024);
  assert.equal(meter.bytesPerSecond, 6 * 1024 * 1024);
});

test('the speed follows a sliding window, so a stall shows quickly', () => {
  const meter = new SpeedMeter(5_000);
  meter.add(0, 0);
  meter.add(10_000, 100 * 1024 * 1024);
  meter.add(15_000, 100 * 1024 * 1024); // nothing moved for 5 s
  meter.add(16_000, 100 * 1024 * 1024);
  assert.equal(meter.bytesPerSecond, 0);
});

test('sizes read like a person writes them', () => {
  assert.equal(formatBytes(12), '12 B');
  assert.equal(formatBytes(820 * 1024), '820 KiB');
  assert.equal(formatBytes(1.5 * 1024 * 1024), '1.5 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
});
