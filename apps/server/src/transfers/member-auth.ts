// What the transfer and gate routes need from member authentication: a preHandler, and the member it found.
// Supplied by main (accounts' authenticate); the routes do not know how sessions or API tokens work.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/errors.js';
import type { Sender } from './transfer.service.js';

export interface MemberAuth {
  /** Answers 401 unless the request carries a valid member session or API token. */
  readonly preHandler: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The member the preHandler authenticated. */
  memberOf(request: FastifyRequest): Sender;
}

/** For POSTs that take no input: no body, or an empty JSON object; anything else is refused, not ignored. */
export function requireEmptyBody(request: FastifyRequest): void {
  const body = request.body;
  if (body === undefined || body === null) return;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new AppError('validation_failed', { detail: 'This request takes no body (send {} or nothing).' });
}
