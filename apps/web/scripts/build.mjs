// Builds the web app into dist/ (type check, then Vite). `--if-needed` skips the build when nothing it is made
// from changed since the last one: `npm start` and `npm test` call it that way, so a fresh clone gets a build and
// a second start costs nothing.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = join(webDir, '..', '..');
const digestFile = join(webDir, 'dist', '.build-digest');
/** What the bundle is made of: the app's sources and the compiled packages it imports. */
const inputs = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(webDir, p))
  .concat(['packages/crypto/dist', 'packages/protocol/dist', 'packages/client/dist'].map((p) => join(rootDir, p)));

function digestOfInputs() {
  const hash = createHash('sha256');
  const visit = (path) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!name.endsWith('.test.js') && !name.endsWith('.map')) visit(join(path, name));
    } else {
      hash.update(relative(rootDir, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  inputs.forEach(visit);
  return hash.digest('hex');
}

const ifNeeded = process.argv.includes('--if-needed');
const digest = digestOfInputs();
if (ifNeeded && existsSync(digestFile) && readFileSync(digestFile, 'utf8') === digest) process.exit(0);

console.error('Building the web app (apps/web)…');
const tsc = join(rootDir, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(webDir, 'tsconfig.json'), '--noEmit'], { stdio: 'inherit' });
const { build } = await import('vite');
await build({ root: webDir, logLevel: 'warn', configFile: join(webDir, 'vite.config.ts') });
// The save service worker needs a fixed address (/save-sw.js, served uncached): it is built on its own, as one
// classic script, beside the hashed assets.
await build({
  root: webDir,
  logLevel: 'warn',
  configFile: false,
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    lib: { entry: join(webDir, 'src', 'stream-save', 'save.sw.ts'), formats: ['iife'], name: 'valiseSaveWorker', fileName: () => 'save-sw.js' },
  },
});
writeFileSync(digestFile, digest);
console.error('Web app built into apps/web/dist.');
