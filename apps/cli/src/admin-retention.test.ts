// `valise admin hold|holds|release` and `valise admin retention report`: the real `valise` command, on the server
// host (the server's own VALISE_* environment), against the REAL server's database and storage, on both dialects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { availableDialects } from '@valise/server/testing';
import { cliWorkspace, type CliWorkspace } from './testing/real-server.js';
import { runCli } from './testing/run-cli.js';

const HOUR = 3_600_000;

async function send(w: CliWorkspace, name: string): Promise<string> {
  await writeFile(join(w.src, name), Buffer.alloc(5000, 7));
  const sent = await runCli(['--json', 'send', join(w.src, name), '--to', 'lab@x.example'], { env: w.env });
  assert.equal(sent.code, 0, sent.stderr);
  return (JSON.parse(sent.stdout) as { transferId: string }).transferId;
}

describe('valise admin: legal holds and the retention report', { concurrency: 2 }, async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    it(`hold → holds → report (exit 5 while an unheld transfer is overdue) → purge → release purges at once (${dialect})`, async (t) => {
      const w = await cliWorkspace(t, { dialect });
      const env = w.real.serverEnv();
      const state = async (id: string) => (await w.real.db.selectFrom('transfers').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
      const [kept, plain] = [await send(w, 'kept.pdf'), await send(w, 'plain.pdf')];

      const clean = await runCli(['admin', 'retention', 'report'], { env });
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /^Retention report, \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/m);
      assert.match(clean.stdout, /^Live transfers \(not purged yet\): 2, \d+ KiB encrypted$/m);
      assert.match(clean.stdout, /^ {2}CLASS +AGE <1d +AGE 1-7d +AGE 7-30d +AGE >30d +TOTAL$/m);
      assert.match(clean.stdout, /^ {2}standard +2 \((\d+) KiB\) +0 +0 +0 +2 \(\1 KiB\)$/m);
      assert.match(clean.stdout, /^ {2}health +0 +0 +0 +0 +0$/m);
      assert.match(clean.stdout, /^Overdue \(past the deadline by more than 1m, not purged\): none$/m);
      assert.match(clean.stdout, /^Legal holds: none$/m);
      assert.match(clean.stdout, /^Purge lag \(last 30d\): no purge recorded$/m);

      const hold = await runCli(['--json', 'admin', 'hold', kept, '--reason', 'Litigation hold, case 2030-117'], { env });
      assert.equal(hold.code, 0, hold.stderr);
      const placed = JSON.parse(hold.stdout) as { holdId: string; transferId: string; reason: string; transferState: string; pastDeadline: boolean };
      assert.deepEqual([placed.transferId, placed.reason, placed.transferState, placed.pastDeadline], [kept, 'Litigation hold, case 2030-117', 'ready', false]);
      const audit = await w.real.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', 'legal_hold.placed').where('target', '=', kept).executeTakeFirstOrThrow();
      assert.match(audit.actor ?? '', /^cli:/, 'the audit log names the command line and its user');
      assert.equal((JSON.parse(audit.detail!) as { reason: string }).reason, 'Litigation hold, case 2030-117');

      const twice = await runCli(['admin', 'hold', kept, '--reason', 'again'], { env });
      assert.equal(twice.code, 2);
      assert.match(twice.stderr, /^valise: Transfer .* is already held \(since .*: Litigation hold, case 2030-117\)\.$/m);
      const unknown = await runCli(['admin', 'hold', 'A'.repeat(22), '--reason', 'x'], { env });
      assert.equal(unknown.code, 4);
      assert.match(unknown.stderr, /^valise: There is no transfer A{22}\.$/m);

      const holds = await runCli(['admin', 'holds'], { env });
      assert.equal(holds.code, 0, holds.stderr);
      const lines = holds.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^TRANSFER +CLASS +STATE +EXPIRES \(UTC\) +SENDER +HELD SINCE \(UTC\) +BY +REASON$/);
      assert.equal(lines.length, 2);
      assert.match(lines[1]!, new RegExp(`^${kept} +standard +ready +\\S+ \\S+ +${w.sender.email.replace(/\./g, '\\.')} +\\S+ \\S+ +server host +Litigation hold, case 2030-117$`));

      // Two hours later, as far as the deadlines go.
      await w.real.db.updateTable('transfers').set({ expires_at: Date.now() - 2 * HOUR }).where('id', 'in', [kept, plain]).execute();
      const overdue = await runCli(['admin', 'retention', 'report'], { env });
      assert.equal(overdue.code, 5, overdue.stderr);
      assert.match(overdue.stderr, /^valise: 1 transfer is past the deadline and not purged \(see the report\)$/m);
      assert.match(overdue.stdout, /^Overdue \(past the deadline by more than 1m, not purged\): 2, 1 of them held$/m);
      assert.match(overdue.stdout, new RegExp(`^ {2}${plain} +standard +ready +expired +\\S+ \\S+ +(1h|2h) +NO$`, 'm'));
      assert.match(overdue.stdout, new RegExp(`^ {2}${kept} +standard +ready +expired +\\S+ \\S+ +(1h|2h) +yes$`, 'm'));
      const json = await runCli(['admin', 'retention', 'report', '--json'], { env });
      assert.equal(json.code, 5);
      const report = JSON.parse(json.stdout) as { overdue: { count: number; unheld: number; transfers: { transferId: string; held: boolean }[] }; holds: { transferId: string }[] };
      assert.deepEqual([report.overdue.count, report.overdue.unheld], [2, 1]);
      assert.deepEqual(report.holds.map((h) => h.transferId), [kept]);

      await w.real.purge();
      assert.deepEqual([await state(plain), await state(kept)], ['purged', 'closed'], 'the purge keeps the held transfer');
      const heldOnly = await runCli(['admin', 'retention', 'report'], { env });
      assert.equal(heldOnly.code, 0, 'overdue, but held: not a fault');
      assert.match(heldOnly.stdout, /: 1, 1 of them held$/m);

      const release = await runCli(['admin', 'release', kept, '--reason', 'Case settled'], { env });
      assert.equal(release.code, 0, release.stderr);
      assert.equal(release.stdout, `Released the hold on ${kept}. It was past its deadline and has been purged.\n`);
      assert.equal(await state(kept), 'purged');
      assert.deepEqual(await w.real.blobKeys(kept), []);

      const done = await runCli(['admin', 'retention', 'report'], { env });
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /^Live transfers \(not purged yet\): 0, 0 B encrypted$/m);
      assert.match(done.stdout, /^Overdue \(.*\): none$/m);
      assert.match(done.stdout, /^Legal holds: none$/m);
      assert.match(done.stdout, /^Purge lag \(last 30d, 2 purges\): p50 \S+, p90 \S+, p99 \S+, max (1h|2h)$/m);
      assert.match(done.stdout, /^Last purge run: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC on \S+, took \S+; closed \d+, purged 1, failed 0$/m);

      const again = await runCli(['admin', 'release', kept, '--reason', 'again'], { env });
      assert.equal(again.code, 2);
      assert.match(again.stderr, /is not held/);
      const noHolds = await runCli(['admin', 'holds'], { env });
      assert.deepEqual([noHolds.code, noHolds.stdout, noHolds.stderr], [0, '', 'No active legal hold.\n']);
    });
  }
});
