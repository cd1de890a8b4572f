// HTTP routes for downloading with a grant: GET/HEAD of a part (Range supported) and the closing POST.
import { DOWNLOAD_PATH, GrantedTransferResponse, PART_HASH_HEADER, PartParams, TransferIdParams } from '@valise/protocol';
import type { FastifyRequest } from 'fastify';
import type { DomainPlugin } from '../http/app.js';
import { AppError } from '../http/errors.js';
import { requireEmptyBody } from '../transfers/member-auth.js';
import type { DownloadService } from './download.service.js';

type PartRoute = { Params: { transferId: string; fileId: string; index: string } };

const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

export function downloadRoutes(downloads: DownloadService): DomainPlugin {
  return {
    name: 'downloads',
    prefix: DOWNLOAD_PATH,
    register(app) {
      // GET and HEAD declared together, so HEAD runs this handler (headers only) and not an implicit GET.
      app.route<PartRoute>({
        method: ['GET', 'HEAD'],
        url: '/:transferId/files/:fileId/parts/:index',
        schema: { params: PartParams },
        handler: async (request, reply) => {
          const { transferId, fileId, index } = request.params;
          const result = await downloads.part({
            transferId, fileId, index: Number(index),
            grantToken: bearer(request),
            range: request.headers.range,
            head: request.method === 'HEAD',
          });
          reply.header('cache-control', 'no-store').header('accept-ranges', 'bytes');
          if (result.kind === 'unsatisfiable') {
            // RFC 9110 §15.5.17: say the size; the body is problem+json like every other error.
            reply.header('content-range', `bytes */${result.size}`);
            throw new AppError('range_not_satisfiable', { detail: `Ask for one range within the part's ${result.size} bytes.` });
          }
          reply.type('application/octet-stream').header(PART_HASH_HEADER, result.sha256);
          if (result.range !== null) {
            const { start, end } = result.range;
            reply.status(206).header('content-range', `bytes ${start}-${end}/${result.size}`).header('content-length', end - start + 1);
          } else {
            reply.header('content-length', result.size);
          }
          return result.body === null ? reply.send() : reply.send(result.body);
        },
      });

      // Resuming with a kept grant: the same release as at the grant, nothing consumed.
      app.get<{ Params: { transferId: string } }>(
        '/:transferId',
        { schema: { params: TransferIdParams, response: { 200: GrantedTransferResponse } } },
        async (request, reply) => {
          reply.header('cache-control', 'no-store');
          return downloads.resume(request.params.transferId, bearer(request), request.ip);
        },
      );

      app.post<{ Params: { transferId: string } }>(
        '/:transferId/complete',
        { schema: { params: TransferIdParams } },
        async (request, reply) => {
          requireEmptyBody(request);
          await downloads.complete(request.params.transferId, bearer(request), request.ip);
          return reply.status(204).send();
        },
      );
    },
  };
}

/** The grant token of `Authorization: Bearer <token>`, or undefined (answered as grant_invalid). */
function bearer(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}
