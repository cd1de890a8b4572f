// HTTP routes of drop boxes. /boxes: the owner's routes (signed-in member: create, list, keys, close) and the
// depositor's (no sign-in: the public view, code, verify; then, with the deposit token, creating the deposit).
// /deposits: the deposit token's own deposit (resume status, parts, finalize), as a sender's /transfers routes.
import {
  API_PREFIX, BoxKeysResponse, BoxList, BoxSummary, CreateBoxRequest, CreateDepositRequest, CreateDepositResponse, DepositCodeRequest,
  DepositCodeResponse, DepositReceipt, DepositStatus, DepositVerifyRequest, DepositVerifyResponse, FinalizeDepositRequest, Id, LIMITS,
  PublicBox, TransferIdParams,
} from '@valise/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DomainPlugin } from '../http/app.js';
import { AppError } from '../http/errors.js';
import { requireEmptyBody, type MemberAuth } from '../transfers/member-auth.js';
import { registerPartRoute } from '../transfers/part.routes.js';
import type { PartService } from '../transfers/part.service.js';
import type { BoxService } from './boxes.service.js';
import type { DepositService, Depositor } from './deposits.service.js';

const BoxIdParams = { type: 'object', properties: { boxId: Id }, required: ['boxId'], additionalProperties: false } as const;
const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

type WithBox = { Params: { boxId: string } };
type WithTransfer = { Params: { transferId: string } };

/** The deposit token of `Authorization: Bearer`, checked on arrival (before any body is read) and kept per request. */
function depositAuth(deposits: DepositService) {
  const depositors = new WeakMap<FastifyRequest, Depositor>();
  return {
    async onRequest(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      depositors.set(request, await deposits.authenticate(BEARER.exec(request.headers.authorization ?? '')?.[1]));
    },
    depositorOf(request: FastifyRequest): Depositor {
      const depositor = depositors.get(request);
      if (!depositor) throw new AppError('deposit_token_invalid');
      return depositor;
    },
  };
}

export function boxRoutes(deps: { readonly boxes: BoxService; readonly deposits: DepositService; readonly auth: MemberAuth }): DomainPlugin {
  const { boxes, deposits, auth } = deps;
  const depositor = depositAuth(deposits);
  return {
    name: 'boxes',
    prefix: `${API_PREFIX}/boxes`,
    register(app) {
      // The owner's routes: a signed-in member, authenticated on arrival.
      const member = { onRequest: auth.preHandler };

      app.post<{ Body: CreateBoxRequest }>(
        '/',
        { ...member, schema: { body: CreateBoxRequest, response: { 201: BoxSummary } } },
        async (request, reply) => reply.status(201).send(await boxes.create(auth.memberOf(request), request.body)),
      );

      app.get('/', { ...member, schema: { response: { 200: BoxList } } }, async (request) => boxes.list(auth.memberOf(request)));

      app.get<WithBox>(
        '/:boxId/keys',
        { ...member, schema: { params: BoxIdParams, response: { 200: BoxKeysResponse } } },
        async (request, reply) => {
          reply.header('cache-control', 'no-store');
          return boxes.keys(auth.memberOf(request), request.params.boxId);
        },
      );

      app.post<WithBox>(
        '/:boxId/close',
        { ...member, schema: { params: BoxIdParams, response: { 200: BoxSummary } } },
        async (request) => {
          requireEmptyBody(request);
          return boxes.close(auth.memberOf(request), request.params.boxId);
        },
      );

      // The depositor's routes: anyone with the link; codes are rate-limited like the gate's.
      app.get<WithBox>(
        '/:boxId/public',
        { schema: { params: BoxIdParams, response: { 200: PublicBox } } },
        async (request, reply) => {
          reply.header('cache-control', 'no-store');
          return boxes.publicView(request.params.boxId);
        },
      );

      app.post<WithBox & { Body: DepositCodeRequest }>(
        '/:boxId/code',
        { schema: { params: BoxIdParams, body: DepositCodeRequest, response: { 200: DepositCodeResponse } } },
        async (request) => deposits.requestCode(request.params.boxId, request.body),
      );

      app.post<WithBox & { Body: DepositVerifyRequest }>(
        '/:boxId/verify',
        { schema: { params: BoxIdParams, body: DepositVerifyRequest, response: { 200: DepositVerifyResponse } } },
        async (request, reply) => {
          reply.header('cache-control', 'no-store');
          return deposits.verify(request.params.boxId, request.body);
        },
      );

      app.post<WithBox & { Body: CreateDepositRequest }>(
        '/:boxId/deposits',
        { onRequest: depositor.onRequest, schema: { params: BoxIdParams, body: CreateDepositRequest, response: { 201: CreateDepositResponse } } },
        async (request, reply) => {
          reply.header('cache-control', 'no-store');
          return reply.status(201).send(await deposits.create(depositor.depositorOf(request), request.params.boxId, request.body));
        },
      );
    },
  };
}

export function depositRoutes(deps: { readonly deposits: DepositService; readonly parts: PartService }): DomainPlugin {
  const { deposits, parts } = deps;
  const depositor = depositAuth(deposits);
  return {
    name: 'deposits',
    prefix: `${API_PREFIX}/deposits`,
    register(app) {
      // Every route here needs the deposit token: checked on arrival, before a (up to 17 MiB) body is read.
      app.addHook('onRequest', depositor.onRequest);

      app.get<WithTransfer>(
        '/:transferId',
        { schema: { params: TransferIdParams, response: { 200: DepositStatus } } },
        async (request, reply) => {
          reply.header('cache-control', 'no-store');
          return deposits.status(depositor.depositorOf(request), request.params.transferId);
        },
      );

      app.post<WithTransfer & { Body: FinalizeDepositRequest }>(
        '/:transferId/finalize',
        // The encrypted manifest lists every part hash of every file: far above the default JSON limit.
        { bodyLimit: LIMITS.finalizeBodyBytes, schema: { params: TransferIdParams, body: FinalizeDepositRequest, response: { 200: DepositReceipt } } },
        async (request) => deposits.finalize(depositor.depositorOf(request), request.params.transferId, request.body),
      );

      // The depositor stops: the deposit is abandoned now (its place in the box comes back at the next purge).
      app.post<WithTransfer>(
        '/:transferId/cancel',
        { schema: { params: TransferIdParams } },
        async (request, reply) => {
          requireEmptyBody(request);
          await deposits.cancel(depositor.depositorOf(request), request.params.transferId);
          return reply.status(204).send();
        },
      );

      registerPartRoute(app, parts, (request) => deposits.uploadScope(depositor.depositorOf(request)));
    },
  };
}
