// Guard: the compiled library (every non-test module in dist/) runs unchanged in browsers, Workers and Node.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';

const dist = new URL('../', import.meta.url);
// Library modules: every compiled .js except tests and the Node-only test helpers.
const libraryFiles = (readdirSync(dist, { recursive: true }) as string[])
  .map((f) => f.split('\\').join('/'))
  .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js') && !f.startsWith('test-support/') && f !== 'conformance/node-reference.js')
  .sort();

// Node-only or DOM-only globals: the package must use only what WebCrypto-capable runtimes share.
const FORBIDDEN = [
  'process', 'Buffer', 'require', 'module', '__dirname', '__filename', 'global', 'setImmediate',
  'window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'XMLHttpRequest', 'self',
];

/** Drops comments so that prose in them ("the process", "a buffer") is not mistaken for code. */
/** canonicalize: RFC 8785; @hpke/core: RFC 9180 over WebCrypto; hash-wasm: Argon2id (WebCrypto has none). */
const RUNTIME_DEPENDENCIES = new Set(['canonicalize', '@hpke/core', 'hash-wasm']);

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

it(`the compiled library modules import no node: module and touch no Node/DOM-only global`, (t) => {
  assert.ok(libraryFiles.includes('index.js') && libraryFiles.length > 15);
  t.diagnostic(`${libraryFiles.length} modules scanned`);
  for (const file of libraryFiles) {
    const code = stripComments(readFileSync(new URL(file, dist), 'utf8'));
    assert.doesNotMatch(code, /node:/, `${file} mentions node:`);
    const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const s of specifiers) {
      // Relative library modules and the declared runtime dependencies only (each browser-safe: see package.json).
      const relative = /^\.\.?\/([a-z0-9-]+\/)*[a-z0-9-]+\.js$/.test(s) && !s.includes('test-support');
      assert.ok(relative || RUNTIME_DEPENDENCIES.has(s), `${file} imports ${s}`);
    }
    for (const name of FORBIDDEN) {
      assert.doesNotMatch(code, new RegExp(`(?<![.\\w$'"])${name}(?![\\w$])`), `${file} uses ${name}`);
      assert.doesNotMatch(code, new RegExp(`globalThis\\s*(\\.\\s*|\\[\\s*['"\`])${name}(?![\\w$])`), `${file} uses globalThis.${name}`);
    }
  }
});
