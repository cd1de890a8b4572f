// Checks that CONFIG.md documents every variable and matches what config-doc renders.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { CONFIG_VARIABLES } from './config.js';
import { renderConfigDoc } from './config-doc.js';

// dist/config-doc.test.js → apps/server/CONFIG.md
const CONFIG_MD = new URL('../CONFIG.md', import.meta.url);

describe('CONFIG.md', () => {
  it('lists every variable with its default and meaning', async () => {
    const doc = await readFile(CONFIG_MD, 'utf8');
    for (const variable of CONFIG_VARIABLES) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${variable.name}\` |`));
      assert.ok(row, `${variable.name} is missing from CONFIG.md`);
      if (variable.default !== null) assert.ok(row.includes(`\`${variable.default}\``), `${variable.name}: default`);
      assert.ok(row.includes(variable.meaning.slice(0, 30).replaceAll('|', '\\|')), `${variable.name}: meaning`);
    }
  });

  it('is exactly what config-doc renders (regenerate: node apps/server/dist/config-doc.js > apps/server/CONFIG.md)', async () => {
    assert.equal(await readFile(CONFIG_MD, 'utf8'), renderConfigDoc());
  });
});
