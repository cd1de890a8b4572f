// Tests of the outbox mailer: parseable .eml files, permissions, log lines without bodies.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../logger.js';
import { createMailer } from './create-mailer.js';
import { OutboxMailer } from './outbox-mailer.js';

/** Splits an RFC 5322 message into unfolded headers and body; fails on bare LF line ends. */
function parseEml(text: string): { headers: Map<string, string>; body: string } {
  assert.doesNotMatch(text.replaceAll('\r\n', ''), /\n/, 'every line ends with CRLF');
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, 'a blank line separates headers from body');
  const headers = new Map<string, string>();
  for (const line of text.slice(0, end).replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `header line: ${line}`);
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: text.slice(end + 4) };
}

describe('OutboxMailer', () => {
  let dir: string;
  const logLines: string[] = [];
  const logger = createLogger({ level: 'info', stream: { write: (line: string) => void logLines.push(line) } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'valise-outbox-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each message as a parseable .eml file readable by the owner only', async () => {
    const outbox = join(dir, 'outbox');
    const mailer = createMailer({ mail: { kind: 'outbox', dir: outbox }, mailFrom: 'Valise <noreply@localhost>' }, logger);
    assert.ok(mailer instanceof OutboxMailer);
    await mailer.send({ to: 'lab@clinic.example', subject: 'Your code', text: 'Code: 87654321\nValid 10 minutes.' });
    await mailer.send({ to: 'lab@clinic.example', subject: 'Second', text: 'Another.' });

    const files = (await readdir(outbox)).sort();
    assert.equal(files.length, 2);
    for (const file of files) assert.match(file, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{12}\.eml$/);
    assert.equal((await stat(join(outbox, files[0]!))).mode & 0o777, 0o600);
    assert.equal((await stat(outbox)).mode & 0o777, 0o700);

    const texts = await Promise.all(files.map((f) => readFile(join(outbox, f), 'utf8')));
    const first = texts.find((t) => t.includes('Your code'))!;
    const { headers, body } = parseEml(first);
    assert.equal(headers.get('from'), 'Valise <noreply@localhost>');
    assert.equal(headers.get('to'), 'lab@clinic.example');
    assert.equal(headers.get('subject'), 'Your code');
    assert.match(headers.get('content-type') ?? '', /^text\/plain; charset=utf-8/);
    assert.ok(headers.has('date'));
    assert.ok(headers.has('message-id'));
    assert.equal(headers.get('mime-version'), '1.0');
    assert.match(body, /Code: 87654321\r\nValid 10 minutes\./);
  });

  it('encodes non-ASCII subjects as RFC 2047 words', async () => {
    const mailer = new OutboxMailer({ dir: join(dir, 'fr'), from: 'valise@localhost', logger });
    await mailer.send({ to: 'a@b.example', subject: 'Votre code d’accès', text: 'Bonjour, voici le code.' });
    const [file] = await readdir(join(dir, 'fr'));
    const { headers } = parseEml(await readFile(join(dir, 'fr', file!), 'utf8'));
    assert.match(headers.get('subject') ?? '', /^=\?UTF-8\?[QB]\?/i);
  });

  it('logs the recipient and subject, never the body', async () => {
    logLines.length = 0;
    const mailer = new OutboxMailer({ dir: join(dir, 'log'), from: 'valise@localhost', logger });
    await mailer.send({ to: 'who@clinic.example', subject: 'Sign-in code', text: 'Your code is 24681357.' });
    assert.equal(logLines.length, 1);
    const entry = JSON.parse(logLines[0]!) as Record<string, unknown>;
    assert.equal(entry.to, 'who@clinic.example');
    assert.equal(entry.subject, 'Sign-in code');
    assert.doesNotMatch(logLines[0]!, /24681357/);
  });
});
