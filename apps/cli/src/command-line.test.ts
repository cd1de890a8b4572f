import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CliCommand, parseCommandLine } from './command-line.js';

const ID = 'AAECAwQFBgcICQoLDA0ODw';

const runs: [argv: string[], command: CliCommand, json?: boolean][] = [
  [['enroll', 'https://v.example/enroll#tok'], { name: 'enroll', link: 'https://v.example/enroll#tok' }],
  [['login', 'https://v.example'], { name: 'login', serverUrl: 'https://v.example', email: undefined }],
  [['login', 'https://v.example', '--email', 'a@b.example'], { name: 'login', serverUrl: 'https://v.example', email: 'a@b.example' }],
  [['logout'], { name: 'logout' }],
  [['send', 'a.pdf', '--to', 'x@y.example'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, dataClass: undefined, message: undefined, linkOnly: false, acceptNewKey: false, teams: [] }],
  [['send', 'a.pdf', 'b.pdf', '--to', 'x@y.example', 'z@y.example', '--expires', '7d', '--max-downloads', '3', '--message', 'hello'],
    { name: 'send', files: ['a.pdf', 'b.pdf'], to: ['x@y.example', 'z@y.example'], expiresInSeconds: 604800, maxDownloads: 3, dataClass: undefined, message: 'hello', linkOnly: false, acceptNewKey: false, teams: [] }],
  [['send', 'a.pdf', '--to', 'x@y.example,z@y.example', '--to', 'w@y.example', '--expires', '90s'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example', 'z@y.example', 'w@y.example'], expiresInSeconds: 90, maxDownloads: undefined, dataClass: undefined, message: undefined, linkOnly: false, acceptNewKey: false, teams: [] }],
  [['send', '--to', 'x@y.example', '--', 'a.pdf'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, dataClass: undefined, message: undefined, linkOnly: false, acceptNewKey: false, teams: [] }],
  [['send', 'a.pdf', '--to', 'x@y.example', '--class', 'Health'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, dataClass: 'health', message: undefined, linkOnly: false, acceptNewKey: false, teams: [] }],
  [['send', 'a.pdf', '--to', 'x@y.example', '--json'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, dataClass: undefined, message: undefined, linkOnly: false, acceptNewKey: false, teams: [] }, true],
  [['receive', 'https://v.example/t/x#y'], { name: 'receive', link: 'https://v.example/t/x#y', out: '.', email: undefined, acceptNewKey: false }],
  [['receive', 'L', '--out', '/tmp/o', '--email', 'me@lab.example'], { name: 'receive', link: 'L', out: '/tmp/o', email: 'me@lab.example', acceptNewKey: false }],
  [['send', 'a.pdf', '--to', 'x@y.example', '--link', '--accept-new-key'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, dataClass: undefined, message: undefined, linkOnly: true, acceptNewKey: true, teams: [] }],
  [['receive', ID, '--accept-new-key'], { name: 'receive', link: ID, out: '.', email: undefined, acceptNewKey: true }],
  [['inbox'], { name: 'inbox' }],
  [['keys'], { name: 'keys-status' }],
  [['keys', 'init'], { name: 'keys-init' }],
  [['keys', 'passphrase', '--recovery-code'], { name: 'keys-passphrase', recovery: true }],
  [['keys', 'recovery-code'], { name: 'keys-recovery-code' }],
  [['safety-number', 'b@h.example'], { name: 'safety-number', email: 'b@h.example', acceptNewKey: false }],
  [['admin', 'org-key', 'init', '--out', '/k.json'], { name: 'admin-org-key-init', out: '/k.json' }],
  [['admin', 'sign-members', '--yes'], { name: 'admin-sign-members', key: undefined, yes: true }],
  [['box', 'create', ' Virology lab ', '--domain', 'Lab.example,@eu.lab.example', '--max-size', '2GiB', '--max-deposits', '3'],
    { name: 'box-create', boxName: 'Virology lab', expiresInSeconds: undefined, maxDeposits: 3, maxDepositBytes: 2 ** 31, domains: ['lab.example', 'eu.lab.example'], dataClass: undefined, team: undefined }],
  [['box', 'create', 'B', '--expires', '7d', '--max-size', '500MB', '--class', 'health'],
    { name: 'box-create', boxName: 'B', expiresInSeconds: 604800, maxDeposits: 100, maxDepositBytes: 500_000_000, domains: [], dataClass: 'health', team: undefined }],
  [['box'], { name: 'box-list' }],
  [['box', 'create', 'Results', '--team', ' Virology lab '],
    { name: 'box-create', boxName: 'Results', expiresInSeconds: undefined, maxDeposits: 100, maxDepositBytes: 2 * 2 ** 30, domains: [], dataClass: undefined, team: 'Virology lab' }],
  [['send', 'a.pdf', '--team', 'Virology lab', '--team', 'Pharmacy'],
    { name: 'send', files: ['a.pdf'], to: [], expiresInSeconds: undefined, maxDownloads: undefined, dataClass: undefined, message: undefined, linkOnly: false, acceptNewKey: false, teams: ['Virology lab', 'Pharmacy'] }],
  [['send', 'a.pdf', '--to', 'x@y.example', '--team', 'Virology lab'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, dataClass: undefined, message: undefined, linkOnly: false, acceptNewKey: false, teams: ['Virology lab'] }],
  [['team'], { name: 'team-list' }],
  [['team', 'create', 'Virology lab'], { name: 'team-create', teamName: 'Virology lab' }],
  [['team', 'show', ID], { name: 'team-show', team: ID }],
  [['team', 'add', 'Virology lab', 'b@h.example'], { name: 'team-add', team: 'Virology lab', email: 'b@h.example', acceptNewKey: false }],
  [['team', 'remove', 'Virology lab', 'b@h.example', '--accept-new-key'], { name: 'team-remove', team: 'Virology lab', email: 'b@h.example', acceptNewKey: true }],
  [['box', 'close', ID], { name: 'box-close', boxId: ID }],
  [['deposit', 'https://v.example/d/x#k', 'a.csv', 'b.csv', '--email', 't@lab.example', '--name', 'Lab Durand'],
    { name: 'deposit', link: 'https://v.example/d/x#k', files: ['a.csv', 'b.csv'], email: 't@lab.example', depositorName: 'Lab Durand', message: undefined }],
  [['--json', 'list'], { name: 'list', limit: undefined, all: false }, true],
  [['list', '--json'], { name: 'list', limit: undefined, all: false }, true],
  [['list'], { name: 'list', limit: undefined, all: false }, false],
  [['list', '--limit', '120'], { name: 'list', limit: 120, all: false }, false],
  // One id in 64 starts with '-': still an id, wherever the options are.
  [['revoke', '-Bj0gwXy3H99DBzE-MhojA', '--json'], { name: 'revoke', transferId: '-Bj0gwXy3H99DBzE-MhojA' }, true],
  [['--json', 'deletion-record', '-Bj0gwXy3H99DBzE-MhojA'], { name: 'deletion-record', transferId: '-Bj0gwXy3H99DBzE-MhojA' }, true],
  [['box', 'close', '-Bj0gwXy3H99DBzE-MhojA'], { name: 'box-close', boxId: '-Bj0gwXy3H99DBzE-MhojA' }, false],
  [['list', '--all'], { name: 'list', limit: undefined, all: true }, false],
  [['revoke', ID], { name: 'revoke', transferId: ID }],
  [['deletion-record', ID], { name: 'deletion-record', transferId: ID }],
  [['admin', 'invite', 'new@h.example'], { name: 'admin-invite', email: 'new@h.example', admin: false }],
  [['admin', 'invite', 'new@h.example', '--admin'], { name: 'admin-invite', email: 'new@h.example', admin: true }],
  [['admin', 'fsck'], { name: 'admin-fsck', repair: false, graceSeconds: 10 }],
  [['admin', 'classes'], { name: 'admin-classes-list' }],
  [['admin', 'classes', 'list', '--json'], { name: 'admin-classes-list' }, true],
  [['admin', 'classes', 'set', 'health', '--max-expiry', '3d', '--delete-when-downloaded', 'no'],
    { name: 'admin-classes-set', className: 'health', create: false, changes: { maxExpirySeconds: 259_200, deleteWhenDownloaded: false } }],
  [['admin', 'classes', 'set', 'staff', '--create', '--outside-recipients', 'no', '--max-downloads', '5', '--default-expiry', '1d', '--description', 'Colleagues'],
    { name: 'admin-classes-set', className: 'staff', create: true, changes: { description: 'Colleagues', defaultExpirySeconds: 86_400, maxDownloads: 5, allowOutsideRecipients: false } }],
  [['admin', 'fsck', '--repair', '--grace', '0'], { name: 'admin-fsck', repair: true, graceSeconds: 0 }],
  [['admin', 'hold', ID, '--reason', '  Litigation hold, case 17 '], { name: 'admin-hold', transferId: ID, reason: 'Litigation hold, case 17' }],
  [['--json', 'admin', 'release', ID, '--reason', 'Case closed'], { name: 'admin-release', transferId: ID, reason: 'Case closed' }, true],
  [['admin', 'holds'], { name: 'admin-holds' }],
  [['admin', 'retention', 'report'], { name: 'admin-retention-report' }],
  [['admin', 'retention', 'report', '--json'], { name: 'admin-retention-report' }, true],
];

for (const [argv, command, json] of runs) {
  test(`parses: valise ${argv.join(' ')}`, () => {
    const outcome = parseCommandLine(argv);
    assert.equal(outcome.kind, 'run', outcome.kind === 'exit' ? outcome.stderr : '');
    if (outcome.kind !== 'run') return;
    assert.deepEqual(outcome.command, command);
    assert.equal(outcome.json, json ?? false);
  });
}

const usageErrors: [argv: string[], message: RegExp][] = [
  [[], /Usage: valise/],
  [['frobnicate'], /unknown command 'frobnicate'/],
  [['send', 'a.pdf'], /give recipients \(--to EMAIL\) or a team/],
  [['send', 'a.pdf', '--team', 'Lab', '--link'], /--link cannot be used with --team/],
  [['send', 'a.pdf', '--team', '  '], /team name is 1 to 200 characters/],
  [['team', 'create'], /missing required argument 'name'/],
  [['team', 'add', 'Lab', 'not-an-email'], /not an e-mail address/],
  [['send', '--to', 'x@y.example'], /missing required argument 'file'/],
  [['send', 'a.pdf', '--to', 'not-an-email'], /"not-an-email" is not an e-mail address/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--expires', '7w'], /"7w" is not a duration/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--expires', '0d'], /is not a duration/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--max-downloads', '0'], /whole number of at least 1/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--max-downloads', '2.5'], /whole number/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--message', 'x'.repeat(10_001)], /message is too long/],
  [['receive'], /missing required argument 'link-or-id'/],
  [['box', 'create', 'B', '--max-size', 'lots'], /is not a size/],
  [['box', 'create', 'B', '--domain', 'not a domain'], /is not an e-mail domain/],
  [['deposit', 'https://v.example/d/x#k'], /missing required argument 'file'/],
  [['login'], /missing required argument 'server-url'/],
  [['login', 'https://v.example', '--password', 'x'], /unknown option '--password'/],
  [['revoke', 'nope'], /transfer id has 22 characters/],
  [['admin'], /Usage: valise admin/],
  [['admin', 'invite', 'bad'], /not an e-mail address/],
  [['admin', 'classes', 'set', 'health', '--outside-recipients', 'maybe'], /not yes or no/],
  [['admin', 'classes', 'set', 'health', '--max-expiry', '3 days'], /not a duration/],
  [['admin', 'classes', 'set', 'health'], /nothing to change/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--class', '../etc'], /not a data class name/],
  [['admin', 'fsck', '--repair', '--grace', '1h'], /not a number of seconds from 0 to 600/],
  [['list', 'extra'], /too many arguments/],
  [['list', '--limit', '0'], /whole number of at least 1/],
  [['revoke', '--bogus'], /unknown option '--bogus'/],
  [['team', 'show', '--bogus'], /unknown option '--bogus'/],
  [['revoke', '-Bj0gwXy3H99DBzE-MhojA', '-Cj0gwXy3H99DBzE-MhojA'], /too many arguments/],
  [['list', '--limit', '5', '--all'], /--limit or --all, not both/],
  [['admin', 'hold', ID], /required option '--reason <text>'/],
  [['admin', 'hold', ID, '--reason', '   '], /reason as one line of 1 to 500 characters/],
  [['admin', 'hold', ID, '--reason', 'two\nlines'], /reason as one line/],
  [['admin', 'hold', ID, '--reason', 'x'.repeat(501)], /reason as one line/],
  [['admin', 'release', 'short', '--reason', 'done'], /transfer id has 22 characters/],
  [['admin', 'release', ID], /required option '--reason <text>'/],
  [['admin', 'retention'], /Usage: valise admin retention/],
  [['admin', 'holds', 'extra'], /too many arguments/],
];

for (const [argv, message] of usageErrors) {
  test(`usage error (exit 2): valise ${argv.join(' ').slice(0, 60)}`, () => {
    const outcome = parseCommandLine(argv);
    assert.equal(outcome.kind, 'exit');
    if (outcome.kind !== 'exit') return;
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, message);
    assert.doesNotMatch(outcome.stderr, /^error:/mu, 'errors are prefixed with "valise:"');
  });
}

test('--help exits 0 with the exit-code table; each command has --help', () => {
  const top = parseCommandLine(['--help']);
  assert.equal(top.kind, 'exit');
  if (top.kind !== 'exit') return;
  assert.equal(top.code, 0);
  assert.match(top.stdout, /Exit codes:/);
  for (const code of ['0', '1', '2', '3', '4', '5', '6', '7']) assert.match(top.stdout, new RegExp(`^  ${code} `, 'mu'));
  for (const cmd of [['enroll'], ['login'], ['logout'], ['send'], ['receive'], ['list'], ['revoke'], ['admin', 'invite'],
    ['admin', 'hold'], ['admin', 'release'], ['admin', 'holds'], ['admin', 'retention', 'report'], ['team', 'create'], ['team', 'remove']]) {
    const help = parseCommandLine([...cmd, '--help']);
    assert.equal(help.kind, 'exit');
    if (help.kind !== 'exit') continue;
    assert.equal(help.code, 0, cmd.join(' '));
    assert.match(help.stdout, new RegExp(`Usage: valise ${cmd.join(' ')}`));
  }
});

test('the retention report\'s help says when it exits 5', () => {
  const help = parseCommandLine(['admin', 'retention', 'report', '--help']);
  assert.ok(help.kind === 'exit' && help.code === 0);
  assert.match(help.stdout, /Exit code 0: no overdue transfer without a hold; 5: at least one/);
});

test('--version exits 0', () => {
  const v = parseCommandLine(['--version']);
  assert.ok(v.kind === 'exit' && v.code === 0 && /\d+\.\d+\.\d+/.test(v.stdout));
});
