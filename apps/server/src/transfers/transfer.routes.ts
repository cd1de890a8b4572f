// HTTP routes of the sender's side: create, upload parts, resume, finalize, list, inspect, revoke.
import {
  API_PREFIX, CreateTransferRequest, CreateTransferResponse, DeletionRecord, FinalizeRequest, FinalizeResponse, LIMITS,
  TransferDetail, TransferIdParams, TransferList, TransferListQuery, TransferPolicy, TransferSummary, UploadStatus,
} from '@valise/protocol';
import type { DomainPlugin } from '../http/app.js';
import { DeletionRecordService } from '../retention/deletion-record.service.js';
import type { MemberAuth } from './member-auth.js';
import { requireEmptyBody } from './member-auth.js';
import { registerPartRoute } from './part.routes.js';
import type { PartService } from './part.service.js';
import type { TransferViewService } from './transfer-view.service.js';
import type { TransferService } from './transfer.service.js';

export interface TransferRouteDeps {
  readonly auth: MemberAuth;
  readonly transfers: TransferService;
  readonly views: TransferViewService;
  readonly parts: PartService;
  /** Default: one over the context's database. */
  readonly deletionRecords?: DeletionRecordService;
}

type WithId = { Params: { transferId: string } };

export function transferRoutes(deps: TransferRouteDeps): DomainPlugin {
  const { auth, transfers, views } = deps;
  return {
    name: 'transfers',
    prefix: `${API_PREFIX}/transfers`,
    register(app, ctx) {
      const deletionRecords = deps.deletionRecords ?? new DeletionRecordService({ handle: ctx.database });
      // Every route here is the sender's: authenticate on arrival, before a (up to 17 MiB) body is even parsed.
      app.addHook('onRequest', auth.preHandler);

      app.post<{ Body: CreateTransferRequest }>(
        '/',
        { schema: { body: CreateTransferRequest, response: { 201: CreateTransferResponse } } },
        async (request, reply) => reply.status(201).send(await transfers.create(auth.memberOf(request), request.body)),
      );

      app.get<{ Querystring: TransferListQuery }>(
        '/',
        { schema: { querystring: TransferListQuery, response: { 200: TransferList } } },
        async (request) => views.list(auth.memberOf(request), request.query),
      );

      app.get('/policy', { schema: { response: { 200: TransferPolicy } } }, async () => transfers.policy());

      app.get<WithId>(
        '/:transferId',
        { schema: { params: TransferIdParams, response: { 200: TransferDetail } } },
        async (request) => views.detail(auth.memberOf(request), request.params.transferId),
      );

      app.get<WithId>(
        '/:transferId/upload',
        { schema: { params: TransferIdParams, response: { 200: UploadStatus } } },
        async (request) => transfers.uploadStatus(auth.memberOf(request), request.params.transferId),
      );

      app.post<WithId & { Body: FinalizeRequest }>(
        '/:transferId/finalize',
        // The encrypted manifest lists every part hash of every file: far above the default JSON limit.
        { bodyLimit: LIMITS.finalizeBodyBytes, schema: { params: TransferIdParams, body: FinalizeRequest, response: { 200: FinalizeResponse } } },
        async (request) => transfers.finalize(auth.memberOf(request), request.params.transferId, request.body),
      );

      app.post<WithId>(
        '/:transferId/revoke',
        { schema: { params: TransferIdParams, response: { 200: TransferSummary } } },
        async (request) => {
          requireEmptyBody(request);
          const member = auth.memberOf(request);
          await transfers.revoke(member, request.params.transferId);
          return views.summary(member, request.params.transferId);
        },
      );

      app.get<WithId>(
        '/:transferId/deletion-record',
        { schema: { params: TransferIdParams, response: { 200: DeletionRecord } } },
        async (request) => deletionRecords.forSender(auth.memberOf(request), request.params.transferId),
      );

      registerPartRoute(app, deps.parts, (request) => auth.memberOf(request));
    },
  };
}
