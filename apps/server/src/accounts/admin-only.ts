// Administrator-only routes: a signed-in member (session or API token, with the same CSRF checks) who is an admin.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/errors.js';
import type { MemberAuthentication } from './authenticate.js';

/** A preHandler (or onRequest hook): 401 without a member, 403 for a member who is not an administrator. */
export function adminOnly(auth: MemberAuthentication): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    await auth.preHandler(request, reply);
    const member = auth.memberOf(request);
    if (!member.isAdmin) throw new AppError('forbidden', { detail: 'Only administrators may do this.', reason: `member ${member.id} is not an administrator` });
  };
}
