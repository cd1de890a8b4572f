// The notification job on SQLite and PostgreSQL, each test on a fresh server, reading the real outbox (.eml files):
// one mail per downloaded recipient, one warning per transfer about to expire unopened, one deletion record per
// purge; marked only once sent, so a refused mail is sent on the next run; never a link or a secret.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newId } from '../accounts/tokens.js';
import type { DeletedPart } from '../db/schema.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import type { OutboxMailer } from '../mail/outbox-mailer.js';
import { availableDialects } from '../testing/databases.js';
import { Harness, partBytes, plaintextSizeFor, type Member, type SentTransfer } from '../transfers/transfer-test-kit.js';
import { MAX_LISTED_PARTS } from './notify-mail.js';
import { NotifyJob } from './notify.job.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/** Every message in the outbox, oldest first, with its body decoded (nodemailer writes quoted-printable). */
async function outbox(h: Harness): Promise<Mail[]> {
  const dir = (h.server.ctx.mailer as OutboxMailer).dir;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml')).sort();
  return Promise.all(names.map(async (name) => {
    const eml = await readFile(join(dir, name), 'utf8');
    const split = eml.indexOf('\r\n\r\n');
    const head = eml.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
    const header = (n: string) => new RegExp(`^${n}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
    let body = eml.slice(split + 4);
    if (/quoted-printable/i.test(header('Content-Transfer-Encoding'))) {
      body = Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
    }
    return { to: header('To').replace(/^.*<([^>]+)>$/, '$1'), subject: header('Subject'), body: body.replace(/\r\n/g, '\n') };
  }));
}

/** Nothing that opens the files, nor any address of the server, is ever in a notice. */
function assertNoSecret(mail: Mail, sent: SentTransfer): void {
  const secrets = [Buffer.from(sent.linkSecret).toString('base64url'), Buffer.from(sent.clientKey).toString('base64url'), sent.slotId];
  for (const secret of secrets) assert.ok(!mail.body.includes(secret) && !mail.subject.includes(secret), 'no secret in the mail');
  assert.doesNotMatch(mail.body, /https?:\/\/|\/t\//, 'no link in the mail');
}

describe('notification job', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      async function fresh(t: { after(fn: () => Promise<void>): void }, env: Record<string, string> = {}) {
        const h = await Harness.start({ dialect, env });
        t.after(() => h.close());
        const alice = await h.member('alice@hospital.example');
        const job = (options: { mailer?: Mailer; expiryWarningMs?: number | null } = {}) => new NotifyJob({
          handle: h.server.ctx.database, mailer: options.mailer ?? h.server.ctx.mailer, clock: h.clock, logger: h.server.ctx.logger,
          intervalMs: DAY, expiryWarningMs: options.expiryWarningMs === undefined ? DAY : options.expiryWarningMs,
        });
        return { h, alice, job };
      }
      const downloaded = (h: Harness, transferId: string, email: string) =>
        h.db.updateTable('recipients').set({ downloaded_at: h.clock.now() }).where('transfer_id', '=', transferId).where('email', '=', email).execute();
      const recipient = (h: Harness, transferId: string, email: string) =>
        h.db.selectFrom('recipients').selectAll().where('transfer_id', '=', transferId).where('email', '=', email).executeTakeFirstOrThrow();

      it('mails the sender once per recipient who downloaded, naming the transfer by id, date and recipients', async (t) => {
        const { h, alice, job } = await fresh(t);
        const sent = await h.send(alice, { recipients: ['rita@lab.example', 'bob@lab.example'] });
        assert.equal((await job().runOnce()).downloads, 0);
        assert.deepEqual(await outbox(h), []);

        await downloaded(h, sent.transferId, 'rita@lab.example');
        const first = await job().runOnce();
        assert.deepEqual(first, { skipped: false, downloads: 1, expiryWarnings: 0, deletions: 0, failed: 0 });
        const [mail, ...others] = await outbox(h);
        assert.deepEqual(others, []);
        assert.equal(mail!.to, 'alice@hospital.example');
        assert.equal(mail!.subject, `Valise: rita@lab.example downloaded your files of ${new Date(h.clock.now()).toISOString().slice(0, 10)}`);
        assert.match(mail!.body, new RegExp(`Transfer: +${sent.transferId}\\n`));
        assert.match(mail!.body, /Recipients: +bob@lab\.example \(not downloaded\), rita@lab\.example \(downloaded\)\n/);
        assert.match(mail!.body, /Link works until: +\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
        assertNoSecret(mail!, sent);
        assert.equal((await recipient(h, sent.transferId, 'rita@lab.example')).download_notified_at, h.clock.now());

        assert.equal((await job().runOnce()).downloads, 0, 'told once');
        await downloaded(h, sent.transferId, 'bob@lab.example');
        assert.equal((await job().runOnce()).downloads, 1);
        assert.deepEqual((await outbox(h)).map((m) => m.subject.split(' ')[1]), ['rita@lab.example', 'bob@lab.example']);
      });

      it('tells the sender about a download the recipient\'s client confirmed complete (the real download path)', async (t) => {
        const { h, alice, job } = await fresh(t);
        const sent = await h.send(alice, { recipients: ['rita@lab.example'] });
        const granted = await h.grant(sent, 'rita@lab.example');
        assert.equal(granted.status, 200);
        assert.equal((await job().runOnce()).downloads, 0, 'opened is not downloaded');
        const done = await h.request('POST', `/download/${sent.transferId}/complete`, { token: granted.body.grantToken, body: {} });
        assert.equal(done.status, 204);
        assert.equal((await job().runOnce()).downloads, 1);
        const mail = (await outbox(h)).filter((m) => m.to === 'alice@hospital.example');
        assert.deepEqual(mail.map((m) => m.subject.split(' ')[1]), ['rita@lab.example']);
        assertNoSecret(mail[0]!, sent);
      });

      it('warns once when a transfer nobody downloaded is about to expire (within its second half of life)', async (t) => {
        const { h, alice, job } = await fresh(t);
        const unopened = await h.send(alice, { expiresInSeconds: 3 * 86_400 });
        const opened = await h.send(alice, { expiresInSeconds: 3 * 86_400 });
        assert.equal((await h.grant(opened, 'r@lab.example')).status, 200);
        const short = await h.send(alice, { expiresInSeconds: 3600 });
        const before = (await outbox(h)).length; // the code mailed for the grant
        assert.equal((await job().runOnce()).expiryWarnings, 0);

        h.clock.advance(10 * MINUTE);
        assert.equal((await job().runOnce()).expiryWarnings, 0, '50 minutes left of 60: not yet in its second half');
        h.clock.advance(21 * MINUTE);
        assert.equal((await job().runOnce()).expiryWarnings, 1, '29 minutes left');
        const [warning] = (await outbox(h)).slice(before);
        assert.equal(warning!.to, 'alice@hospital.example');
        assert.match(warning!.subject, /^Valise: your files of \d{4}-\d{2}-\d{2} expire in about 29 minutes, not downloaded yet$/);
        assert.match(warning!.body, new RegExp(`Transfer: +${short.transferId}\\n`));
        assert.match(warning!.body, /Recipients: +r@lab\.example\n/);
        assertNoSecret(warning!, short);

        h.clock.advance(2 * DAY);
        assert.equal((await job().runOnce()).expiryWarnings, 1, 'the unopened one, not the opened one, not the expired short one again');
        const last = (await outbox(h)).at(-1)!;
        assert.match(last.body, new RegExp(`Transfer: +${unopened.transferId}\\n`));
        assert.match(last.subject, /expire in about 23 hours/);
        const warned = await h.db.selectFrom('transfers').select(['id', 'expiry_warned_at']).where('id', 'in', [unopened.transferId, opened.transferId]).execute();
        assert.deepEqual(Object.fromEntries(warned.map((w) => [w.id, w.expiry_warned_at])), { [unopened.transferId]: h.clock.now(), [opened.transferId]: null });
        assert.equal((await job().runOnce()).expiryWarnings, 0, 'warned once');

        const later = await h.send(alice, { expiresInSeconds: 3 * 86_400 });
        h.clock.advance(2 * DAY + HOUR);
        assert.equal((await job({ expiryWarningMs: null }).runOnce()).expiryWarnings, 0, 'off: never warned');
        assert.equal((await job({ expiryWarningMs: 12 * HOUR }).runOnce()).expiryWarnings, 0, '23 hours left, warned at 12');
        h.clock.advance(12 * HOUR);
        assert.equal((await job({ expiryWarningMs: 12 * HOUR }).runOnce()).expiryWarnings, 1);
        assert.match((await outbox(h)).at(-1)!.body, new RegExp(later.transferId));
      });

      it('mails the deletion record once, with each part\'s SHA-256, size and the storage\'s confirmation', async (t) => {
        const { h, alice, job } = await fresh(t);
        const sent = await h.send(alice, { sizes: [9_000_000, 10], recipients: ['rita@lab.example'] });
        await downloaded(h, sent.transferId, 'rita@lab.example');
        assert.equal((await job().runOnce()).downloads, 1);
        assert.equal((await h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: alice.token, body: {} })).status, 200);
        h.clock.advance(5000);
        await h.domain.purge.runOnce();
        const record = await h.db.selectFrom('deletion_records').selectAll().where('transfer_id', '=', sent.transferId).executeTakeFirstOrThrow();
        assert.equal(record.notified_at, null);

        assert.equal((await job().runOnce()).deletions, 1);
        const mail = (await outbox(h)).at(-1)!;
        assert.equal(mail.subject, `Valise: your files of ${new Date(h.clock.now()).toISOString().slice(0, 10)} were deleted`);
        assert.match(mail.body, new RegExp(`Transfer: +${sent.transferId}\\n`));
        assert.match(mail.body, /Reason: +revoked by you\n/);
        assert.match(mail.body, /Recipients: +rita@lab\.example \(downloaded\)\n/);
        assert.match(mail.body, /Data class: +standard\n/);
        const bytes = sent.files.reduce((n, f) => n + f.length, 0);
        assert.match(mail.body, new RegExp(`Stored parts: +3 \\(${bytes.toLocaleString('en-US')} bytes, encrypted\\)\\n`));
        const expected = [[0, 0], [0, 1], [1, 0]].map(([file, k]) => {
          const part = partBytes(sent.files[file!]!, plaintextSizeFor(sent.created.files[file!]!.ciphertextSize), k!);
          return `file ${file! + 1}, part ${k! + 1}: ${part.length.toLocaleString('en-US')} bytes, SHA-256 ${createHash('sha256').update(part).digest('hex')}, gone at `;
        });
        for (const line of expected) assert.ok(mail.body.includes(line), `lists ${line}`);
        assertNoSecret(mail, sent);
        const marked = await h.db.selectFrom('deletion_records').select('notified_at').where('transfer_id', '=', sent.transferId).executeTakeFirstOrThrow();
        assert.equal(marked.notified_at, h.clock.now());
        assert.equal((await job().runOnce()).deletions, 0, 'told once');
      });

      it('lists at most 1000 parts of a deletion record, and says how many more the server keeps', async (t) => {
        const { h, alice, job } = await fresh(t);
        const id = newId();
        const now = h.clock.now();
        await h.db.insertInto('transfers').values({
          id, sender_id: alice.id, state: 'purged', close_reason: 'expired', data_class: 'health', created_at: now - DAY, finalized_at: now - DAY,
          expires_in_ms: DAY, expires_at: now - 90_000, max_downloads: 1, ss_enc: null, ss_epoch: 0, link_slot_id: null, link_slot: null,
          link_auth_key: null, manifest: null, total_bytes: 1002 * 100, closed_at: now - 90_000, purged_at: now,
        }).execute();
        const parts: DeletedPart[] = Array.from({ length: MAX_LISTED_PARTS + 2 }, (_, i) => ({
          file: 0, index: i, blobKey: `${i}`.padStart(32, '0'), size: 100, sha256: createHash('sha256').update(`${i}`).digest('base64url'), goneAt: now - 1000,
        }));
        await h.db.insertInto('deletion_records').values({
          transfer_id: id, sender_id: alice.id, data_class: 'health', reason: 'expired', deadline_at: now - 90_000, purged_at: now, lag_ms: 90_000,
          blob_count: parts.length, bytes: 100 * parts.length, parts: JSON.stringify(parts),
        }).execute();
        assert.equal((await job().runOnce()).deletions, 1);
        const mail = (await outbox(h)).at(-1)!;
        assert.match(mail.body, /Reason: +expired \(the link's time was up\)\n/);
        assert.match(mail.body, /Delay: +90 s after the deadline\n/);
        assert.equal(mail.body.match(/^ {2}file 1, part \d+: 100 bytes, SHA-256 [0-9a-f]{64}, gone at /gm)?.length, MAX_LISTED_PARTS);
        assert.ok(mail.body.includes(`part 1000: 100 bytes, SHA-256 ${createHash('sha256').update('999').digest('hex')}`));
        assert.ok(!mail.body.includes('part 1001:'));
        assert.match(mail.body, /… and 2 more parts, kept in the server's record\./);
        assert.ok(!mail.body.includes(parts[0]!.blobKey), 'storage keys are the server\'s business');
      });

      it('sends a mail the mailer refused on the next run, and does not let it hold up the others (at least once)', async (t) => {
        const { h, alice, job } = await fresh(t);
        const sent = await h.send(alice, { recipients: ['a@lab.example', 'b@lab.example'] });
        await downloaded(h, sent.transferId, 'a@lab.example');
        await downloaded(h, sent.transferId, 'b@lab.example');
        const refused: string[] = [];
        let refusals = 1;
        const flaky: Mailer = {
          async send(message: MailMessage) {
            if (refusals-- > 0) {
              refused.push(message.subject);
              throw new Error('421 try again later');
            }
            await h.server.ctx.mailer.send(message);
          },
          close: async () => undefined,
        };
        assert.deepEqual(await job({ mailer: flaky }).runOnce(), { skipped: false, downloads: 1, expiryWarnings: 0, deletions: 0, failed: 1 });
        assert.equal(refused.length, 1);
        const notified = await h.db.selectFrom('recipients').select(['email', 'download_notified_at']).where('transfer_id', '=', sent.transferId).orderBy('email').execute();
        assert.equal(notified.filter((r) => r.download_notified_at === null).length, 1, 'the refused one stays owed');
        assert.equal((await outbox(h)).length, 1);

        assert.equal((await job({ mailer: flaky }).runOnce()).downloads, 1);
        const subjects = (await outbox(h)).map((m) => m.subject);
        assert.equal(subjects.length, 2);
        assert.ok(subjects.includes(refused[0]!), 'the refused mail was sent on the next run');
        assert.equal((await job({ mailer: flaky }).runOnce()).downloads, 0);
      });

      it('runs in the server as the "notify" job, with VALISE_EXPIRY_WARNING from the configuration', async (t) => {
        const { h, alice } = await fresh(t, { VALISE_EXPIRY_WARNING: 'off' });
        assert.equal(h.server.ctx.config.expiryWarningMs, null);
        const registered = h.domain.jobs.find((j) => j.name === 'notify');
        assert.ok(registered instanceof NotifyJob);
        const sent = await h.send(alice, { expiresInSeconds: 3 * 86_400, recipients: ['rita@lab.example'] });
        h.clock.advance(2 * DAY + HOUR);
        await downloaded(h, sent.transferId, 'rita@lab.example');
        assert.deepEqual(await registered.runOnce(), { skipped: false, downloads: 1, expiryWarnings: 0, deletions: 0, failed: 0 });
      });

      if (dialect === 'postgres') {
        it('sends each mail once when two instances run at the same time', async (t) => {
          const { h, alice, job } = await fresh(t);
          const sent = await h.send(alice, { recipients: Array.from({ length: 20 }, (_, i) => `r${i}@lab.example`) });
          await h.db.updateTable('recipients').set({ downloaded_at: h.clock.now() }).where('transfer_id', '=', sent.transferId).execute();
          const reports = await Promise.all([job().runOnce(), job().runOnce(), job().runOnce()]);
          assert.equal(reports.reduce((n, r) => n + r.downloads, 0), 20);
          assert.equal((await outbox(h)).length, 20);
        });
      }
    });
  }
});
