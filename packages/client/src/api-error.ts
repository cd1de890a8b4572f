// Errors of the API client: one class carrying the server's closed error code (RFC 9457 problem+json),
// or a client-side kind for failures that never reached an answer (network) or answered nonsense.
import { ERROR_STATUS, type ErrorCode } from '@valise/protocol';

/** The server's codes, plus what the client itself can observe. */
export type ApiErrorCode = ErrorCode | 'network_error' | 'unexpected_response';

export interface ApiErrorInit {
  status: number;
  code: ApiErrorCode;
  title: string;
  detail?: string | undefined;
  retryAfter?: number | undefined;
  attemptsLeft?: number | undefined;
  cause?: unknown;
}

/**
 * A failed API call. `status` is 0 when no HTTP answer arrived. Messages are built from the code and the
 * request's method and route template (never its URL: no ids, tokens or fragments end up in logs).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly title: string;
  readonly detail: string | undefined;
  /** Seconds to wait before retrying (429, 503), from the problem body or the Retry-After header. */
  readonly retryAfter: number | undefined;
  /** For code_invalid: attempts left on this code. */
  readonly attemptsLeft: number | undefined;

  constructor(init: ApiErrorInit) {
    super(init.detail ? `${init.title} (${init.detail})` : init.title, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.retryAfter = init.retryAfter;
    this.attemptsLeft = init.attemptsLeft;
  }

  /** Network failures, 5xx and 429 are worth retrying for idempotent operations. */
  get retryable(): boolean {
    return this.code === 'network_error' || this.status === 429 || this.status >= 500;
  }
}

export function isApiError(value: unknown, code?: ApiErrorCode): value is ApiError {
  return value instanceof ApiError && (code === undefined || value.code === code);
}

const KNOWN_CODES = new Set<string>(Object.keys(ERROR_STATUS));

/** Parses a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/u.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** A code for an HTTP error that did not carry a Valise problem body (a proxy's 502, for instance). */
function codeForStatus(status: number): ApiErrorCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  return 'unexpected_response';
}

/** Builds an ApiError from a non-2xx response, reading its problem+json body when there is one. */
export async function apiErrorFromResponse(res: Response): Promise<ApiError> {
  const headerRetry = parseRetryAfter(res.headers.get('retry-after'));
  let body: unknown;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
  } else {
    await res.body?.cancel().catch(() => undefined);
  }
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof problem.code === 'string' && KNOWN_CODES.has(problem.code) ? (problem.code as ErrorCode) : codeForStatus(res.status);
  return new ApiError({
    status: res.status,
    code,
    title: typeof problem.title === 'string' ? problem.title : `HTTP ${res.status}`,
    detail: typeof problem.detail === 'string' ? problem.detail : undefined,
    retryAfter: typeof problem.retryAfter === 'number' ? problem.retryAfter : headerRetry,
    attemptsLeft: typeof problem.attemptsLeft === 'number' ? problem.attemptsLeft : undefined,
  });
}
