// The web app's test kit: Debian's Chromium driven by playwright-core, the real server (with its web build) on a
// loopback port, enrolled members, the outbox for e-mailed codes, a log of every request a page makes, screenshots.
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { after, before, it } from 'node:test';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ValiseApi, uploadTransfer } from '@valise/client';
import { inviteMember } from '@valise/server';
import { type Domain, OutboxReader, type TestServer, type TestServerOptions, createDomain, startTestServer, totpCodeAt } from '@valise/server/testing';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.VALISE_CHROMIUM ?? '/usr/bin/chromium';
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ARTIFACTS = new URL('../../../../test-artifacts/web/', import.meta.url).pathname;
export const PASSWORD = 'correct horse battery staple';

let announced = false;

const LAUNCH_OPTIONS = {
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};

/**
 * Chromium, or why not. Outside CI a machine without Chromium runs no browser test and says so in one plain line
 * (README: `apt-get install chromium`); in CI a missing Chromium is a failure, never a quiet skip.
 */
export async function launchChromium(): Promise<{ browser: Browser | null; failure: string | null }> {
  try {
    await access(CHROMIUM_PATH);
  } catch {
    const why = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium package, or set VALISE_CHROMIUM)`;
    if (IN_CI) return { browser: null, failure: why };
    if (!announced) console.log(`# web app browser tests NOT RUN: ${why}`);
    announced = true;
    return { browser: null, failure: null };
  }
  const browser = await chromium.launch(LAUNCH_OPTIONS);
  return { browser, failure: null };
}

export interface WebMember {
  readonly email: string;
  readonly password: string;
  readonly totpSecret: string;
}

export class WebServer {
  readonly server: TestServer;
  readonly outbox: OutboxReader;
  /** The last TOTP step used per member: each sign-in needs a step not used before (RFC 6238 replay rule). */
  readonly #steps = new Map<string, number>();

  /** The server's services and jobs (to run a purge now, say). */
  readonly domain: Domain;

  private constructor(server: TestServer, domain: Domain) {
    this.server = server;
    this.domain = domain;
    const { mail } = server.ctx.config;
    if (mail.kind !== 'outbox') throw new Error('the web tests read codes from the outbox');
    this.outbox = new OutboxReader(mail.dir);
  }

  static async start(options: Omit<TestServerOptions, 'domain'> = {}): Promise<WebServer> {
    let domain: Domain | undefined;
    const server = await startTestServer({ ...options, domain: (ctx) => (domain = createDomain(ctx)) });
    return new WebServer(server, domain!);
  }

  /** The server's public URL (its listening address unless VALISE_PUBLIC_URL names another, e.g. localhost for WebAuthn). */
  get url(): string {
    return this.server.ctx.config.publicUrl;
  }

  /** Invites and enrolls a member (an administrator if told) through the API, as the enrollment page would. */
  async member(email = `m-${Math.random().toString(36).slice(2, 8)}@hospital.example`, options: { admin?: boolean } = {}): Promise<WebMember> {
    const { enrollmentLink } = await inviteMember(this.server.ctx, email, { admin: options.admin ?? false });
    const token = new URL(enrollmentLink).hash.slice(1);
    const api = new ValiseApi({ serverUrl: this.url });
    const { totpSecret } = await api.enrollStart({ token });
    // Enrolled with the previous step's code (within the accepted drift), which leaves two unused steps in the
    // window for this member's next sign-ins (the page, and the API).
    const previous = Math.floor(this.server.ctx.clock.now() / 30_000) - 1;
    await api.enrollComplete({ token, password: PASSWORD, totpCode: totpCodeAt(totpSecret, previous * 30_000) });
    this.#steps.set(email, previous);
    return { email, password: PASSWORD, totpSecret };
  }

  /** A TOTP code for a step this member has not used yet (the server accepts one step of drift). */
  nextTotp(member: WebMember): string {
    const now = Math.floor(this.server.ctx.clock.now() / 30_000);
    const step = Math.max(now, (this.#steps.get(member.email) ?? now - 1) + 1);
    assert.ok(step <= now + 1, 'no unused TOTP step left in the window: use another member');
    this.#steps.set(member.email, step);
    return totpCodeAt(member.totpSecret, step * 30_000);
  }

  /** An API client signed in as this member, as the CLI would be (for setting up transfers quickly). */
  async apiFor(member: WebMember): Promise<ValiseApi> {
    const api = new ValiseApi({ serverUrl: this.url });
    const { token } = await api.login({ email: member.email, password: member.password, totpCode: this.nextTotp(member), client: 'cli' });
    return api.withToken(token);
  }

  /** Sends small files through the API with the real engine; returns the link. */
  async sendWithApi(api: ValiseApi, options: { recipients: string[]; expiresInSeconds?: number; maxDownloads?: number; message?: string }): Promise<string> {
    const bytes = new TextEncoder().encode('compte rendu\n');
    const file = { name: 'compte-rendu.txt', type: 'text/plain', size: bytes.length, readRange: async (a: number, b: number) => bytes.slice(a, b) };
    const sent = await uploadTransfer({ api, files: [file], ...options });
    return sent.link;
  }

  /** Opens a link as an outside recipient: their address, then the code from the outbox; the files are then listed. */
  async openAsRecipient(page: Page, link: string, email = 'rita@lab.example'): Promise<void> {
    await page.goto(link);
    await page.getByLabel('Your e-mail address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('Code from the e-mail').fill(await this.outbox.nextCode(email));
    await page.getByRole('button', { name: 'Open' }).click();
  }

  /** Flips one byte near the end of a stored part of a transfer (filesystem storage), as an attacker on the server could. */
  async alterStoredPart(transferId: string, which: 'first' | 'last' = 'first'): Promise<void> {
    const part = await this.server.ctx.database.db.selectFrom('parts').select('blob_key').where('transfer_id', '=', transferId)
      .orderBy('idx', which === 'first' ? 'asc' : 'desc').executeTakeFirstOrThrow();
    const { blobs } = this.server.ctx.config;
    if (blobs.kind !== 'fs') throw new Error('the web tests store files on the filesystem');
    const path = join(blobs.dir, part.blob_key.slice(0, 2), part.blob_key);
    const stored = await readFile(path);
    stored[stored.length - 20]! ^= 0x01;
    await writeFile(path, stored);
  }

  /** Signs in through the sign-in page; the page then shows the send form. */
  async signIn(page: Page, member: WebMember): Promise<void> {
    await page.goto(`${this.url}/signin`);
    await page.getByLabel(/^(E-mail address|Adresse e-mail)$/u).fill(member.email);
    await page.getByLabel(/^(Password|Mot de passe)$/u).fill(member.password);
    await page.getByLabel(/^(Authenticator code|Code d’authentification)/u).fill(this.nextTotp(member));
    await page.getByRole('button', { name: /^(Sign in|Se connecter)$/u }).click();
    await page.getByRole('heading', { level: 1, name: /^(Send files|Envoyer des fichiers)$/u }).waitFor();
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

export interface BrowserSuite {
  readonly browser: Browser;
  /** Started before the suite's first test. */
  web: WebServer;
  /** A scratch folder, removed after the suite. */
  dir: string;
}

/**
 * The common frame of a browser test suite, to call inside `describe`: Chromium (or the plain line / CI failure
 * of launchChromium), then before the tests a real server and a scratch folder, all closed after them.
 * Returns null when there is no Chromium to run the suite with.
 */
export async function browserSuite(options: Omit<TestServerOptions, 'domain'> = {}): Promise<BrowserSuite | null> {
  const { browser, failure } = await launchChromium();
  if (failure) it('Chromium is available', () => assert.fail(failure));
  if (!browser) return null;
  const suite = { browser } as BrowserSuite;
  before(async () => {
    suite.web = await WebServer.start(options);
    suite.dir = await mkdtemp(join(tmpdir(), 'valise-web-'));
  });
  after(async () => {
    await suite.web?.close();
    await browser.close();
    if (suite.dir) await rm(suite.dir, { recursive: true, force: true });
  });
  return suite;
}

/** A fresh browser context (its own cookies and storage: another person), in English unless told. */
export async function newContext(browser: Browser, locale = 'en-GB', options: Pick<BrowserContextOptions, 'bypassCSP' | 'serviceWorkers'> = {}): Promise<BrowserContext> {
  return browser.newContext({ locale, acceptDownloads: true, viewport: { width: 1100, height: 900 }, ...options });
}

/**
 * A context on a profile of its own on disk, as a person's everyday browser is (new contexts are private windows,
 * which keep Blobs in memory only). Closed, with its browser, by closing the context.
 */
export async function persistentContext(profileDir: string, options: Pick<BrowserContextOptions, 'serviceWorkers'> = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { ...LAUNCH_OPTIONS, locale: 'en-GB', acceptDownloads: true, viewport: { width: 1100, height: 900 }, ...options });
}

/** Every URL the pages of this context request, and every console error, for assertions. */
export function watch(context: BrowserContext): { requests: string[]; errors: string[] } {
  const seen = { requests: [] as string[], errors: [] as string[] };
  context.on('request', (request) => seen.requests.push(request.url()));
  context.on('page', (page) => {
    // A failed fetch is logged by Chromium as a console error (the first /me is a 401 when signed out): only
    // the page's own errors count here.
    page.on('console', (message) => { if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) seen.errors.push(message.text()); });
    page.on('pageerror', (error) => seen.errors.push(String(error)));
  });
  return seen;
}

/**
 * Runs axe-core on the page as it is now and returns its violations (every rule axe runs by default: WCAG 2.0,
 * 2.1 A and AA, and best practices). The context must bypass CSP for axe's script to be injected.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: Document): Promise<{ violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe;
    return (await axe.run(document)).violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
  });
  return violations;
}

/**
 * Waits (up to 5 s) until the focused element matches `selector` and, if given, has exactly `text`: the app moves
 * focus in an effect after the new view renders, so reading it at once races. Fails with what has focus.
 */
export async function expectFocus(page: Page, selector: string, what: string, text?: string): Promise<void> {
  const matches = (args: { selector: string; text: string | null }) => {
    const el = document.activeElement;
    return !!el && el.matches(args.selector) && (args.text === null || el.textContent === args.text);
  };
  try {
    await page.waitForFunction(matches, { selector, text: text ?? null }, { timeout: 5_000 });
  } catch {
    const focused = await page.evaluate(() => `${document.activeElement?.tagName}#${document.activeElement?.id}: ${document.activeElement?.textContent?.slice(0, 80)}`);
    assert.fail(`${what}: expected ${selector}${text === undefined ? '' : ` "${text}"`} to have focus, found ${focused}`);
  }
}

/** Presses Tab until the focused element matches `selector` (at most `max` times); fails otherwise. */
export async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  assert.fail(`Tab never reached ${selector}`);
}

/** Saves a screenshot under test-artifacts/web/ (kept by CI as an artifact; ignored by git). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * A test-only page script of apps/web/src/testing/, bundled with Vite like the app (its workers beside it under
 * /assets/), served from a loopback origin (a secure context for WebCrypto) and opened in a new page, which is
 * returned once the script set the document title to `readyTitle`. Everything is removed by `close`.
 */
export async function entryPage(browser: Browser, entry: string, readyTitle: string): Promise<{ page: Page; close(): Promise<void> }> {
  const webDir = new URL('../../', import.meta.url).pathname;
  const dir = await mkdtemp(join(tmpdir(), 'valise-entry-'));
  const { build } = await import('vite');
  await build({
    root: webDir, configFile: false, logLevel: 'warn', worker: { format: 'es' },
    build: { outDir: dir, emptyOutDir: true, minify: false, target: 'es2022', lib: { entry: join(webDir, 'src', 'testing', entry), formats: ['es'], fileName: () => 'assets/entry.js' } },
  });
  const files = new Map<string, Buffer>();
  for (const name of await readdir(join(dir, 'assets'))) files.set(`/assets/${name}`, await readFile(join(dir, 'assets', name)));
  const server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (body) res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>test</title><script type="module" src="/assets/entry.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction((title) => document.title === title, readyTitle);
  return {
    page,
    async close() {
      await page.close();
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
