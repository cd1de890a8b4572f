// Valise measured end to end: a real server process, a real member, raw part throughput, and the CLI.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValiseApi } from '@valise/client';
import { deriveLinkAuthKey, idFromText, linkProof, randomBytes, toBase64Url, PART_CIPHERTEXT_SIZE, ciphertextSize, partCount as countParts, expectedPartSize } from '@valise/crypto';
import { inviteMember, createServerContext, loadConfig } from '@valise/server';
import { totpCodeAt } from '../apps/server/dist/accounts/totp.js';
import { saveCredentials } from '../apps/cli/dist/credentials.js';
import { getParts, putParts } from './part-client.mjs';
import { MiB, freePort, mib, watchPeakRss } from './measure.mjs';

const root = new URL('..', import.meta.url).pathname;
const PASSWORD = 'benchmark passphrase';
/** BENCH_PROFILE_DIR=dir writes a V8 CPU profile of the server and of each CLI run there. */
const profiling = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
const debug = (...a) => { if (process.env.BENCH_DEBUG) console.error('[bench]', ...a); };

/**
 * Starts a real Valise server process with one enrolled member, for measuring in rounds: `rawParts()` (the server
 * alone), `cliSend()` and `cliReceive(link)` (the CLI end to end). `close()` stops it and reports its peak RSS.
 */
export async function startValiseBench({ sizeMiB, env: extraEnv = {} }) {
  const work = mkdtempSync(join(tmpdir(), 'valise-bench-'));
  const dataDir = join(work, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, VALISE_DATA_DIR: dataDir, VALISE_HOST: '127.0.0.1', VALISE_PORT: String(port), VALISE_PUBLIC_URL: url, VALISE_LOG_LEVEL: 'warn', VALISE_USER_QUOTA: '1TiB', ...extraEnv };
  const server = spawn(process.execPath, [...profiling, join(root, 'apps/server/bin/valise-server.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr.resume();
  // If the benchmark itself is interrupted, take the server down with it.
  const killServer = () => server.kill('SIGKILL');
  process.once('exit', killServer);
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const serverRss = watchPeakRss(server.pid);
  const close = async () => {
    process.off('exit', killServer);
    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
    rmSync(work, { recursive: true, force: true });
    return serverRss.stop();
  };
  try {
    await waitUntilReady(url);
    debug('server ready');
    const { token, email } = await enrollMember(url, dataDir);
    debug('member enrolled');
    const api = new ValiseApi({ serverUrl: url, token });
    const sizeBytes = sizeMiB * MiB;
    const configDir = join(work, 'cli');
    await saveCredentials(configDir, { v: 1, serverUrl: url, email, memberId: 'bench', isAdmin: true, token, expiresAt: null });
    const file = join(work, 'payload.bin');
    writePayload(file, sizeBytes);
    const cliEnv = { ...process.env, VALISE_CONFIG_DIR: configDir };
    let received = 0;
    return {
      url,
      member: { email, token },
      rawParts: () => rawParts(api, url, dataDir, sizeBytes),
      /** `valise send` of the 1 GiB file: MiB/s from process start to exit, the link, and the CLI's peak RSS. */
      async cliSend() {
        const send = await timed(['--json', 'send', file, '--to', 'recipient@bench.example'], cliEnv);
        debug('sent', send.seconds);
        return { mibs: sizeMiB / send.seconds, rss: send.peakRss, link: JSON.parse(send.stdout).link };
      },
      /** `valise receive` of that link with the code from the outbox; checks the size and deletes the copy. */
      async cliReceive(link) {
        const out = join(work, `out-${received++}`);
        const receive = await timed(['--json', 'receive', link, '--out', out, '--email', 'recipient@bench.example'], cliEnv, async (child) => {
          child.stdin.end(`${await nextCode(dataDir)}\n`);
        });
        if (statSync(join(out, 'payload.bin')).size !== sizeBytes) throw new Error('received file has the wrong size');
        rmSync(out, { recursive: true, force: true });
        return { mibs: sizeMiB / receive.seconds, rss: receive.peakRss };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Creates one transfer of `sizeBytes` and measures the server alone: parts of random bytes up, then down. */
async function rawParts(api, url, dataDir, plaintextSize) {
  const created = await api.createTransfer({ files: [{ ciphertextSize: ciphertextSize(plaintextSize) }], recipients: ['raw@bench.example'], maxDownloads: 1 });
  const { transferId } = created;
  const { fileId, partCount } = created.files[0];
  if (partCount !== countParts(plaintextSize)) throw new Error('part count disagrees with the format');
  const full = randomBytes(PART_CIPHERTEXT_SIZE + 56);
  const bodyFor = (k) => full.subarray(0, expectedPartSize(plaintextSize, k));
  const auth = { authorization: `Bearer ${api.token ?? ''}` };
  const partUpload = await putParts({ count: partCount, bodyFor, target: (k) => ({ url: `${url}/api/v1/transfers/${transferId}/files/${fileId}/parts/${k}`, headers: auth }) });

  const linkSecret = randomBytes(32);
  const slotId = randomBytes(16);
  const authKey = await deriveLinkAuthKey(linkSecret, idFromText(transferId), slotId);
  await api.finalize(transferId, { linkSlot: { slotId: toBase64Url(slotId), wrapped: toBase64Url(randomBytes(104)) }, linkAuthKey: toBase64Url(authKey), manifest: toBase64Url(randomBytes(256)) });
  const challenge = await api.challenge(transferId);
  const proof = await linkProof(authKey, idFromText(transferId), fromB64(challenge.nonce));
  const before = outboxFiles(dataDir).length;
  const { openingToken } = await api.requestCode(transferId, { challengeId: challenge.challengeId, proof: toBase64Url(proof), email: 'raw@bench.example' });
  const grant = await api.codeGrant(transferId, { openingToken, code: await nextCode(dataDir, before) });
  const partDownload = await getParts({ count: partCount, target: (k) => ({ url: `${url}/api/v1/download/${transferId}/files/${fileId}/parts/${k}`, headers: { authorization: `Bearer ${grant.grantToken}` } }) });
  return { partUpload, partDownload };
}

async function enrollMember(url, dataDir) {
  const ctx = await createServerContext(loadConfig({ VALISE_DATA_DIR: dataDir, VALISE_PUBLIC_URL: url }));
  const email = 'bench@hospital.example';
  let enrollmentLink;
  try {
    ({ enrollmentLink } = await inviteMember(ctx, email, { admin: true }));
  } finally {
    await ctx.close();
  }
  const api = new ValiseApi({ serverUrl: url });
  const token = new URL(enrollmentLink).hash.slice(1);
  const { totpSecret } = await api.enrollStart({ token });
  await api.enrollComplete({ token, password: PASSWORD, totpCode: totpCodeAt(totpSecret, Date.now()) });
  // The enrollment used the current TOTP step; the next step's code is accepted (one step of drift) and unused.
  const login = await api.login({ email, password: PASSWORD, totpCode: totpCodeAt(totpSecret, Date.now() + 30_000), client: 'cli', label: 'bench' });
  return { token: login.token, email };
}

/** Runs the CLI, timing it and sampling its peak RSS. */
function timed(args, env, drive) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [...profiling, join(root, 'apps/cli/bin/valise.js'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const rss = watchPeakRss(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    drive?.(child).catch(reject);
    child.stderr.on('data', (d) => debug(String(d).trim()));
    child.on('exit', (code) => {
      const peakRss = rss.stop();
      if (code !== 0) reject(new Error(`valise ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ stdout, seconds: (performance.now() - start) / 1000, peakRss });
    });
  });
}

function outboxFiles(dataDir) {
  try { return readdirSync(join(dataDir, 'outbox')).filter((n) => n.endsWith('.eml')).sort(); } catch { return []; }
}

/** Waits for a new message in the outbox and returns the 8-digit code it carries. */
async function nextCode(dataDir, seen = outboxFiles(dataDir).length) {
  for (let i = 0; i < 600; i++) {
    const files = outboxFiles(dataDir);
    if (files.length > seen) {
      const text = readFileSync(join(dataDir, 'outbox', files[files.length - 1]), 'utf8');
      const code = /\b(\d{8})\b/.exec(text.split(/\r?\n\r?\n/).slice(1).join('\n'))?.[1];
      if (code) return code;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no code arrived in the outbox');
}

function writePayload(path, size) {
  const block = randomBytes(4 * MiB);
  const fd = openSync(path, 'w');
  for (let written = 0; written < size; written += block.length) writeSync(fd, block, 0, Math.min(block.length, size - written));
  closeSync(fd);
}

async function waitUntilReady(url) {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`${url}/readyz`)).ok) return; } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not become ready');
}


const fromB64 = (s) => new Uint8Array(Buffer.from(s, 'base64url'));
export { mib };
