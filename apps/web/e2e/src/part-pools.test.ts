// The part-sealer and part-opener worker pools in Chromium: parts sealed on several workers and opened on several
// others come back byte for byte, and a damaged part is refused. (The app opens parts in a pool only on machines
// with more than two cores; this test runs that path everywhere.)
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { launchChromium } from './kit.js';

const webDir = new URL('../../', import.meta.url).pathname;
const MiB = 1024 * 1024;

describe('part worker pools in Chromium', async () => {
  const { browser, failure } = await launchChromium();
  if (failure) it('Chromium is available', () => assert.fail(failure));
  if (!browser) return;
  let dir: string;
  let server: Server;
  let page: Page;
  before(async () => {
    // The test entry and its workers, bundled like the app (Vite), served from a loopback origin.
    dir = await mkdtemp(join(tmpdir(), 'valise-pools-'));
    await build({
      root: webDir, configFile: false, logLevel: 'warn', worker: { format: 'es' },
      build: { outDir: dir, emptyOutDir: true, target: 'es2022', lib: { entry: join(webDir, 'src/testing/part-pools.entry.ts'), formats: ['es'], fileName: () => 'assets/pools.js' } },
    });
    const files = new Map<string, Buffer>();
    for (const name of await readdir(join(dir, 'assets'))) files.set(`/assets/${name}`, await readFile(join(dir, 'assets', name)));
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (body) res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>pools</title><script type="module" src="/assets/pools.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    page = await (browser as Browser).newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.title === 'pools ready');
  });
  after(async () => {
    await (browser as Browser).close();
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const roundTrip = (size: number, damagePart: number | null) => page.evaluate(
    ([s, d]) => (globalThis as unknown as { roundTrip: (s: number, d: number | null) => Promise<{ same: boolean; parts: number; failure: string | null }> }).roundTrip(s, d),
    [size, damagePart] as const,
  );

  it('parts sealed and opened on several workers come back byte for byte', async () => {
    assert.deepEqual(await roundTrip(20 * MiB + 3, null), { same: true, parts: 3, failure: null });
    assert.deepEqual(await roundTrip(5, null), { same: true, parts: 1, failure: null });
  });

  it('a damaged part is refused as an integrity failure', async () => {
    assert.deepEqual(await roundTrip(20 * MiB + 3, 1), { same: false, parts: 3, failure: 'IntegrityError' });
    assert.deepEqual(await roundTrip(20 * MiB + 3, 0), { same: false, parts: 3, failure: 'IntegrityError' });
  });
});
