// Entry point of `valise`: parse, run one command, and turn every outcome into one exit code (the only place
// that decides exit codes). Errors are one line on stderr, without stack (VALISE_DEBUG=1 shows it).
import { type CliCommand, parseCommandLine } from './command-line.js';
import { loadCliConfig } from './config.js';
import { type CliIo, createContext } from './context.js';
import { EXIT, InterruptedError, exitCodeFor } from './exit-codes.js';
import { describeError } from './messages.js';
import { createPrompter } from './prompt.js';
import { runEnroll, runLogin, runLogout } from './commands/accounts.js';
import { runAdminFsck, runAdminInvite } from './commands/admin.js';
import { runAdminClassesList, runAdminClassesSet } from './commands/admin-classes.js';
import { runAdminHold, runAdminHolds, runAdminRelease, runAdminRetentionReport } from './commands/admin-retention.js';
import { runReceive } from './commands/receive.js';
import { runSend } from './commands/send.js';
import { runList, runDeletionRecord, runRevoke } from './commands/transfers.js';
import { runKeysInit, runKeysPassphrase, runKeysRecoveryCode, runKeysStatus, runSafetyNumber } from './commands/keys.js';
import { runOrgKeyInit, runSignMembers } from './commands/admin-org-key.js';
import { runInbox } from './commands/inbox.js';
import { runTeamAdd, runTeamCreate, runTeamList, runTeamRemove, runTeamShow } from './commands/teams.js';
import { runBoxClose, runBoxCreate, runBoxList, runDeposit } from './commands/boxes.js';
import type { CliContext } from './context.js';

function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

async function run(ctx: CliContext, command: CliCommand): Promise<number | void> {
  switch (command.name) {
    case 'enroll': return runEnroll(ctx, command);
    case 'login': return runLogin(ctx, command);
    case 'logout': return runLogout(ctx);
    case 'send': return runSend(ctx, command);
    case 'receive': return runReceive(ctx, command);
    case 'list': return runList(ctx, command);
    case 'deletion-record': return runDeletionRecord(ctx, command);
    case 'revoke': return runRevoke(ctx, command);
    case 'admin-invite': return runAdminInvite(ctx, command);
    case 'admin-fsck': return runAdminFsck(ctx, command);
    case 'admin-classes-list': return runAdminClassesList(ctx);
    case 'admin-classes-set': return runAdminClassesSet(ctx, command);
    case 'admin-hold': return runAdminHold(ctx, command);
    case 'admin-release': return runAdminRelease(ctx, command);
    case 'admin-holds': return runAdminHolds(ctx);
    case 'admin-retention-report': return runAdminRetentionReport(ctx);
    case 'inbox': return runInbox(ctx);
    case 'box-create': return runBoxCreate(ctx, { ...command, name: command.boxName });
    case 'box-list': return runBoxList(ctx);
    case 'box-close': return runBoxClose(ctx, command);
    case 'deposit': return runDeposit(ctx, { ...command, name: command.depositorName });
    case 'keys-init': return runKeysInit(ctx);
    case 'keys-status': return runKeysStatus(ctx);
    case 'keys-passphrase': return runKeysPassphrase(ctx, command);
    case 'keys-recovery-code': return runKeysRecoveryCode(ctx);
    case 'safety-number': return runSafetyNumber(ctx, command);
    case 'admin-org-key-init': return runOrgKeyInit(ctx, command);
    case 'admin-sign-members': return runSignMembers(ctx, command);
    case 'team-create': return runTeamCreate(ctx, command);
    case 'team-list': return runTeamList(ctx);
    case 'team-show': return runTeamShow(ctx, command);
    case 'team-add': return runTeamAdd(ctx, command);
    case 'team-remove': return runTeamRemove(ctx, command);
  }
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'exit') {
    io.stdout.write(parsed.stdout);
    io.stderr.write(parsed.stderr);
    return parsed.code;
  }
  const config = loadCliConfig(io.env);
  const prompter = createPrompter(io);
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    for (const cleanup of cleanups) cleanup();
    if (interrupts > 1) process.exit(EXIT.interrupted); // a second Ctrl-C does not wait
    controller.abort(new InterruptedError());
  };
  process.on('SIGINT', onSigint);
  const ctx = createContext({ io, config, json: parsed.json, prompter, signal: controller.signal, onInterrupt: (f) => cleanups.push(f) });
  try {
    return (await run(ctx, parsed.command)) ?? EXIT.ok;
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    const code = exitCodeFor(reason);
    const message = describeError(reason);
    io.stderr.write(`valise: ${message}\n`);
    if (config.debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (parsed.json) io.stdout.write(`${JSON.stringify({ error: { message, exitCode: code, ...(errorCode(reason) ? { code: errorCode(reason) } : {}) } })}\n`);
    return code;
  } finally {
    process.off('SIGINT', onSigint);
    prompter.close();
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown; failure?: unknown } | undefined);
  if (typeof code?.failure === 'string') return code.failure;
  return typeof code?.code === 'string' ? code.code : undefined;
}
