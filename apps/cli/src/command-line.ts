// The command line of `valise`, parsed purely: argv in, a typed command (or help text and an exit code) out.
// Nothing here does I/O, so every case is table-tested (command-line.test.ts).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from './duration.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';

export const VERSION = '0.1.0';

export type CliCommand =
  | { name: 'enroll'; link: string }
  | { name: 'login'; serverUrl: string; email: string | undefined }
  | { name: 'logout' }
  | {
    name: 'send';
    files: string[];
    to: string[];
    expiresInSeconds: number | undefined;
    maxDownloads: number | undefined;
    dataClass: string | undefined;
    message: string | undefined;
    linkOnly: boolean;
    acceptNewKey: boolean;
    teams: string[];
  }
  | { name: 'receive'; link: string; out: string; email: string | undefined; acceptNewKey: boolean }
  | { name: 'inbox' }
  | { name: 'box-create'; boxName: string; expiresInSeconds: number | undefined; maxDeposits: number; maxDepositBytes: number; domains: string[]; dataClass: string | undefined; team: string | undefined }
  | { name: 'box-list' }
  | { name: 'box-close'; boxId: string }
  | { name: 'deposit'; link: string; files: string[]; email: string | undefined; depositorName: string | undefined; message: string | undefined }
  | { name: 'list'; limit: number | undefined; all: boolean }
  | { name: 'revoke'; transferId: string }
  | { name: 'deletion-record'; transferId: string }
  | { name: 'admin-invite'; email: string; admin: boolean }
  | { name: 'admin-fsck'; repair: boolean; graceSeconds: number }
  | { name: 'admin-classes-list' }
  | { name: 'admin-classes-set'; className: string; create: boolean; changes: DataClassChangeArgs }
  | { name: 'admin-hold'; transferId: string; reason: string }
  | { name: 'admin-release'; transferId: string; reason: string }
  | { name: 'admin-holds' }
  | { name: 'admin-retention-report' }
  | { name: 'keys-init' }
  | { name: 'keys-status' }
  | { name: 'keys-passphrase'; recovery: boolean }
  | { name: 'keys-recovery-code' }
  | { name: 'safety-number'; email: string; acceptNewKey: boolean }
  | { name: 'admin-org-key-init'; out: string | undefined }
  | { name: 'admin-sign-members'; key: string | undefined; yes: boolean }
  | { name: 'team-create'; teamName: string }
  | { name: 'team-list' }
  | { name: 'team-show'; team: string }
  | { name: 'team-add'; team: string; email: string; acceptNewKey: boolean }
  | { name: 'team-remove'; team: string; email: string; acceptNewKey: boolean };

/** What `valise admin classes set` changes; absent: unchanged (a new class starts from the server's defaults). */
export interface DataClassChangeArgs {
  description?: string;
  maxExpirySeconds?: number;
  defaultExpirySeconds?: number;
  maxDownloads?: number;
  deleteWhenDownloaded?: boolean;
  allowOutsideRecipients?: boolean;
}

export type ParseOutcome =
  | { kind: 'run'; command: CliCommand; json: boolean }
  | { kind: 'exit'; code: number; stdout: string; stderr: string };

const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/u;
const TRANSFER_ID = /^[A-Za-z0-9_-]{22}$/u;

function emailArg(value: string): string {
  const email = value.trim();
  if (!EMAIL.test(email) || email.length > 254) throw new InvalidArgumentError(`"${value}" is not an e-mail address.`);
  return email;
}

const DATA_CLASS = /^[a-z][a-z0-9-]{0,31}$/u;

function dataClassArg(value: string): string {
  const name = value.trim().toLowerCase();
  if (!DATA_CLASS.test(name)) throw new InvalidArgumentError(`"${value}" is not a data class name (letters, digits and dashes).`);
  return name;
}

/** `--to a@x b@y`, `--to a@x,b@y` and repeated `--to` all add up. */
function collectRecipients(value: string, previous: string[] | undefined): string[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(emailArg);
  return [...(previous ?? []), ...list];
}

function collectTeams(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), teamNameArg(value)];
}

function teamNameArg(value: string): string {
  if (value.startsWith('--')) throw new InvalidArgumentError(`unknown option '${value}'.`);
  const name = value.trim();
  if (name === '' || name.length > 200 || /[\u0000-\u001f\u007f-\u009f]/u.test(name)) throw new InvalidArgumentError('a team name is 1 to 200 characters on one line.');
  return name;
}

function graceArg(value: string): number {
  const seconds = Number(value);
  if (!/^[0-9]{1,3}$/u.test(value) || seconds > 600) throw new InvalidArgumentError(`"${value}" is not a number of seconds from 0 to 600.`);
  return seconds;
}

function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function yesNoArg(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw new InvalidArgumentError(`"${value}" is not yes or no.`);
}

function positiveIntArg(value: string): number {
  if (!/^[1-9][0-9]{0,8}$/u.test(value.trim())) throw new InvalidArgumentError('use a whole number of at least 1.');
  return Number(value.trim());
}

/** A legal hold's reason: one line of 1 to 500 characters (the server checks it too). */
function reasonArg(value: string): string {
  const reason = value.trim();
  // eslint-disable-next-line no-control-regex
  if (reason === '' || [...reason].length > 500 || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(reason)) {
    throw new InvalidArgumentError('give the reason as one line of 1 to 500 characters.');
  }
  return reason;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** `500MB`, `2GiB`, `1.5 GB`, `1048576` (bytes). */
export function parseSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/iu.exec(value);
  const unit = SIZE_UNITS[(m?.[2] || 'b').toLowerCase()];
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new InvalidArgumentError(`"${value}" is not a size (e.g. 500MB, 2GiB).`);
  return bytes;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/u;

function collectDomains(value: string, previous: string[] | undefined): string[] {
  const list = value.split(',').map((s) => s.trim().toLowerCase().replace(/^@/u, '')).filter((s) => s !== '');
  for (const d of list) if (!DOMAIN.test(d)) throw new InvalidArgumentError(`"${d}" is not an e-mail domain (e.g. lab.example).`);
  return [...(previous ?? []), ...list];
}

function boxNameArg(value: string): string {
  const name = value.trim();
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.length > 200 || /[\u0000-\u001f\u007f-\u009f]/u.test(name)) throw new InvalidArgumentError('a box name is 1 to 200 characters on one line.');
  return name;
}

function transferIdArg(value: string): string {
  if (value.startsWith('--')) throw new InvalidArgumentError(`unknown option '${value}'.`);
  if (!TRANSFER_ID.test(value.trim())) throw new InvalidArgumentError('a transfer id has 22 characters (see `valise list`).');
  return value.trim();
}

/**
 * For commands taking an id: ids are base64url, so one in 64 starts with '-', which commander would otherwise refuse
 * as an unknown option. Unknown options then reach the argument's own check, which names them.
 */
function takingIds(command: Command): Command {
  return command.allowUnknownOption();
}

/** Builds the commander program; `onRun` receives the parsed command. */
export function buildProgram(onRun: (command: CliCommand, json: boolean) => void, out: { writeOut(s: string): void; writeErr(s: string): void }): Command {
  const program = new Command('valise')
    .description('Valise: end-to-end encrypted file exchange. Files are encrypted on this computer before they are sent.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'machine-readable output on stdout (no progress bars)')
    .helpOption('-h, --help', 'show help for a command')
    .configureOutput({ writeOut: out.writeOut, writeErr: out.writeErr, outputError: (s, write) => write(s.replace(/^error: /u, 'valise: ')) })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nSecrets are never taken from the command line: passwords and codes are asked for (or read from stdin).\nEnvironment: VALISE_CONFIG_DIR (credentials and resume data; default ~/.config/valise), VALISE_DEBUG=1,\nVALISE_SEAL_THREADS (threads that encrypt for send, 0 to 8; default by core count).`);
  const json = (cmd: Command) => Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);

  program.command('enroll')
    .description('accept an invitation: set a password and an authenticator app')
    .argument('<enrollment-link>', 'the link from the invitation e-mail (…/enroll#…)')
    .addHelpText('after', '\nExample:\n  valise enroll "https://valise.example.org/enroll#3q2-…"')
    .action((link: string, _o, cmd: Command) => onRun({ name: 'enroll', link }, json(cmd)));

  program.command('login')
    .description('sign in to a Valise server (asks the password and the authenticator code)')
    .argument('<server-url>', 'the address of the Valise server, e.g. https://valise.example.org')
    .option('--email <email>', 'your e-mail address (asked if missing)', emailArg)
    .addHelpText('after', '\nExample:\n  valise login https://valise.example.org --email dr.martin@hospital.example')
    .action((serverUrl: string, o: { email?: string }, cmd: Command) => onRun({ name: 'login', serverUrl, email: o.email }, json(cmd)));

  program.command('logout')
    .description('sign out: revoke this computer\'s token and delete the stored credentials')
    .action((_o, cmd: Command) => onRun({ name: 'logout' }, json(cmd)));

  program.command('send')
    .description('encrypt and send files; prints the link to give the recipients')
    .argument('<file...>', 'files to send')
    .option('--to <email...>', 'recipients (repeat, or separate with commas)', collectRecipients)
    .option('--team <name>', 'a team (e.g. "Virology lab") that receives it in its members\' inboxes (repeat for several)', collectTeams)
    .option('--expires <duration>', 'how long the link works: 90s, 15m, 12h, 7d (default: the server\'s)', durationArg)
    .option('--max-downloads <n>', 'how many times the files may be downloaded (default: the server\'s)', positiveIntArg)
    .option('--class <name>', 'data class, the retention policy set by your administrators: health, standard, … (default: the server\'s)', dataClassArg)
    .option('--message <text>', 'a message for the recipients (encrypted with the files)')
    .addOption(new Option('--link', 'send by link to everyone, even colleagues who have keys').default(false))
    .addOption(new Option('--accept-new-key', 'a recipient\'s key changed and you checked with them: trust the new one').default(false))
    .addHelpText('after', [
      '',
      'Colleagues whose keys your organisation signed receive it in their Valise inbox, encrypted to their keys and',
      'signed by yours (your key passphrase is asked): no link. Everyone else gets the link printed here.',
      'An interrupted send resumes where it stopped when run again with the same files.',
      '',
      'Examples:',
      '  valise send results.pdf --to dr.martin@clinic.example',
      '  valise send scan1.dcm scan2.dcm --to a@lab.example,b@lab.example --expires 2d --max-downloads 3',
      '  valise send report.pdf --to a@lab.example --json',
      '  valise send results.pdf --team "Virology lab"',
    ].join('\n'))
    .action((files: string[], o: { to?: string[]; team?: string[]; expires?: number; maxDownloads?: number; class?: string; message?: string; link: boolean; acceptNewKey: boolean }, cmd: Command) => {
      if (!o.to?.length && !o.team?.length) cmd.error('error: give recipients (--to EMAIL) or a team (--team NAME)', { exitCode: EXIT.usage, code: 'valise.noRecipient' });
      if (o.team?.length && o.link) cmd.error('error: --link cannot be used with --team (a team receives in its inbox)', { exitCode: EXIT.usage, code: 'valise.teamLink' });
      onRun({
        name: 'send', files, to: o.to ?? [], teams: o.team ?? [], expiresInSeconds: o.expires, maxDownloads: o.maxDownloads, dataClass: o.class, message: o.message,
        linkOnly: o.link, acceptNewKey: o.acceptNewKey,
      }, json(cmd));
    });

  takingIds(program.command('receive'))
    .description('download and decrypt the files of a link (asks the code sent by e-mail), or of a transfer in your inbox')
    .argument('<link-or-id>', 'the transfer link, including the part after #; or the id `valise inbox` shows')
    .option('--out <dir>', 'folder to save the files in', '.')
    .option('--email <email>', 'your e-mail address as the sender wrote it (asked if missing)', emailArg)
    .addOption(new Option('--accept-new-key', 'the sender\'s key changed and you checked with them: trust the new one').default(false))
    .addHelpText('after', [
      '',
      'Quote the link: the part after # is the key, and shells treat # and & specially.',
      'If you are signed in to the link\'s server and are a recipient, no code is needed (omit --email).',
      'Interrupted? Run the same command again within 30 minutes: it resumes without a code or another download.',
      '',
      'Examples:',
      '  valise receive "https://valise.example.org/t/AbC…#xyz…" --out ~/Downloads',
      '  valise receive "https://valise.example.org/t/AbC…#xyz…" --email me@lab.example --json',
      '  valise receive q8W1nVJ3kP0aZt7yXc2mLg --out ~/Results      (from `valise inbox`: asks your key passphrase)',
    ].join('\n'))
    .action((link: string, o: { out: string; email?: string; acceptNewKey: boolean }, cmd: Command) =>
      onRun({ name: 'receive', link, out: o.out, email: o.email, acceptNewKey: o.acceptNewKey }, json(cmd)));

  const box = program.command('box').description('drop boxes: a link through which anyone can deliver files only you can open');
  box.command('create')
    .description('create a drop box (asks your key passphrase) and print its link')
    .argument('<name>', 'what depositors see, e.g. "Virology lab — results"', boxNameArg)
    .option('--expires <duration>', 'how long the box takes deposits: 90s, 15m, 12h, 30d (default: the longest its data class allows)', durationArg)
    .option('--max-deposits <n>', 'how many deposits it takes', positiveIntArg, 100)
    .option('--max-size <size>', 'largest deposit (all its files): 500MB, 2GiB…', parseSize, 2 * 2 ** 30)
    .option('--domain <domain...>', 'only depositors whose address is at this domain (repeat, or commas)', collectDomains)
    .option('--class <name>', 'data class of the deposits (retention: how long they are kept)', dataClassArg)
    .option('--team <name>', 'a team of yours owns the box: every member of the team can open its deposits', teamNameArg)
    .addHelpText('after', [
      '',
      'Your key must be signed by your organisation (`valise keys`). The link holds the box\'s key after #: a depositor\'s',
      'client checks the box\'s name and key against it, so the server cannot swap them.',
      '',
      'Example:',
      '  valise box create "Virology lab — results" --domain lab.example --max-size 5GiB --class health',
      '  valise box create "Results for the virology lab" --team "Virology lab"',
    ].join('\n'))
    .action((boxName: string, o: { expires?: number; maxDeposits: number; maxSize: number; domain?: string[]; class?: string; team?: string }, cmd: Command) =>
      onRun({
        name: 'box-create', boxName, expiresInSeconds: o.expires, maxDeposits: o.maxDeposits, maxDepositBytes: o.maxSize, domains: o.domain ?? [],
        dataClass: o.class, team: o.team,
      }, json(cmd)));
  box.command('list', { isDefault: true })
    .description('your drop boxes, with their links')
    .action((_o, cmd: Command) => onRun({ name: 'box-list' }, json(cmd)));
  takingIds(box.command('close'))
    .description('stop taking deposits (deposits already made stay until they expire)')
    .argument('<box-id>', 'the id shown by `valise box list`', transferIdArg)
    .action((boxId: string, _o, cmd: Command) => onRun({ name: 'box-close', boxId }, json(cmd)));

  program.command('deposit')
    .description('deliver files into a drop box (no account needed: a code is e-mailed to you)')
    .argument('<link>', 'the drop-box link, including the part after #')
    .argument('<file...>', 'files to deliver')
    .option('--email <email>', 'your e-mail address (asked if missing)', emailArg)
    .option('--name <name>', 'your name or organisation, shown to the recipients (asked if missing)', boxNameArg)
    .option('--message <text>', 'a message for the recipients (encrypted with the files)')
    .addHelpText('after', [
      '',
      'The files are encrypted on this computer to the box\'s key: only the box\'s owners can open them, not you',
      'afterwards, not the server. You get a receipt (also e-mailed).',
      '',
      'Example:',
      '  valise deposit "https://valise.example.org/d/AbC…#xyz…" results.csv --email tech@lab.example --name "Lab Durand"',
    ].join('\n'))
    .action((link: string, files: string[], o: { email?: string; name?: string; message?: string }, cmd: Command) =>
      onRun({ name: 'deposit', link, files, email: o.email, depositorName: o.name, message: o.message }, json(cmd)));

  program.command('inbox')
    .description('transfers colleagues sent to your keys or your teams (no link needed); open one with `valise receive ID`')
    .action((_o, cmd: Command) => onRun({ name: 'inbox' }, json(cmd)));

  const team = program.command('team').description('team mailboxes: a service (e.g. "Virology lab") whose members all receive what is sent to it');
  team.command('create')
    .description('create a team with you as its first member (asks your key passphrase)')
    .argument('<name>', 'the team\'s name, e.g. "Virology lab"', teamNameArg)
    .addHelpText('after', [
      '',
      'The team\'s keys are made on this computer and sealed to each member\'s key: the server cannot open them.',
      'An administrator signs the team (`valise admin sign-members`) before colleagues can send to it.',
    ].join('\n'))
    .action((teamName: string, _o, cmd: Command) => onRun({ name: 'team-create', teamName }, json(cmd)));
  team.command('list', { isDefault: true })
    .description('the teams you belong to')
    .action((_o, cmd: Command) => onRun({ name: 'team-list' }, json(cmd)));
  takingIds(team.command('show'))
    .description('a team\'s members and drop boxes')
    .argument('<team>', 'the team\'s name or id', teamNameArg)
    .action((teamRef: string, _o, cmd: Command) => onRun({ name: 'team-show', team: teamRef }, json(cmd)));
  takingIds(team.command('add'))
    .description('add a member (their key must be signed by your organisation; asks your key passphrase)')
    .argument('<team>', 'the team\'s name or id', teamNameArg)
    .argument('<email>', 'the new member\'s address', emailArg)
    .addOption(new Option('--accept-new-key', 'their key changed and you checked with them: trust the new one').default(false))
    .addHelpText('after', '\nThe new member can open everything the team holds, including what it received before.')
    .action((teamRef: string, email: string, o: { acceptNewKey: boolean }, cmd: Command) =>
      onRun({ name: 'team-add', team: teamRef, email, acceptNewKey: o.acceptNewKey }, json(cmd)));
  takingIds(team.command('remove'))
    .description('remove a member (or leave): new team keys for the others and the team\'s drop boxes')
    .argument('<team>', 'the team\'s name or id', teamNameArg)
    .argument('<email>', 'the member\'s address', emailArg)
    .addOption(new Option('--accept-new-key', 'a member\'s key changed and you checked with them: trust the new one').default(false))
    .addHelpText('after', [
      '',
      'Files are not re-encrypted: what is sent or deposited from now on is sealed to keys the removed member never',
      'held. Removal is not retroactive: what they could open before, they may have kept.',
    ].join('\n'))
    .action((teamRef: string, email: string, o: { acceptNewKey: boolean }, cmd: Command) =>
      onRun({ name: 'team-remove', team: teamRef, email, acceptNewKey: o.acceptNewKey }, json(cmd)));

  program.command('list')
    .description('list the transfers you sent, newest first (the newest 50 unless told otherwise)')
    .option('--limit <n>', 'show the newest N', positiveIntArg)
    .option('--all', 'show every one')
    .action((o: { limit?: number; all?: boolean }, cmd: Command) => {
      if (o.limit !== undefined && o.all) cmd.error('error: use --limit or --all, not both', { exitCode: EXIT.usage, code: 'valise.listLimitAll' });
      onRun({ name: 'list', limit: o.limit, all: o.all ?? false }, json(cmd));
    });

  takingIds(program.command('revoke'))
    .description('close a transfer now: its link stops working and its files are deleted')
    .argument('<transfer-id>', 'the id shown by `valise list`', transferIdArg)
    .action((transferId: string, _o, cmd: Command) => onRun({ name: 'revoke', transferId }, json(cmd)));

  takingIds(program.command('deletion-record'))
    .description('the proof that a purged transfer was deleted: each stored part, its SHA-256, confirmed gone')
    .argument('<transfer-id>', 'the id shown by `valise list`', transferIdArg)
    .action((transferId: string, _o, cmd: Command) => onRun({ name: 'deletion-record', transferId }, json(cmd)));

  const keys = program.command('keys').description('your keys: transfers sent to you as a member are encrypted to them');
  keys.command('init')
    .description('create your keys on this computer (asks a key passphrase; shows a recovery code once)')
    .addHelpText('after', [
      '',
      'Your private keys are stored on the server only sealed under your key passphrase (or recovery code): the',
      'server cannot open them. Lose every way to unlock them and nobody can open what was sent to you.',
    ].join('\n'))
    .action((_o, cmd: Command) => onRun({ name: 'keys-init' }, json(cmd)));
  keys.command('status', { isDefault: true })
    .description('your key\'s fingerprint, whether your organisation signed it, and your unlock methods')
    .action((_o, cmd: Command) => onRun({ name: 'keys-status' }, json(cmd)));
  keys.command('passphrase')
    .description('change your key passphrase (your keys and received transfers stay as they are)')
    .addOption(new Option('--recovery-code', 'forgot it? unlock with your recovery code instead').default(false))
    .action((o: { recoveryCode: boolean }, cmd: Command) => onRun({ name: 'keys-passphrase', recovery: o.recoveryCode }, json(cmd)));
  keys.command('recovery-code')
    .description('make a new recovery code (shown once; the old one stops working)')
    .action((_o, cmd: Command) => onRun({ name: 'keys-recovery-code' }, json(cmd)));

  program.command('safety-number')
    .description('the number you and a colleague compare to be sure you see each other\'s real keys')
    .argument('<email>', 'your colleague\'s address', emailArg)
    .addOption(new Option('--accept-new-key', 'their key changed and you checked with them: trust the new one').default(false))
    .action((email: string, o: { acceptNewKey: boolean }, cmd: Command) => onRun({ name: 'safety-number', email, acceptNewKey: o.acceptNewKey }, json(cmd)));

  const admin = program.command('admin').description('administration commands (most run on the server host)');
  const orgKey = admin.command('org-key').description('the organisation key, kept offline on an administrator\'s machine');
  orgKey.command('init')
    .description('create the organisation key (asks its passphrase) and print the public key for the server')
    .option('--out <file>', 'where to write it (default: org-key.json in your Valise config folder)')
    .action((o: { out?: string }, cmd: Command) => onRun({ name: 'admin-org-key-init', out: o.out }, json(cmd)));
  admin.command('sign-members')
    .description('sign the keys of members and the teams waiting for it, with the organisation key (as a signed-in administrator)')
    .option('--key <file>', 'the organisation key file (default: org-key.json in your Valise config folder)')
    .addOption(new Option('--yes', 'sign every waiting key without asking one by one').default(false))
    .addHelpText('after', [
      '',
      'Each member\'s fingerprint is shown: compare it with the one they read from `valise keys status`, by phone',
      'or in person, before signing. Runs on your machine, against the server you are signed in to.',
    ].join('\n'))
    .action((o: { key?: string; yes: boolean }, cmd: Command) => onRun({ name: 'admin-sign-members', key: o.key, yes: o.yes }, json(cmd)));
  admin.command('invite')
    .description('invite a member: prints the enrollment link to give them (uses the server\'s configuration)')
    .argument('<email>', 'the new member\'s e-mail address', emailArg)
    .addOption(new Option('--admin', 'make the member an administrator').default(false))
    .addHelpText('after', '\nRun it where the server runs, with the same VALISE_* environment:\n  valise admin invite dr.martin@hospital.example')
    .action((email: string, o: { admin: boolean }, cmd: Command) => onRun({ name: 'admin-invite', email, admin: o.admin }, json(cmd)));
  admin.command('fsck')
    .description('compare stored files with the database: stored objects of no transfer, recorded parts missing from storage')
    .addOption(new Option('--repair', 'delete the orphan objects and forget lost parts of unfinished uploads (recorded in the audit log)').default(false))
    .addOption(new Option('--grace <seconds>', 'with --repair: wait before deleting, so that a part being uploaded now gets recorded first')
      .default(10).argParser(graceArg))
    .addHelpText('after', [
      '',
      'Exit code 0: nothing amiss, or everything repaired; 5: something is amiss and was left as it is.',
      'A finalized transfer with a missing part is reported, never changed: revoke it if it cannot be sent again.',
    ].join('\n'))
    .action((o: { repair: boolean; grace: number }, cmd: Command) => onRun({ name: 'admin-fsck', repair: o.repair, graceSeconds: o.grace }, json(cmd)));

  const classes = admin.command('classes').description('data classes: the retention policies every transfer lives under');
  classes.command('list', { isDefault: true })
    .description('list the data classes (the default of `valise admin classes`)')
    .action((_o, cmd: Command) => onRun({ name: 'admin-classes-list' }, json(cmd)));
  classes.command('set')
    .description('change a data class (or create one with --create); recorded in the audit log')
    .argument('<name>', 'the class: lowercase letters, digits and dashes', dataClassArg)
    .addOption(new Option('--create', 'create a new class (refused if it exists)').default(false))
    .option('--max-expiry <duration>', 'longest lifetime of a transfer, counted from its creation: 90s, 15m, 12h, 7d', durationArg)
    .option('--default-expiry <duration>', 'lifetime when the sender does not choose', durationArg)
    .option('--max-downloads <n>', 'largest number of downloads of one transfer', positiveIntArg)
    .option('--delete-when-downloaded <yes|no>', 'close and purge once every recipient has downloaded', yesNoArg)
    .option('--outside-recipients <yes|no>', 'allow recipients without a member account', yesNoArg)
    .option('--description <text>', 'one line telling senders what the class is for')
    .addHelpText('after', [
      '',
      'Tightening a class applies at once to its live transfers: an expiry moves earlier (to creation + the new',
      'maximum), a download limit down (never below the downloads already used). Loosening never lengthens them.',
      'The installation\'s ceilings VALISE_MAX_EXPIRY and VALISE_MAX_DOWNLOADS bound every class.',
      '',
      'Examples:',
      '  valise admin classes',
      '  valise admin classes set health --max-expiry 3d --default-expiry 1d',
      '  valise admin classes set internal --create --max-expiry 14d --default-expiry 7d --outside-recipients no',
    ].join('\n'))
    .action((className: string, o: { create: boolean; maxExpiry?: number; defaultExpiry?: number; maxDownloads?: number;
      deleteWhenDownloaded?: boolean; outsideRecipients?: boolean; description?: string }, cmd: Command) => {
      const changes: DataClassChangeArgs = {
        ...(o.description === undefined ? {} : { description: o.description }),
        ...(o.maxExpiry === undefined ? {} : { maxExpirySeconds: o.maxExpiry }),
        ...(o.defaultExpiry === undefined ? {} : { defaultExpirySeconds: o.defaultExpiry }),
        ...(o.maxDownloads === undefined ? {} : { maxDownloads: o.maxDownloads }),
        ...(o.deleteWhenDownloaded === undefined ? {} : { deleteWhenDownloaded: o.deleteWhenDownloaded }),
        ...(o.outsideRecipients === undefined ? {} : { allowOutsideRecipients: o.outsideRecipients }),
      };
      if (!o.create && Object.keys(changes).length === 0) {
        cmd.error('error: nothing to change: give at least one option (see --help)', { exitCode: EXIT.usage });
      }
      onRun({ name: 'admin-classes-set', className, create: o.create, changes }, json(cmd));
    });

  takingIds(admin.command('hold'))
    .description('place a legal hold: the transfer is kept from the purge until released (it still stops working at its expiry)')
    .argument('<transfer-id>', 'the transfer to keep (22 characters)', transferIdArg)
    .requiredOption('--reason <text>', 'why, in one line (recorded in the hold and the audit log)', reasonArg)
    .addHelpText('after', [
      '',
      'A held transfer is never served past its expiry: recipients see it expired as usual; only its encrypted files',
      'and records are kept. A transfer can have one active hold; `valise admin holds` lists them.',
      '',
      'Example:',
      '  valise admin hold q8W1nVJ3kP0aZt7yXc2mLg --reason "Litigation hold, case 2030-117 (legal dept.)"',
    ].join('\n'))
    .action((transferId: string, o: { reason: string }, cmd: Command) => onRun({ name: 'admin-hold', transferId, reason: o.reason }, json(cmd)));
  takingIds(admin.command('release'))
    .description('release a legal hold; a transfer past its deadline is then purged at once')
    .argument('<transfer-id>', 'the held transfer', transferIdArg)
    .requiredOption('--reason <text>', 'why, in one line (recorded in the hold and the audit log)', reasonArg)
    .addHelpText('after', [
      '',
      'Exit code 0: released (and purged, if it was past its deadline); 5: released, but the purge failed (the purge',
      'job retries it; see `valise admin retention report`).',
    ].join('\n'))
    .action((transferId: string, o: { reason: string }, cmd: Command) => onRun({ name: 'admin-release', transferId, reason: o.reason }, json(cmd)));
  admin.command('holds')
    .description('list the active legal holds')
    .action((_o, cmd: Command) => onRun({ name: 'admin-holds' }, json(cmd)));
  const retention = admin.command('retention').description('retention: what is stored, and whether deletions keep their deadlines');
  retention.command('report')
    .description('live transfers by data class and age, overdue transfers, legal holds, purge lag, the last purge run')
    .addHelpText('after', [
      '',
      'A transfer is overdue when it is past its deadline (its expiry, or when it was closed) by more than twice the',
      'purge interval and is not purged yet. Overdue transfers under a legal hold are listed, marked held.',
      'Exit code 0: no overdue transfer without a hold; 5: at least one (the purge is not keeping up: see the logs).',
    ].join('\n'))
    .action((_o, cmd: Command) => onRun({ name: 'admin-retention-report' }, json(cmd)));

  return program;
}

/** Parses argv (without node and the script). Pure: output that commander would print is returned instead. */
export function parseCommandLine(argv: readonly string[]): ParseOutcome {
  let stdout = '';
  let stderr = '';
  let result: { command: CliCommand; json: boolean } | undefined;
  const program = buildProgram((command, json) => {
    result = { command, json };
  }, { writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // --help and --version exit 0; everything else commander rejects (including a bare `valise`) is a usage error.
    return { kind: 'exit', code: e.exitCode === 0 ? EXIT.ok : EXIT.usage, stdout, stderr };
  }
  if (!result) {
    // `valise` alone or `valise admin`: show help on stderr, as a usage error.
    return { kind: 'exit', code: EXIT.usage, stdout, stderr: stderr || program.helpInformation() };
  }
  if (result.command.name === 'send' && result.command.message !== undefined && result.command.message.length > 10_000) {
    return { kind: 'exit', code: EXIT.usage, stdout, stderr: 'valise: the message is too long (10,000 characters at most)\n' };
  }
  return { kind: 'run', ...result };
}
