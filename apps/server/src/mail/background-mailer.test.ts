// The background mailer: mail leaves after the answer, a failing mail server never throws into the caller and is
// logged without the message, and drain() waits for everything in flight.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createLogger } from '../logger.js';
import { BackgroundMailer } from './background-mailer.js';
import { OutboxMailer } from './outbox-mailer.js';

const root = await mkdtemp(join(tmpdir(), 'valise-bgmail-'));
after(() => rm(root, { recursive: true, force: true }));
const logLines: string[] = [];
const logger = createLogger({ level: 'info', stream: { write: (line: string) => void logLines.push(line) } });
const message = (to: string) => ({ to, subject: 'Hello', text: 'The code is 12345678' });

it('sends every message once drained, in order', async () => {
  const dir = join(root, 'outbox');
  const mailLater = new BackgroundMailer({ mailer: new OutboxMailer({ dir, from: 'valise@h.example', logger }), logger });
  mailLater.send([message('a@x.example'), message('b@x.example')], { transferId: 't1' });
  mailLater.run(async (mailer) => mailer.send(message('c@x.example')), { transferId: 't2' });
  await mailLater.drain();
  assert.equal((await readdir(dir)).filter((n) => n.endsWith('.eml')).length, 3);
});

it('a mail that cannot be sent is logged with its context and never reaches the caller; the next one is still tried', async () => {
  const blocked = join(root, 'not-a-folder');
  await writeFile(blocked, 'a file where the outbox folder should be');
  const mailLater = new BackgroundMailer({ mailer: new OutboxMailer({ dir: blocked, from: 'valise@h.example', logger }), logger });
  logLines.length = 0;
  assert.doesNotThrow(() => mailLater.send([message('a@x.example'), message('b@x.example')], { boxId: 'box-1' }));
  mailLater.run(async () => { throw new Error('the database is gone'); }, { transferId: 't3' });
  await mailLater.drain();
  const errors = logLines.map((l) => JSON.parse(l) as { msg: string; boxId?: string; transferId?: string; to?: string });
  assert.deepEqual(errors.filter((e) => e.msg === 'an e-mail could not be sent').map((e) => e.boxId ?? e.transferId).sort(), ['box-1', 'box-1', 't3']);
  assert.ok(!logLines.join('').includes('12345678'), 'the message body is never logged');
});
