// Table tests of Range header parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRange } from './byte-range.js';

test('parses single byte ranges and clamps them to the part', () => {
  const cases: [string | undefined, number, ReturnType<typeof parseRange>][] = [
    [undefined, 100, { kind: 'whole' }],
    ['items=0-5', 100, { kind: 'whole' }],
    ['bytes=0-0', 100, { kind: 'range', start: 0, end: 0 }],
    ['bytes=10-19', 100, { kind: 'range', start: 10, end: 19 }],
    ['bytes=90-500', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=40-', 100, { kind: 'range', start: 40, end: 99 }],
    ['bytes=-30', 100, { kind: 'range', start: 70, end: 99 }],
    ['bytes=-300', 100, { kind: 'range', start: 0, end: 99 }],
    ['Bytes= 5-6', 100, { kind: 'range', start: 5, end: 6 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=20-10', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=-', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', 100, { kind: 'unsatisfiable' }],
    ['bytes=abc', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
  ];
  for (const [header, size, expected] of cases) assert.deepEqual(parseRange(header, size), expected, String(header));
});
