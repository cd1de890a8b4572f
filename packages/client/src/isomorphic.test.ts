// The client runs in browsers and Workers too: its compiled non-test files must not import Node built-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = dirname(fileURLToPath(import.meta.url));
const builtins = new Set(builtinModules);

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.js') && !entry.name.endsWith('.test.js')) yield path;
  }
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/gu;

test('compiled client sources import no Node built-in and use no Node globals', () => {
  const files = [...sources(dist)];
  assert.ok(files.length >= 10, `expected compiled sources in ${dist}`);
  for (const file of files) {
    const code = readFileSync(file, 'utf8');
    for (const [, spec] of code.matchAll(SPECIFIER)) {
      assert.ok(!spec!.startsWith('node:'), `${file} imports ${spec}`);
      assert.ok(!builtins.has(spec!), `${file} imports the Node built-in ${spec}`);
    }
    for (const global of ['Buffer', 'process', '__dirname', 'require(']) {
      assert.ok(!new RegExp(`(?<![\\w.])${global.replace('(', '\\(')}`, 'u').test(code.replace(/\/\/.*$/gmu, '')), `${file} uses ${global}`);
    }
  }
});
