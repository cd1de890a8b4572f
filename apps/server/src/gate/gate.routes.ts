// HTTP routes of the gate (public, except member-grant): challenge, code request, code grant, member grant.
import {
  API_PREFIX, ChallengeResponse, CodeGrantRequest, GrantResponse, MemberGrantRequest, RequestCodeRequest,
  RequestCodeResponse, TransferIdParams,
} from '@valise/protocol';
import type { DomainPlugin } from '../http/app.js';
import { requireEmptyBody, type MemberAuth } from '../transfers/member-auth.js';
import type { GateService } from './gate.service.js';

type WithId = { Params: { transferId: string } };

export function gateRoutes(deps: { readonly gate: GateService; readonly auth: MemberAuth }): DomainPlugin {
  const { gate, auth } = deps;
  return {
    name: 'gate',
    prefix: `${API_PREFIX}/open`,
    register(app) {
      app.post<WithId>(
        '/:transferId/challenge',
        { schema: { params: TransferIdParams, response: { 200: ChallengeResponse } } },
        async (request) => {
          requireEmptyBody(request);
          return gate.challenge(request.params.transferId);
        },
      );

      app.post<WithId & { Body: RequestCodeRequest }>(
        '/:transferId/code',
        { schema: { params: TransferIdParams, body: RequestCodeRequest, response: { 200: RequestCodeResponse } } },
        async (request) => gate.requestCode(request.params.transferId, request.body, { ip: request.ip }),
      );

      app.post<WithId & { Body: CodeGrantRequest }>(
        '/:transferId/grant',
        { schema: { params: TransferIdParams, body: CodeGrantRequest, response: { 200: GrantResponse } } },
        async (request) => gate.codeGrant(request.params.transferId, request.body, { ip: request.ip }),
      );

      app.post<WithId & { Body: MemberGrantRequest }>(
        '/:transferId/member-grant',
        { preHandler: auth.preHandler, schema: { params: TransferIdParams, body: MemberGrantRequest, response: { 200: GrantResponse } } },
        async (request) => gate.memberGrant(auth.memberOf(request), request.params.transferId, request.body, { ip: request.ip }),
      );
    },
  };
}
