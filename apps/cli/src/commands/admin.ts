// `valise admin invite EMAIL [--admin]`: runs ON THE SERVER HOST, with the server's own configuration
// (VALISE_* environment), and creates the invitation directly through the server's accounts service.
import { serverEnvironment } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

/**
 * What the CLI expects from `@valise/server` (see apps/cli/README.md). Loaded with a computed specifier so
 * that the CLI neither compiles against the server nor loads its dependencies for any other command.
 */
export interface ServerAdminModule {
  loadConfig(env?: Readonly<Record<string, string | undefined>>): unknown;
  createServerContext(config: unknown, options?: { logger?: unknown }): Promise<ServerContextLike> | ServerContextLike;
  inviteMember(ctx: ServerContextLike, email: string, options: { admin: boolean }): Promise<InvitationResult>;
  /** The server's logger factory, when exported: its lines then go to stderr, never mixed with the link on stdout. */
  createLogger?(options: { level: string; stream: { write(line: string): unknown } }): unknown;
}

export interface ServerContextLike {
  close?(): Promise<void> | void;
}

export interface InvitationResult {
  /** `<public url>/enroll#<token>`: give it to the new member over a trusted channel. */
  enrollmentLink: string;
  expiresAt?: number;
}

export async function loadServerAdmin(): Promise<ServerAdminModule> {
  const specifier = '@valise/server';
  let mod: Partial<ServerAdminModule>;
  try {
    mod = (await import(specifier)) as Partial<ServerAdminModule>;
  } catch (e) {
    throw new CliError(EXIT.unexpected, '`valise admin` runs on the server host: the Valise server is not installed here', { cause: e });
  }
  if (typeof mod.loadConfig !== 'function' || typeof mod.createServerContext !== 'function' || typeof mod.inviteMember !== 'function') {
    throw new CliError(EXIT.unexpected, 'this version of the Valise server does not provide member invitations (inviteMember)');
  }
  return mod as ServerAdminModule;
}

export async function runAdminInvite(ctx: CliContext, cmd: { email: string; admin: boolean }): Promise<void> {
  const server = await loadServerAdmin();
  // The server's variables only: an administrator who also uses the CLI on that host may have VALISE_CONFIG_DIR set.
  const config = server.loadConfig(serverEnvironment(ctx.io.env));
  // The server logs to stdout by default (e.g. "database migrated"): here stdout is the link, so logs go to stderr.
  const level = (config as { logLevel?: unknown }).logLevel;
  const logger = server.createLogger?.({ level: typeof level === 'string' ? level : 'info', stream: ctx.io.stderr });
  const serverCtx = await server.createServerContext(config, logger === undefined ? {} : { logger });
  try {
    const invitation = await server.inviteMember(serverCtx, cmd.email, { admin: cmd.admin });
    ctx.result(
      { email: cmd.email, admin: cmd.admin, enrollmentLink: invitation.enrollmentLink, expiresAt: invitation.expiresAt ?? null },
      invitation.enrollmentLink,
    );
    if (!ctx.json) {
      const until = invitation.expiresAt ? ` It works until ${new Date(invitation.expiresAt).toISOString()}.` : '';
      ctx.note(`Invitation created for ${cmd.email}${cmd.admin ? ' (administrator)' : ''}.${until}`);
      ctx.note('Give them the link above; they run `valise enroll "<link>"` or open it in a browser.');
    }
  } finally {
    await serverCtx.close?.();
  }
}
