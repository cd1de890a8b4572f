// Member keys routes: the member's own keys and unlock methods, other members' certified keys, the organisation
// key, and certification by an administrator (docs/format.md §11).
import {
  API_PREFIX, AddUnlockWrapRequest, AdminMemberKey, AdminMemberKeyList, AdminMemberKeysQuery, CertifyMemberKeyRequest,
  MEMBER_KEY_LIMITS, MemberIdParams, MemberKeyByEmailQuery, MyMemberKeys, OrgKeyResponse, PublicMemberKey,
  SetUpMemberKeysRequest, UnlockWrapList, WrapIdParams,
} from '@valise/protocol';
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../accounts/admin-only.js';
import type { MemberAuthentication } from '../accounts/authenticate.js';
import type { DomainPlugin } from '../http/app.js';
import type { MemberKeyService } from './member-keys.service.js';

export function memberKeyRoutes(keys: MemberKeyService, auth: MemberAuthentication): DomainPlugin {
  return {
    name: 'member-keys',
    prefix: API_PREFIX,
    register(app: FastifyInstance) {
      const tags = ['member keys'];
      // Authenticated on arrival, before a body is parsed; cookies get the same cross-site checks as every route.
      const member = { onRequest: auth.preHandler };
      const admin = { onRequest: adminOnly(auth) };

      app.get('/org-key', {
        schema: { tags, summary: 'The organisation public key that certifies member keys (public configuration)', response: { 200: OrgKeyResponse } },
      }, async () => keys.orgKey());

      app.put<{ Body: SetUpMemberKeysRequest }>('/me/keys', {
        ...member,
        bodyLimit: MEMBER_KEY_LIMITS.setUpBodyBytes,
        schema: { tags, summary: 'Set up the member\'s keys (once)', body: SetUpMemberKeysRequest, response: { 201: MyMemberKeys } },
      }, async (request, reply) => reply.status(201).send(await keys.setUp(auth.memberOf(request), request.body)));

      app.get('/me/keys', {
        ...member,
        schema: { tags, summary: 'The member\'s key record, certificate, sealed bundle and unlock methods', response: { 200: MyMemberKeys } },
      }, async (request) => keys.mine(auth.memberOf(request)));

      app.post<{ Body: AddUnlockWrapRequest }>('/me/keys/wraps', {
        ...member,
        schema: { tags, summary: 'Add an unlock method, or replace one', body: AddUnlockWrapRequest, response: { 200: UnlockWrapList } },
      }, async (request) => keys.addWrap(auth.memberOf(request), request.body.wrap, request.body.replaces));

      app.delete<{ Params: WrapIdParams }>('/me/keys/wraps/:wrapId', {
        ...member,
        schema: { tags, summary: 'Remove an unlock method (never the last passphrase or passkey)', params: WrapIdParams, response: { 200: UnlockWrapList } },
      }, async (request) => keys.deleteWrap(auth.memberOf(request), request.params.wrapId));

      app.get<{ Querystring: MemberKeyByEmailQuery }>('/members/key', {
        ...member,
        schema: { tags, summary: 'An active member\'s certified key, by e-mail address', querystring: MemberKeyByEmailQuery, response: { 200: PublicMemberKey } },
      }, async (request) => keys.lookup({ email: request.query.email }));

      app.get<{ Params: MemberIdParams }>('/members/:memberId/key', {
        ...member,
        schema: { tags, summary: 'An active member\'s certified key, by member id', params: MemberIdParams, response: { 200: PublicMemberKey } },
      }, async (request) => keys.lookup({ memberId: request.params.memberId }));

      app.get<{ Querystring: AdminMemberKeysQuery }>('/admin/member-keys', {
        ...admin,
        schema: { tags, summary: 'Member keys, pending certification or certified (administrators)', querystring: AdminMemberKeysQuery, response: { 200: AdminMemberKeyList } },
      }, async (request) => keys.listForAdmin(request.query.status ?? 'all'));

      app.post<{ Params: MemberIdParams; Body: CertifyMemberKeyRequest }>('/admin/member-keys/:memberId/certificate', {
        ...admin,
        schema: { tags, summary: 'Store the organisation\'s certificate of a member key (administrators)', params: MemberIdParams, body: CertifyMemberKeyRequest, response: { 200: AdminMemberKey } },
      }, async (request) => keys.certify(auth.memberOf(request), request.params.memberId, request.body));
    },
  };
}
