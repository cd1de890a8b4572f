// Administrator actions run on the server host (`valise admin invite`), on a context made from the same environment.
import type { ServerContext } from '../context.js';
import { AccountRepository } from './account.repository.js';
import { AccountService } from './account.service.js';

export function accountServiceFor(ctx: ServerContext): AccountService {
  return new AccountService({
    accounts: new AccountRepository(ctx.database), audit: ctx.audit, keystore: ctx.keystore, clock: ctx.clock,
    logger: ctx.logger, publicUrl: ctx.config.publicUrl,
  });
}

/** Creates (or replaces) the enrollment link of `email`; the link is shown once and stored only as a hash. */
export async function inviteMember(ctx: ServerContext, email: string, options: { admin: boolean }): Promise<{ enrollmentLink: string; expiresAt: number }> {
  const { link, expiresAt } = await accountServiceFor(ctx).invite(email, { admin: options.admin, invitedBy: null });
  return { enrollmentLink: link, expiresAt };
}
