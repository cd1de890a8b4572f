// Tests of the test server helper on every database and blob store combination.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { newBlobKey } from '../blobs/blob-store.js';
import { FsBlobStore } from '../blobs/fs-blob-store.js';
import { S3BlobStore } from '../blobs/s3-blob-store.js';
import { migrationStatus } from '../db/migrate.js';
import { OutboxMailer } from '../mail/outbox-mailer.js';
import { availableDialects } from './databases.js';
import { startTestServer } from './test-server.js';

describe('startTestServer', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));
  const combinations = dialects.flatMap((dialect) => (['fs', 's3'] as const).map((blobs) => ({ dialect, blobs })));

  for (const { dialect, blobs } of combinations) {
    it(`serves over real HTTP with ${dialect} and ${blobs} storage, fully wired`, async () => {
      const server = await startTestServer({ dialect, blobs });
      try {
        assert.equal(server.ctx.database.dialect, dialect);
        assert.ok(server.ctx.blobs instanceof (blobs === 'fs' ? FsBlobStore : S3BlobStore));
        assert.ok(server.ctx.mailer instanceof OutboxMailer);
        assert.equal(server.ctx.config.publicUrl, server.url);
        assert.deepEqual(await migrationStatus(server.ctx.database), [{ name: '001_initial', applied: true }, { name: '002_teams', applied: true }]);

        const ready = await fetch(`${server.url}/readyz`);
        assert.equal(ready.status, 200);

        const key = newBlobKey();
        await server.ctx.blobs.put(key, Readable.from([Buffer.from('ciphertext')]), 10);
        assert.deepEqual(await server.ctx.blobs.stat(key), { size: 10 });
        await server.ctx.audit.append({ actor: 'system', action: 'test.started' });
        assert.equal((await server.ctx.audit.verifyChain()).ok, true);
      } finally {
        await server.close();
      }
      await assert.rejects(fetch(`${server.url}/healthz`));
    });
  }
});
