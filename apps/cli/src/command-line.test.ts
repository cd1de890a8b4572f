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
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, message: undefined }],
  [['send', 'a.pdf', 'b.pdf', '--to', 'x@y.example', 'z@y.example', '--expires', '7d', '--max-downloads', '3', '--message', 'hello'],
    { name: 'send', files: ['a.pdf', 'b.pdf'], to: ['x@y.example', 'z@y.example'], expiresInSeconds: 604800, maxDownloads: 3, message: 'hello' }],
  [['send', 'a.pdf', '--to', 'x@y.example,z@y.example', '--to', 'w@y.example', '--expires', '90s'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example', 'z@y.example', 'w@y.example'], expiresInSeconds: 90, maxDownloads: undefined, message: undefined }],
  [['send', '--to', 'x@y.example', '--', 'a.pdf'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, message: undefined }],
  [['send', 'a.pdf', '--to', 'x@y.example', '--json'],
    { name: 'send', files: ['a.pdf'], to: ['x@y.example'], expiresInSeconds: undefined, maxDownloads: undefined, message: undefined }, true],
  [['receive', 'https://v.example/t/x#y'], { name: 'receive', link: 'https://v.example/t/x#y', out: '.', email: undefined }],
  [['receive', 'L', '--out', '/tmp/o', '--email', 'me@lab.example'], { name: 'receive', link: 'L', out: '/tmp/o', email: 'me@lab.example' }],
  [['--json', 'list'], { name: 'list' }, true],
  [['list', '--json'], { name: 'list' }, true],
  [['list'], { name: 'list' }, false],
  [['revoke', ID], { name: 'revoke', transferId: ID }],
  [['admin', 'invite', 'new@h.example'], { name: 'admin-invite', email: 'new@h.example', admin: false }],
  [['admin', 'invite', 'new@h.example', '--admin'], { name: 'admin-invite', email: 'new@h.example', admin: true }],
  [['admin', 'fsck'], { name: 'admin-fsck', repair: false, graceSeconds: 10 }],
  [['admin', 'fsck', '--repair', '--grace', '0'], { name: 'admin-fsck', repair: true, graceSeconds: 0 }],
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
  [['send', 'a.pdf'], /required option '--to/],
  [['send', '--to', 'x@y.example'], /missing required argument 'file'/],
  [['send', 'a.pdf', '--to', 'not-an-email'], /"not-an-email" is not an e-mail address/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--expires', '7w'], /"7w" is not a duration/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--expires', '0d'], /is not a duration/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--max-downloads', '0'], /whole number of at least 1/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--max-downloads', '2.5'], /whole number/],
  [['send', 'a.pdf', '--to', 'x@y.example', '--message', 'x'.repeat(10_001)], /message is too long/],
  [['receive'], /missing required argument 'link'/],
  [['login'], /missing required argument 'server-url'/],
  [['login', 'https://v.example', '--password', 'x'], /unknown option '--password'/],
  [['revoke', 'nope'], /transfer id has 22 characters/],
  [['admin'], /Usage: valise admin/],
  [['admin', 'invite', 'bad'], /not an e-mail address/],
  [['admin', 'fsck', '--repair', '--grace', '1h'], /not a number of seconds from 0 to 600/],
  [['list', 'extra'], /too many arguments/],
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
  for (const cmd of [['enroll'], ['login'], ['logout'], ['send'], ['receive'], ['list'], ['revoke'], ['admin', 'invite']]) {
    const help = parseCommandLine([...cmd, '--help']);
    assert.equal(help.kind, 'exit');
    if (help.kind !== 'exit') continue;
    assert.equal(help.code, 0, cmd.join(' '));
    assert.match(help.stdout, new RegExp(`Usage: valise ${cmd.join(' ')}`));
  }
});

test('--version exits 0', () => {
  const v = parseCommandLine(['--version']);
  assert.ok(v.kind === 'exit' && v.code === 0 && /\d+\.\d+\.\d+/.test(v.stdout));
});
