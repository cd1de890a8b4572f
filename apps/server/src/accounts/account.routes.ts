// Accounts routes: enrollment, login and logout, the current member.
import {
  API_PREFIX, EnrollCompleteRequest, EnrollStartRequest, EnrollStartResponse, LoginRequest, LoginResponse, Member,
} from '@valise/protocol';
import type { FastifyInstance } from 'fastify';
import type { DomainPlugin } from '../http/app.js';
import type { AccountService } from './account.service.js';
import { API_TOKEN_IDLE_MS, WEB_SESSION_IDLE_MS } from './account.service.js';
import type { MemberAuthentication } from './authenticate.js';
import { SESSION_COOKIE } from './authenticate.js';

export function accountRoutes(accounts: AccountService, auth: MemberAuthentication): DomainPlugin {
  return {
    name: 'accounts',
    prefix: API_PREFIX,
    register(app: FastifyInstance, ctx) {
      const secureCookie = { httpOnly: true, secure: true, sameSite: 'strict' as const, path: '/' };

      app.post<{ Body: EnrollStartRequest }>('/enroll/start', {
        schema: { tags: ['accounts'], summary: 'Issue the TOTP secret of an enrollment', body: EnrollStartRequest, response: { 200: EnrollStartResponse } },
      }, async (request) => accounts.startEnrollment(request.body.token));

      app.post<{ Body: EnrollCompleteRequest }>('/enroll/complete', {
        schema: { tags: ['accounts'], summary: 'Set the password and confirm the authenticator', body: EnrollCompleteRequest, response: { 201: Member } },
      }, async (request, reply) => reply.status(201).send(await accounts.completeEnrollment(request.body)));

      app.post<{ Body: LoginRequest }>('/auth/login', {
        schema: { tags: ['accounts'], summary: 'Sign in with password and TOTP code', body: LoginRequest, response: { 200: LoginResponse } },
      }, async (request, reply) => {
        const body = request.body;
        const kind = body.client === 'web' ? 'web' : 'api';
        const { member, token, expiresAt } = await accounts.login({
          email: body.email, password: body.password, totpCode: body.totpCode, kind, label: body.label ?? null, ip: request.ip,
        });
        if (kind === 'web') {
          // The web app never sees its session token: HttpOnly keeps it out of reach of scripts.
          reply.setCookie(SESSION_COOKIE, token, { ...secureCookie, maxAge: WEB_SESSION_IDLE_MS / 1000 });
          return { member, expiresAt };
        }
        return { member, token, expiresAt: expiresAt ?? ctx.clock.now() + API_TOKEN_IDLE_MS };
      });

      app.post('/auth/logout', {
        preHandler: auth.preHandler,
        schema: { tags: ['accounts'], summary: 'Revoke the current session or API token', response: { 204: { type: 'null' } } },
      }, async (request, reply) => {
        await accounts.logout(auth.memberOf(request));
        reply.clearCookie(SESSION_COOKIE, secureCookie);
        return reply.status(204).send();
      });

      app.get('/me', {
        preHandler: auth.preHandler,
        schema: { tags: ['accounts'], summary: 'The signed-in member', response: { 200: Member } },
      }, async (request) => {
        const { id, email, isAdmin } = auth.memberOf(request);
        return { id, email, isAdmin };
      });
    },
  };
}
