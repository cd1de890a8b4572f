// Tests of atomic file writes: whole replacement, mode, no leftovers.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFileAtomic } from './atomic-file.js';

describe('writeFileAtomic', () => {
  it('replaces a file whole, with the requested mode, leaving no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'valise-atomic-'));
    try {
      const path = join(dir, 'state.json');
      await writeFileAtomic(path, 'first');
      await writeFileAtomic(path, 'second', 0o640);
      assert.equal(await readFile(path, 'utf8'), 'second');
      assert.equal((await stat(path)).mode & 0o777, 0o640);
      assert.deepEqual(await readdir(dir), ['state.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves nothing behind when the folder does not exist', async () => {
    await assert.rejects(writeFileAtomic(join(tmpdir(), 'valise-no-such-dir', 'x'), 'y'), /ENOENT/);
  });
});
