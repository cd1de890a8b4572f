import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOtherSchemaVanished } from './migrate.js';

const vanished = (schema: string) => Object.assign(new Error(`schema "${schema}" does not exist`), { code: '3F000' });

test('a migration retries only when a schema other than ours vanished under it (PostgreSQL 3F000)', () => {
  assert.equal(isOtherSchemaVanished(vanished('valise_test_other'), 'valise_test_mine'), true);
  assert.equal(isOtherSchemaVanished(vanished('valise_test_mine'), 'valise_test_mine'), false, 'our own schema missing is a real failure');
  assert.equal(isOtherSchemaVanished(new Error('syntax error'), 'valise_test_mine'), false);
  assert.equal(isOtherSchemaVanished(vanished('valise_test_other'), undefined), false, 'SQLite never retries');
  assert.equal(isOtherSchemaVanished(undefined, 'valise_test_mine'), false);
});
