// HTTP routes of the member inbox: the list, opening a transfer sent to the member's key or to one of their teams, and
// opening a deposit into one of the member's (or their teams') drop boxes.
import { API_PREFIX, DepositOpenResponse, InboxList, MemberOpenResponse, TeamOpenResponse, TransferIdParams } from '@valise/protocol';
import type { DomainPlugin } from '../http/app.js';
import { requireEmptyBody, type MemberAuth } from '../transfers/member-auth.js';
import type { InboxService } from './inbox.service.js';

export function inboxRoutes(deps: { readonly inbox: InboxService; readonly auth: MemberAuth }): DomainPlugin {
  const { inbox, auth } = deps;
  return {
    name: 'inbox',
    prefix: `${API_PREFIX}/inbox`,
    register(app) {
      // Every route here is a member's: authenticate on arrival.
      app.addHook('onRequest', auth.preHandler);

      app.get('/', { schema: { response: { 200: InboxList } } }, async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return inbox.list(auth.memberOf(request));
      });

      app.post<{ Params: { transferId: string } }>(
        '/:transferId/open',
        { schema: { params: TransferIdParams, response: { 200: MemberOpenResponse } } },
        async (request, reply) => {
          requireEmptyBody(request);
          reply.header('cache-control', 'no-store');
          return inbox.open(auth.memberOf(request), request.params.transferId, { ip: request.ip });
        },
      );

      app.post<{ Params: { transferId: string } }>(
        '/:transferId/open-team',
        { schema: { params: TransferIdParams, response: { 200: TeamOpenResponse } } },
        async (request, reply) => {
          requireEmptyBody(request);
          reply.header('cache-control', 'no-store');
          return inbox.openTeam(auth.memberOf(request), request.params.transferId, { ip: request.ip });
        },
      );

      app.post<{ Params: { transferId: string } }>(
        '/:transferId/open-deposit',
        { schema: { params: TransferIdParams, response: { 200: DepositOpenResponse } } },
        async (request, reply) => {
          requireEmptyBody(request);
          reply.header('cache-control', 'no-store');
          return inbox.openDeposit(auth.memberOf(request), request.params.transferId, { ip: request.ip });
        },
      );
    },
  };
}
