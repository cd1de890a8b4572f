// Vite builds the web app into dist/: hashed assets only, no inline script or style, nothing fetched from elsewhere.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  // The JSX of the pages is Preact's (no React, no Babel).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // @hpke/common's Node ≤ 18 fallback imports "crypto"; the browser's WebCrypto stands in (see the stub).
  resolve: { alias: { crypto: fileURLToPath(new URL('./src/node-crypto-stub.ts', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Everything as a file under /assets/: a data: URI would need a looser Content-Security-Policy.
    assetsInlineLimit: 0,
    // The preload polyfill is for browsers without modulepreload; every browser Valise supports has it.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    manifest: true,
  },
  worker: { format: 'es' },
});
