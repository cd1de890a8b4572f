// Member authentication for routes: a bearer API token (CLI) or the session cookie (web), checked on every request.
import type {} from '@fastify/cookie'; // request.cookies
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/errors.js';
import type { AccountService, Authenticated } from './account.service.js';

export const SESSION_COOKIE = 'valise_session';

const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What routes use: a preHandler answering 401 without a valid member, and the member it found. */
export interface MemberAuthentication {
  preHandler(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  memberOf(request: FastifyRequest): Authenticated;
  /** For routes open to everyone that do more for members (member-grant): the member, or null. */
  optional(request: FastifyRequest): Promise<Authenticated | null>;
}

export function memberAuth(accounts: AccountService, publicUrl: string): MemberAuthentication {
  const members = new WeakMap<FastifyRequest, Authenticated>();
  const publicOrigin = new URL(publicUrl).origin;

  async function identify(request: FastifyRequest): Promise<Authenticated | null> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const token = BEARER.exec(authorization)?.[1];
      return token === undefined ? null : accounts.authenticate(token, 'api');
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie === undefined || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return null;
    // Cookies ride along on cross-site requests; SameSite=Strict stops that in browsers that honour it, and this
    // refuses any state change whose Origin is not ours (defence in depth against CSRF).
    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== publicOrigin) throw new AppError('forbidden', { detail: 'Cross-site request refused.', reason: `origin ${origin}` });
      if (request.headers['sec-fetch-site'] === 'cross-site') throw new AppError('forbidden', { detail: 'Cross-site request refused.' });
    }
    return accounts.authenticate(cookie, 'web');
  }

  return {
    async preHandler(request: FastifyRequest, _reply: FastifyReply) {
      const member = await identify(request);
      if (!member) throw new AppError('unauthenticated');
      members.set(request, member);
    },
    memberOf(request: FastifyRequest): Authenticated {
      const member = members.get(request);
      if (!member) throw new AppError('unauthenticated');
      return member;
    },
    async optional(request: FastifyRequest) {
      const member = await identify(request);
      if (member) members.set(request, member);
      return member;
    },
  };
}
