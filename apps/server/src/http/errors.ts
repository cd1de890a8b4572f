// The one way errors leave the server: every failure becomes an RFC 9457 problem+json from the closed code list.
import { ERROR_STATUS, ERROR_TITLES, problemType, type ErrorCode, type Problem } from '@valise/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Members a problem may carry besides the standard ones (see Problem in @valise/protocol). */
export type ProblemExtras = Partial<Pick<Problem, 'errors' | 'retryAfter' | 'attemptsLeft'>>;

export interface AppErrorOptions {
  /** Sent to the caller: say what is wrong, in words that reveal nothing the caller should not know. */
  readonly detail?: string;
  readonly extra?: ProblemExtras;
  /**
   * Logged, never sent. Lets answers that must look alike to callers ("expired" and "never existed" are both
   * link_unavailable) stay distinguishable in the logs.
   */
  readonly reason?: string;
  readonly cause?: unknown;
}

/** An expected failure with a code from the closed list; anything else thrown is an internal error. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly extra?: ProblemExtras;
  readonly reason?: string;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.detail ?? ERROR_TITLES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    if (options.detail !== undefined) this.detail = options.detail;
    if (options.extra !== undefined) this.extra = options.extra;
    if (options.reason !== undefined) this.reason = options.reason;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** When a 429 does not say how long to wait: long enough to slow a script, short enough for a person. */
const DEFAULT_RETRY_AFTER_SECONDS = 60;

export function problem(code: ErrorCode, detail?: string, extra: ProblemExtras = {}): Problem {
  return {
    type: problemType(code),
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    code,
    ...(detail !== undefined ? { detail } : {}),
    ...extra,
  };
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

// Fastify's own request errors, by code; anything not listed falls back to its HTTP status below.
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
};

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** What the caller gets for `error`; `internal` marks errors whose message must stay in the logs. */
export function toProblem(error: unknown): { problem: Problem; internal: boolean } {
  if (error instanceof AppError) {
    const extra: ProblemExtras = { ...error.extra };
    if (error.status === 429) extra.retryAfter ??= DEFAULT_RETRY_AFTER_SECONDS;
    return { problem: problem(error.code, error.detail, extra), internal: false };
  }
  const fastifyError = (typeof error === 'object' && error !== null ? error : {}) as Partial<FastifyError> & {
    validation?: AjvError[];
    validationContext?: string;
  };
  if (Array.isArray(fastifyError.validation)) {
    const where = fastifyError.validationContext ?? 'body';
    const errors = fastifyError.validation.map((e) => ({ path: errorPath(where, e), message: e.message ?? 'is not valid' }));
    return { problem: problem('validation_failed', undefined, { errors }), internal: false };
  }
  const code = typeof fastifyError.code === 'string' ? fastifyError.code : '';
  if (code in FASTIFY_CODES) {
    const mapped = FASTIFY_CODES[code]!;
    return { problem: problem(mapped, mapped === 'validation_failed' ? fastifyError.message : undefined), internal: false };
  }
  const status = fastifyError.statusCode ?? 500;
  if (code.startsWith('FST_') && status >= 400 && status < 500) {
    return { problem: problem(STATUS_CODES[status] ?? 'validation_failed'), internal: false };
  }
  return { problem: problem('internal_error'), internal: true };
}

// A JSON-pointer-like path into the request part: "/body/recipients/0", "/querystring/limit".
function errorPath(where: string, error: AjvError): string {
  const missing = error.keyword === 'required' ? error.params?.missingProperty : undefined;
  const extra = error.keyword === 'additionalProperties' ? error.params?.additionalProperty : undefined;
  const leaf = missing ?? extra;
  return `/${where}${error.instancePath ?? ''}${typeof leaf === 'string' ? `/${leaf}` : ''}`;
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  if (body.retryAfter !== undefined) reply.header('retry-after', String(body.retryAfter));
  return reply.status(body.status).type('application/problem+json').send(body);
}

/** Installs the error and not-found handlers on the root instance: they apply to every plugin. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { problem: body, internal } = toProblem(error);
    if (internal) {
      // The caller gets nothing but the request id (a response header) to quote; the details stay here.
      request.log.error({ err: error }, 'unexpected error');
    } else if (body.status >= 500) {
      request.log.warn({ code: body.code, reason: (error as AppError).reason }, (error as Error).message);
    } else {
      const reason = error instanceof AppError ? error.reason : undefined;
      request.log.info({ code: body.code, ...(reason ? { reason } : {}) }, 'request refused');
    }
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, problem('not_found')));
}
