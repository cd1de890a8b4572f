// Runs every compiled test file (`dist/**/*.test.js`) of every workspace with Node's own test runner.
// Usage: node scripts/test.mjs [filter...]   (a filter keeps files whose path contains it)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
// apps/web/dist is the browser build; the web app's tests (real Chromium) compile to apps/web/e2e/dist.
const workspaces = ['packages', 'apps'].flatMap((top) =>
  readdirSync(join(root, top)).map((name) => join(root, top, name, 'dist')),
).concat(join(root, 'apps', 'web', 'e2e', 'dist'));

function* testFiles(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* testFiles(path);
    else if (name.endsWith('.test.js')) yield path;
  }
}

const filters = process.argv.slice(2);
const files = workspaces.flatMap((dir) => [...testFiles(dir)])
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, [
  '--enable-source-maps', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files,
], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
