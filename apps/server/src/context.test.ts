// Tests of the wired server context: embedded defaults, restarts, refusal on an exposed keystore.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './config.js';
import { createServerContext } from './context.js';
import { migrationStatus } from './db/migrate.js';
import { createLogger } from './logger.js';
import { ManualClock } from './testing/manual-clock.js';

describe('createServerContext', () => {
  it('wires the embedded defaults in the data folder, and the same keys on every start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'valise-context-'));
    const logger = createLogger({ level: 'silent' });
    try {
      const config = loadConfig({ VALISE_DATA_DIR: join(dir, 'data') });
      const clock = new ManualClock(1_000);
      const ctx = await createServerContext(config, { logger, clock });
      assert.equal(ctx.database.dialect, 'sqlite');
      assert.equal(ctx.clock, clock);
      assert.equal(ctx.lifecycle.draining, false);
      assert.equal((await stat(join(dir, 'data'))).mode & 0o777, 0o700);
      assert.equal((await ctx.audit.append({ action: 'x' })).at, 1_000);
      await ctx.mailer.send({ to: 'a@b.example', subject: 's', text: 't' });
      assert.ok((await stat(join(dir, 'data', 'outbox'))).isDirectory());
      await ctx.close();
      await ctx.close(); // twice is fine

      // An admin command on the same host: same keys, schema already there.
      const again = await createServerContext(config, { logger, migrate: false });
      assert.deepEqual(again.keystore, ctx.keystore);
      assert.deepEqual(await migrationStatus(again.database), [{ name: '001_initial', applied: true }, { name: '002_teams', applied: true }]);
      assert.equal((await again.audit.verifyChain()).ok, true);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a keystore others can read, before touching the database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'valise-context-'));
    const logger = createLogger({ level: 'silent' });
    try {
      const config = loadConfig({ VALISE_DATA_DIR: dir });
      await (await createServerContext(config, { logger })).close();
      const { chmod } = await import('node:fs/promises');
      await chmod(join(dir, 'keystore.json'), 0o644);
      await assert.rejects(createServerContext(config, { logger }), /accessible to other users/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
