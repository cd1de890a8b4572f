// `valise admin invite EMAIL [--admin]`: runs ON THE SERVER HOST, with the server's own configuration
// (VALISE_* environment), and creates the invitation directly through the server's accounts service.
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

/**
 * What the CLI expects from `@valise/server` (see apps/cli/README.md). Loaded with a computed specifier so
 * that the CLI neither compiles against the server nor loads its dependencies for any other command.
 */
export interface ServerAdminModule {
  loadConfig(env?: Readonly<Record<string, string | undefined>>): unknown;
  createServerContext(config: unknown): Promise<ServerContextLike> | ServerContextLike;
  inviteMember(ctx: ServerContextLike, email: string, options: { admin: boolean }): Promise<InvitationResult>;
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
  const config = server.loadConfig(ctx.io.env);
  const serverCtx = await server.createServerContext(config);
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
