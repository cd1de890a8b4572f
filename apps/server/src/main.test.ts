// Tests of the server process: graceful shutdown, jobs, and the valise-server command itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DomainPlugin } from './http/app.js';
import { EXIT_CONFIG } from './main.js';
import { startTestServer } from './testing/test-server.js';

const BIN = fileURLToPath(new URL('../bin/valise-server.js', import.meta.url));

/** A route that answers only when told to, to hold a request in flight. */
function slowRoute(): { plugin: DomainPlugin; arrived: Promise<void>; release: () => void } {
  let release!: () => void;
  let arrived!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  return {
    plugin: {
      name: 'slow',
      register(app) {
        app.get('/slow', async () => {
          arrived();
          await released;
          return { done: true };
        });
      },
    },
    arrived: arrival,
    release,
  };
}

/** GET over a fresh connection, resolving with status and body (or rejecting on a cut connection). */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, then stops accepting connections and closes the context', async () => {
    const slow = slowRoute();
    const server = await startTestServer({ plugins: [slow.plugin] });
    const inFlight = get(`${server.url}/slow`);
    await slow.arrived;
    const closed = server.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.ctx.lifecycle.draining, true);
    slow.release();
    assert.deepEqual(await inFlight, { status: 200, body: '{"done":true}' });
    await closed;
    await assert.rejects(get(`${server.url}/healthz`), /ECONNREFUSED/);
  });

  it('cuts requests still running at the deadline', async () => {
    const slow = slowRoute();
    const server = await startTestServer({ plugins: [slow.plugin], shutdownTimeoutMs: 200 });
    // Settled into a value right away: the connection is cut while close() is still being awaited.
    const inFlight = get(`${server.url}/slow`).then(() => 'answered', (error: Error) => error);
    await slow.arrived;
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 5_000);
    const outcome = await inFlight;
    assert.ok(outcome instanceof Error, 'the connection was cut');
    slow.release();
  });
});

describe('domain jobs', () => {
  it('start once the server listens, and finish before the database closes', async () => {
    const events: string[] = [];
    const server = await startTestServer({
      domain: (ctx) => ({
        plugins: [],
        jobs: [
          {
            name: 'probe',
            start: () => void events.push('start'),
            async stop() {
              await new Promise((resolve) => setTimeout(resolve, 50));
              await ctx.database.ping(); // the database is still open while a job winds down
              events.push('stopped');
            },
          },
        ],
      }),
    });
    assert.deepEqual(events, ['start']);
    await server.close();
    assert.deepEqual(events, ['start', 'stopped']);
  });
});

describe('valise-server command', () => {
  it('exits with code 78 listing every configuration problem', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH, VALISE_PORT: 'eighty', VALISE_MAX_EXPIRY: 'forever', VALISE_TYPO: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, EXIT_CONFIG);
    assert.match(stderr, /VALISE_PORT/);
    assert.match(stderr, /VALISE_MAX_EXPIRY/);
    assert.match(stderr, /VALISE_TYPO: unknown variable/);
  });

  it('starts, logs JSON without secrets, serves, and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'valise-bin-'));
    try {
      const child = spawn(process.execPath, [BIN], {
        env: {
          PATH: process.env.PATH,
          VALISE_DATA_DIR: dataDir,
          VALISE_PORT: '0',
          VALISE_SMTP_URL: 'smtp://valise:smtppassword@127.0.0.1:2525',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: Record<string, unknown>[] = [];
      const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === 'server listening') resolve(entry);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const entry = await listening;
      const url = entry.url as string;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(await get(`${url}/readyz`), { status: 200, body: '{"status":"ready"}' });
      assert.equal((await stat(join(dataDir, 'keystore.json'))).mode & 0o777, 0o600);
      assert.ok((await stat(join(dataDir, 'valise.db'))).isFile());

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const text = JSON.stringify(lines);
      assert.doesNotMatch(text, /smtppassword/);
      assert.ok(lines.some((l) => l.msg === 'stopped'));
      for (const line of lines) assert.equal(typeof line.time, 'string');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
