// The locale files: French and English have the same keys, no empty text, the same {placeholders}; every key the
// sources name literally exists; and every server error code has its words.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_STATUS } from '@valise/protocol';

const src = new URL('../../src/', import.meta.url).pathname;
const load = (lang: string) => JSON.parse(readFileSync(join(src, 'i18n', `${lang}.json`), 'utf8')) as Record<string, string>;
const en = load('en');
const fr = load('fr');
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/gu)].map((m) => m[1]).sort();

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/u.test(name)) yield path;
  }
}

describe('locale files', () => {
  it('have the same keys, no empty text and the same placeholders in French and English', () => {
    assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      assert.ok(text.trim() && fr[key]!.trim(), `${key} has words in both`);
      assert.deepEqual(placeholders(fr[key]!), placeholders(text), `${key} has the same placeholders`);
    }
  });

  it('hold every key the sources use, and words for every server error code', () => {
    const used = new Set<string>();
    for (const file of sourceFiles(src)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([a-z0-9_.]+)'/gu)) used.add(m[1]!);
      for (const m of readFileSync(file, 'utf8').matchAll(/\btPlural\('([a-z0-9_.]+)'/gu)) used.add(`${m[1]}_one`).add(`${m[1]}_other`);
    }
    assert.ok(used.size > 100, `the scan found the keys (${used.size})`);
    for (const key of used) assert.ok(key in en, `${key} is in the locale files`);
    for (const code of Object.keys(ERROR_STATUS)) assert.ok(`error.${code}` in en, `error.${code} has words`);
  });
});
