import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCliConfig, serverEnvironment } from './config.js';

test('VALISE_SEAL_THREADS takes 0 to 8; anything else leaves the choice to the core count; the server never sees it', () => {
  const threads = (value: string | undefined) => loadCliConfig({ VALISE_CONFIG_DIR: '/tmp/v', VALISE_SEAL_THREADS: value }).sealThreads;
  assert.deepEqual(['0', '2', '8'].map(threads), [0, 2, 8]);
  assert.deepEqual([undefined, '', '9', '-1', '2.5', 'two', ' 2'].map(threads), Array(7).fill(undefined));
  assert.deepEqual(serverEnvironment({ VALISE_SEAL_THREADS: '2', VALISE_PORT: '8080' }), { VALISE_PORT: '8080' });
});
