// The web app measured in headless Chromium (Debian's): encryption + upload and download + decryption of one file
// with the engine the app's workers run, against a real server process; and the load time of the send page.
// The transfer runs in a plain Chromium (no automation attached: DevTools' network instrumentation slows uploads
// several times); the page-load figure uses playwright-core.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValiseApi } from '@valise/client';
import { inviteMember } from '@valise/server';
import { createDomain, startTestServer, totpCodeAt } from '@valise/server/testing';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { freePort } from './measure.mjs';
import { startValiseBench } from './valise.mjs';

const root = new URL('..', import.meta.url).pathname;
const webDir = join(root, 'apps/web');
export const CHROMIUM = process.env.VALISE_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function chromiumAvailable() {
  return existsSync(CHROMIUM);
}

/** MiB/s of upload (encrypt + send) and download (fetch + verify + decrypt) of one `sizeMiB` file. */
export async function measureWebTransfer({ sizeMiB }) {
  const work = mkdtempSync(join(tmpdir(), 'valise-webbench-'));
  const site = join(work, 'site');
  await build({
    root: webDir, configFile: false, logLevel: 'warn',
    // The page script at /assets/bench.js, its part-sealer workers beside it under /assets/ (as in the app).
    worker: { format: 'es' },
    build: { outDir: site, emptyOutDir: true, target: 'es2022', lib: { entry: join(webDir, 'src/testing/bench.entry.ts'), formats: ['es'], fileName: () => 'assets/bench.js' } },
  });
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>bench</title><script type="module" src="/assets/bench.js"></script>');
  const valise = await startValiseBench({ sizeMiB: 1, env: { VALISE_WEB_DIR: site } });
  const debugPort = await freePort();
  const params = encodeURIComponent(JSON.stringify({ token: valise.member.token, email: valise.member.email, sizeMiB }));
  const browser = spawn(CHROMIUM, [...ARGS, `--remote-debugging-port=${debugPort}`, `--user-data-dir=${join(work, 'profile')}`, `${valise.url}/#${params}`], { stdio: 'ignore' });
  try {
    const title = await pollTitle(debugPort, 30 * 60_000);
    if (!title.startsWith('RESULT:')) throw new Error(`the bench page failed: ${title}`);
    return JSON.parse(unescapeHtml(title.slice('RESULT:'.length)));
  } finally {
    browser.kill('SIGKILL');
    await valise.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Milliseconds from navigation to the send form's heading, cold cache, signed in (median of `runs`). */
export async function measureSendPageLoad({ runs = 5 } = {}) {
  const server = await startTestServer({ domain: createDomain });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS.slice(1) });
  try {
    const email = 'bench.web@hospital.example';
    const { enrollmentLink } = await inviteMember(server.ctx, email, { admin: false });
    const token = new URL(enrollmentLink).hash.slice(1);
    const api = new ValiseApi({ serverUrl: server.url });
    const { totpSecret } = await api.enrollStart({ token });
    const step = Math.floor(Date.now() / 30_000);
    await api.enrollComplete({ token, password: 'benchmark passphrase', totpCode: totpCodeAt(totpSecret, (step - 1) * 30_000) });
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ email, password: 'benchmark passphrase', totpCode: totpCodeAt(totpSecret, step * 30_000), client: 'web' }),
    });
    const [cookie] = login.headers.getSetCookie();
    if (!login.ok || !cookie) throw new Error(`bench sign-in failed: ${login.status}`);
    const [name, value] = cookie.split(';')[0].split('=');
    const times = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      await context.addCookies([{ name, value, url: server.url }]);
      const page = await context.newPage();
      const start = Date.now();
      await page.goto(`${server.url}/send`);
      await page.getByRole('heading', { level: 1, name: 'Send files' }).waitFor();
      times.push(Date.now() - start);
      await context.close();
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  } finally {
    await browser.close();
    await server.close();
  }
}

/** /json/list gives titles HTML-escaped. */
function unescapeHtml(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

async function pollTitle(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      const done = targets.find((t) => t.type === 'page' && /^(RESULT|FAILED):/.test(t.title));
      if (done) return done.title;
    } catch { /* Chromium not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the bench page did not finish in time');
}

