// PUT of one ciphertext part: the body streams from the socket to the blob store, never buffered here.
import { PART_CIPHERTEXT_SIZE, HEADER_SIZE } from '@valise/crypto';
import { Bytes32, PART_HASH_HEADER, PartParams, PartReceipt } from '@valise/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rawBody } from '../http/app.js';
import type { PartService, Uploader } from './part.service.js';

/** Part 0 is the largest: a full part plus the 56-byte file header. */
const MAX_PART_BYTES = PART_CIPHERTEXT_SIZE + HEADER_SIZE;

// Headers are many and mostly not ours: only the one we need is described, the others are let through.
const PartHeaders = { type: 'object', properties: { [PART_HASH_HEADER]: Bytes32 }, required: [PART_HASH_HEADER] } as const;

type PartRoute = {
  Params: { transferId: string; fileId: string; index: string };
  Headers: { [PART_HASH_HEADER]: string };
};

/**
 * PUT …/:transferId/files/:fileId/parts/:index in the caller's scope: a member's transfers (/transfers) or a
 * depositor's deposit (/deposits). `uploaderOf` authenticates the request (it ran on arrival, before the body).
 */
export function registerPartRoute(app: FastifyInstance, parts: PartService, uploaderOf: (request: FastifyRequest) => Uploader): void {
  app.put<PartRoute>(
    '/:transferId/files/:fileId/parts/:index',
    {
      // The octet-stream parser hands over the socket stream; this limit only documents the largest part.
      bodyLimit: MAX_PART_BYTES,
      schema: { params: PartParams, headers: PartHeaders, response: { 200: PartReceipt } },
      // A refused part is answered before its body is read; closing the connection then spares the client
      // (and us) sending the rest of it.
      onSend: async (request, reply, payload) => {
        if (!request.raw.complete) reply.header('connection', 'close');
        return payload;
      },
    },
    async (request) => {
      const { transferId, fileId, index } = request.params;
      return parts.put(
        uploaderOf(request),
        { transferId, fileId, index: Number(index) },
        {
          contentLength: contentLength(request.headers['content-length']),
          sha256: request.headers[PART_HASH_HEADER],
          body: rawBody(request),
        },
      );
    },
  );
}

function contentLength(header: string | undefined): number | undefined {
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}
