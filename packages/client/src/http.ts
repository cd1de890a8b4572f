// One HTTP exchange with the Valise API: fetch, timeout, problem+json errors, and retries with backoff
// for idempotent operations only (a retried POST could consume a download or create a second transfer).
import { ApiError, apiErrorFromResponse } from './api-error.js';

export interface RetryPolicy {
  /** Retries after the first attempt (so `retries + 1` attempts at most). */
  retries: number;
  /** First backoff delay; doubles each time, with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error goes to the caller. */
  maxRetryAfterSeconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 500, maxDelayMs: 15_000, maxRetryAfterSeconds: 120 };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface HttpOptions {
  fetch: typeof fetch;
  retry: RetryPolicy;
  sleep: Sleep;
  timeoutMs: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array | string | undefined;
  /** Only idempotent requests are retried. */
  idempotent: boolean;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Sends the request, retrying idempotent ones on network errors, 5xx and 429; returns a 2xx response. */
export async function send(http: HttpOptions, req: HttpRequest): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    let error: ApiError;
    try {
      const res = await once(http, req);
      if (res.ok) return res;
      error = await apiErrorFromResponse(res);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      error = e;
    }
    if (!req.idempotent || !error.retryable || attempt >= http.retry.retries) throw error;
    if (error.retryAfter !== undefined && error.retryAfter > http.retry.maxRetryAfterSeconds) throw error;
    const backoff = Math.min(http.retry.maxDelayMs, http.retry.baseDelayMs * 2 ** attempt) * Math.random();
    const wait = error.retryAfter !== undefined ? Math.max(error.retryAfter * 1000, backoff) : backoff;
    await http.sleep(wait, req.signal);
  }
}

async function once(http: HttpOptions, req: HttpRequest): Promise<Response> {
  const timeout = AbortSignal.timeout(req.timeoutMs ?? http.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  try {
    return await http.fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body as BodyInit | undefined,
      signal,
      redirect: 'error', // an API never redirects; following one could carry a bearer token elsewhere
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    if (req.signal?.aborted) throw req.signal.reason; // the caller cancelled: not a network failure
    const timedOut = timeout.aborted;
    throw new ApiError({
      status: 0,
      code: 'network_error',
      title: timedOut ? 'The server did not answer in time.' : 'The server could not be reached.',
      cause: e,
    });
  }
}
