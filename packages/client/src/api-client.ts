// ValiseApi: one typed method per route of the HTTP API (@valise/protocol), over global fetch.
// Runs unchanged in browsers, Workers and Node. Secrets of a link never pass through here: only proofs.
import {
  API_PREFIX, PART_HASH_HEADER,
  type ChallengeResponse, type CodeGrantRequest, type CreateTransferRequest, type CreateTransferResponse, type DeletionRecord,
  type EnrollCompleteRequest, type EnrollStartRequest, type EnrollStartResponse, type FinalizeRequest,
  type FinalizeResponse, type GrantResponse, type GrantedTransferResponse, type LoginRequest, type LoginResponse, type Member,
  type MemberGrantRequest, type PartReceipt, type RequestCodeRequest, type RequestCodeResponse,
  type TransferDetail, type TransferList, type TransferListQuery, type TransferPolicy, type UploadStatus,
  type AddUnlockWrapRequest, type AdminMemberKey, type AdminMemberKeyList, type CertifyMemberKeyRequest, type MemberKeyStatus,
  type MyMemberKeys, type OrgKeyResponse, type PublicMemberKey, type SetUpMemberKeysRequest, type UnlockWrapList,
  type InboxList, type MemberOpenResponse,
  type BoxKeysResponse, type BoxList, type BoxSummary, type CreateBoxRequest, type CreateDepositRequest, type CreateDepositResponse,
  type DepositCodeRequest, type DepositCodeResponse, type DepositOpenResponse, type DepositReceipt, type DepositStatus,
  type DepositVerifyRequest, type DepositVerifyResponse, type FinalizeDepositRequest, type PublicBox,
  type AddTeamMemberRequest, type AdminTeam, type AdminTeamList, type AdminTeamsQuery, type CertifyTeamRequest, type CreateTeamRequest,
  type PublicTeamKey, type RemoveTeamMemberRequest, type TeamDetail, type TeamList, type TeamOpenResponse, type TeamRekeyed,
} from '@valise/protocol';
import { HEADER_SIZE, PART_CIPHERTEXT_SIZE } from '@valise/crypto';
import { ApiError } from './api-error.js';
import { DEFAULT_RETRY, type HttpOptions, type RetryPolicy, send, sleep, type Sleep } from './http.js';

export interface ValiseApiOptions {
  /** The server's public URL (the API lives at `<serverUrl>/api/v1`). */
  serverUrl: string;
  /** API token of a signed-in member (CLI); browsers use the session cookie instead. */
  token?: string | undefined;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** Timeout of one JSON request (default 60 s). */
  timeoutMs?: number;
  /** Timeout of one part upload or download (default 10 min: 8 MiB over a slow hospital uplink). */
  partTimeoutMs?: number;
  sleep?: Sleep;
}

interface CallOptions {
  signal?: AbortSignal | undefined;
}

type Json = Record<string, unknown> | unknown[];

/** Normalizes a public URL: http(s) only, no credentials, query or fragment, no trailing slash. */
export function normalizeServerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new TypeError('the server address is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('the server address must start with https://');
  if (url.username || url.password) throw new TypeError('the server address must not contain a user name or password');
  url.hash = '';
  url.search = '';
  return url.href.replace(/\/+$/u, '');
}

const seg = (value: string | number): string => encodeURIComponent(String(value));

export class ValiseApi {
  readonly serverUrl: string;
  readonly token: string | undefined;
  private readonly options: ValiseApiOptions;
  private readonly http: HttpOptions;
  private readonly partTimeoutMs: number;

  constructor(options: ValiseApiOptions) {
    this.options = options;
    this.serverUrl = normalizeServerUrl(options.serverUrl);
    this.token = options.token;
    this.http = {
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      sleep: options.sleep ?? sleep,
      timeoutMs: options.timeoutMs ?? 60_000,
    };
    this.partTimeoutMs = options.partTimeoutMs ?? 600_000;
  }

  /** The same client with another API token (or none). */
  withToken(token: string | undefined): ValiseApi {
    return new ValiseApi({ ...this.options, token });
  }

  // ── accounts ───────────────────────────────────────────────────────────────────────────────────

  enrollStart(body: EnrollStartRequest, o?: CallOptions): Promise<EnrollStartResponse> {
    return this.json('POST', '/enroll/start', body, o);
  }

  enrollComplete(body: EnrollCompleteRequest, o?: CallOptions): Promise<void> {
    return this.json('POST', '/enroll/complete', body, o);
  }

  login(body: LoginRequest, o?: CallOptions): Promise<LoginResponse> {
    return this.json('POST', '/auth/login', body, o);
  }

  /** Revokes the API token (or ends the session). */
  logout(o?: CallOptions): Promise<void> {
    return this.json('POST', '/auth/logout', {}, o);
  }

  /** The signed-in member. */
  me(o?: CallOptions): Promise<Member> {
    return this.json('GET', '/me', undefined, o);
  }

  // ── transfers (sender) ─────────────────────────────────────────────────────────────────────────

  createTransfer(body: CreateTransferRequest, o?: CallOptions): Promise<CreateTransferResponse> {
    return this.json('POST', '/transfers', body, o);
  }

  /** PUT one ciphertext part; `sha256` is the base64url SHA-256 of `bytes`, checked by the server. Retried. */
  putPart(
    ref: { transferId: string; fileId: string; index: number },
    bytes: Uint8Array,
    sha256: string,
    o?: CallOptions,
  ): Promise<PartReceipt> {
    return this.#putPartAt('transfers', ref, bytes, sha256, o);
  }

  async #putPartAt(
    base: 'transfers' | 'deposits',
    ref: { transferId: string; fileId: string; index: number },
    bytes: Uint8Array,
    sha256: string,
    o?: CallOptions & { bearer?: string },
  ): Promise<PartReceipt> {
    const res = await send(this.http, {
      method: 'PUT',
      url: this.url(`/${base}/${seg(ref.transferId)}/files/${seg(ref.fileId)}/parts/${seg(ref.index)}`),
      headers: { ...this.authHeader(o?.bearer), 'content-type': 'application/octet-stream', [PART_HASH_HEADER]: sha256, accept: 'application/json' },
      body: bytes,
      idempotent: true,
      timeoutMs: this.partTimeoutMs,
      signal: o?.signal,
    });
    return readJson(res);
  }

  /** What the server holds of an upload, for resuming. Retried. */
  uploadStatus(transferId: string, o?: CallOptions): Promise<UploadStatus> {
    return this.json('GET', `/transfers/${seg(transferId)}/upload`, undefined, o);
  }

  finalize(transferId: string, body: FinalizeRequest, o?: CallOptions): Promise<FinalizeResponse> {
    return this.json('POST', `/transfers/${seg(transferId)}/finalize`, body, o);
  }

  /** The bounds of the server's policy (expiry, downloads, files, recipients, size). */
  transferPolicy(o?: CallOptions): Promise<TransferPolicy> {
    return this.json('GET', '/transfers/policy', undefined, o);
  }

  /** A page of the member's transfers, newest first; pass the previous page's `next` as `before` for older ones. */
  listTransfers(query: TransferListQuery = {}, o?: CallOptions): Promise<TransferList> {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.before !== undefined) params.set('before', query.before);
    const search = params.toString();
    return this.json('GET', `/transfers${search ? `?${search}` : ''}`, undefined, o);
  }

  getTransfer(transferId: string, o?: CallOptions): Promise<TransferDetail> {
    return this.json('GET', `/transfers/${seg(transferId)}`, undefined, o);
  }

  /** Closes a transfer for good (an unfinished upload is abandoned). */
  revokeTransfer(transferId: string, o?: CallOptions): Promise<void> {
    return this.json('POST', `/transfers/${seg(transferId)}/revoke`, {}, o);
  }

  /** The evidence of a purged transfer's deletion; not_found (404) until the purge has run. */
  deletionRecord(transferId: string, o?: CallOptions): Promise<DeletionRecord> {
    return this.json('GET', `/transfers/${seg(transferId)}/deletion-record`, undefined, o);
  }

  // ── drop boxes: owners ───────────────────────────────────────────────────────────────────────────

  createBox(body: CreateBoxRequest, o?: CallOptions): Promise<BoxSummary> {
    return this.json('POST', '/boxes', body, o);
  }

  listBoxes(o?: CallOptions): Promise<BoxList> {
    return this.json('GET', '/boxes', undefined, o);
  }

  boxKeys(boxId: string, o?: CallOptions): Promise<BoxKeysResponse> {
    return this.json('GET', `/boxes/${seg(boxId)}/keys`, undefined, o);
  }

  closeBox(boxId: string, o?: CallOptions): Promise<BoxSummary> {
    return this.json('POST', `/boxes/${seg(boxId)}/close`, {}, o);
  }

  /** A box owner opens a deposit: the first open consumes one download. */
  openDeposit(transferId: string, o?: CallOptions): Promise<DepositOpenResponse> {
    return this.json('POST', `/inbox/${seg(transferId)}/open-deposit`, {}, o);
  }

  // ── drop boxes: depositors (no account; a deposit token after an e-mailed code) ───────────────────

  publicBox(boxId: string, o?: CallOptions): Promise<PublicBox> {
    return this.json('GET', `/boxes/${seg(boxId)}/public`, undefined, o);
  }

  depositCode(boxId: string, body: DepositCodeRequest, o?: CallOptions): Promise<DepositCodeResponse> {
    return this.json('POST', `/boxes/${seg(boxId)}/code`, body, o);
  }

  depositVerify(boxId: string, body: DepositVerifyRequest, o?: CallOptions): Promise<DepositVerifyResponse> {
    return this.json('POST', `/boxes/${seg(boxId)}/verify`, body, o);
  }

  createDeposit(boxId: string, body: CreateDepositRequest, depositToken: string, o?: CallOptions): Promise<CreateDepositResponse> {
    return this.json('POST', `/boxes/${seg(boxId)}/deposits`, body, { ...o, bearer: depositToken });
  }

  putDepositPart(ref: { transferId: string; fileId: string; index: number }, bytes: Uint8Array, sha256: string, depositToken: string, o?: CallOptions): Promise<PartReceipt> {
    return this.#putPartAt('deposits', ref, bytes, sha256, { ...o, bearer: depositToken });
  }

  depositStatus(transferId: string, depositToken: string, o?: CallOptions): Promise<DepositStatus> {
    return this.json('GET', `/deposits/${seg(transferId)}`, undefined, { ...o, bearer: depositToken });
  }

  /** The depositor stops their unfinished deposit: abandoned now, its place in the box given back by the next purge. */
  cancelDeposit(transferId: string, depositToken: string, o?: CallOptions): Promise<void> {
    return this.json('POST', `/deposits/${seg(transferId)}/cancel`, {}, { ...o, bearer: depositToken });
  }

  finalizeDeposit(transferId: string, body: FinalizeDepositRequest, depositToken: string, o?: CallOptions): Promise<DepositReceipt> {
    return this.json('POST', `/deposits/${seg(transferId)}/finalize`, body, { ...o, bearer: depositToken });
  }

  // ── the inbox (member recipients) ────────────────────────────────────────────────────────────

  listInbox(o?: CallOptions): Promise<InboxList> {
    return this.json('GET', '/inbox', undefined, o);
  }

  /** Opens a transfer through this member's slot: a recipient's first open consumes one download. */
  openInboxTransfer(transferId: string, o?: CallOptions): Promise<MemberOpenResponse> {
    return this.json('POST', `/inbox/${seg(transferId)}/open`, {}, o);
  }

  /** Opens a transfer through a team slot (a team of the caller's): a first open consumes one download. */
  openTeamTransfer(transferId: string, o?: CallOptions): Promise<TeamOpenResponse> {
    return this.json('POST', `/inbox/${seg(transferId)}/open-team`, {}, o);
  }

  // ── teams (docs/format.md §13.5) ──────────────────────────────────────────────────────────────

  /** Creates a team from keys made on the client; the creator is its first member. team_name_taken (409). */
  createTeam(body: CreateTeamRequest, o?: CallOptions): Promise<TeamDetail> {
    return this.json('POST', '/teams', body, o);
  }

  /** The teams the member belongs to. */
  listTeams(o?: CallOptions): Promise<TeamList> {
    return this.json('GET', '/teams', undefined, o);
  }

  /** A team of the member's: every signed epoch, the members, the owned boxes, and the member's own sealed copy. */
  getTeam(teamId: string, o?: CallOptions): Promise<TeamDetail> {
    return this.json('GET', `/teams/${seg(teamId)}`, undefined, o);
  }

  /** A certified team's current key, to seal a team slot to (verify it: org certificate, team signature, epoch). */
  getTeamKeyByName(name: string, o?: CallOptions): Promise<PublicTeamKey> {
    return this.json('GET', `/teams/key?name=${encodeURIComponent(name)}`, undefined, o);
  }

  getTeamKeyById(teamId: string, o?: CallOptions): Promise<PublicTeamKey> {
    return this.json('GET', `/teams/${seg(teamId)}/key`, undefined, o);
  }

  /** Adds a member (with a certified key): the bundle sealed to them at the team's current epoch. */
  addTeamMember(teamId: string, body: AddTeamMemberRequest, o?: CallOptions): Promise<TeamDetail> {
    return this.json('POST', `/teams/${seg(teamId)}/members`, body, o);
  }

  /** Removes a member with the whole re-keying (new team epoch, a copy per remaining member, a box epoch per box). */
  removeTeamMember(teamId: string, memberId: string, body: RemoveTeamMemberRequest, o?: CallOptions): Promise<TeamRekeyed> {
    return this.json('POST', `/teams/${seg(teamId)}/members/${seg(memberId)}/remove`, body, o);
  }

  /** Administrators: teams by certification status (default pending). */
  listTeamsForAdmin(query: AdminTeamsQuery = {}, o?: CallOptions): Promise<AdminTeamList> {
    return this.json('GET', `/admin/teams${query.status ? `?status=${seg(query.status)}` : ''}`, undefined, o);
  }

  /** Administrators: stores the organisation's certificate over the team record named by `fingerprint`. */
  certifyTeam(teamId: string, body: CertifyTeamRequest, o?: CallOptions): Promise<AdminTeam> {
    return this.json('POST', `/admin/teams/${seg(teamId)}/certificate`, body, o);
  }

  // ── the gate (recipient) ───────────────────────────────────────────────────────────────────────

  challenge(transferId: string, o?: CallOptions): Promise<ChallengeResponse> {
    return this.json('POST', `/open/${seg(transferId)}/challenge`, {}, o);
  }

  requestCode(transferId: string, body: RequestCodeRequest, o?: CallOptions): Promise<RequestCodeResponse> {
    return this.json('POST', `/open/${seg(transferId)}/code`, body, o);
  }

  /** Exchanges an e-mailed code for a grant: consumes one download. Never retried. */
  codeGrant(transferId: string, body: CodeGrantRequest, o?: CallOptions): Promise<GrantResponse> {
    return this.json('POST', `/open/${seg(transferId)}/grant`, body, o);
  }

  /** A signed-in member who is a recipient gets a grant without a code. Never retried. */
  memberGrant(transferId: string, body: MemberGrantRequest, o?: CallOptions): Promise<GrantResponse> {
    return this.json('POST', `/open/${seg(transferId)}/member-grant`, body, o);
  }

  /** What a kept grant releases again, after an interruption. Consumes nothing; retried. */
  grantedTransfer(transferId: string, grantToken: string, o?: CallOptions): Promise<GrantedTransferResponse> {
    return this.json('GET', `/download/${seg(transferId)}`, undefined, { ...o, bearer: grantToken });
  }

  /** GET one ciphertext part with the grant token. Never consumes anything; retried. */
  async getPart(
    ref: { transferId: string; fileId: string; index: number },
    grantToken: string,
    o?: CallOptions & {
      /** A buffer to read the part into (returned as a view of it) when it fits; the caller must not touch it meanwhile. */
      into?: Uint8Array | undefined;
    },
  ): Promise<Uint8Array> {
    const res = await send(this.http, {
      method: 'GET',
      url: this.url(`/download/${seg(ref.transferId)}/files/${seg(ref.fileId)}/parts/${seg(ref.index)}`),
      headers: { authorization: `Bearer ${grantToken}`, accept: 'application/octet-stream' },
      idempotent: true,
      timeoutMs: this.partTimeoutMs,
      signal: o?.signal,
    });
    try {
      return await readPartBody(res, o?.into);
    } catch (e) {
      if (o?.signal?.aborted) throw o.signal.reason;
      throw new ApiError({ status: 0, code: 'network_error', title: 'The download was interrupted.', cause: e });
    }
  }

  /** Ends the grant once every file is saved. */
  completeDownload(transferId: string, grantToken: string, o?: CallOptions): Promise<void> {
    return this.json('POST', `/download/${seg(transferId)}/complete`, {}, { ...o, bearer: grantToken });
  }

  // ── member keys (docs/format.md §11) ──────────────────────────────────────────────────────────

  /** The organisation public key the server is configured with (null: none); no sign-in needed. */
  getOrgKey(o?: CallOptions): Promise<OrgKeyResponse> {
    return this.json('GET', '/org-key', undefined, o);
  }

  /** First set-up of the member's keys; member_keys_exist (409) afterwards. Never retried. */
  setUpMemberKeys(body: SetUpMemberKeysRequest, o?: CallOptions): Promise<MyMemberKeys> {
    return this.json('PUT', '/me/keys', body, o);
  }

  /** The member's record, certificate, sealed bundle and unlock wraps; member_keys_missing (404) before set-up. */
  getMyKeys(o?: CallOptions): Promise<MyMemberKeys> {
    return this.json('GET', '/me/keys', undefined, o);
  }

  /** Adds an unlock wrap, or replaces `replaces` with it atomically; answers the member's wraps. */
  addUnlockWrap(body: AddUnlockWrapRequest, o?: CallOptions): Promise<UnlockWrapList> {
    return this.json('POST', '/me/keys/wraps', body, o);
  }

  /** Removes an unlock wrap; last_unlock_method (409) for the last passphrase or passkey. */
  deleteUnlockWrap(wrapId: string, o?: CallOptions): Promise<UnlockWrapList> {
    return this.json('DELETE', `/me/keys/wraps/${seg(wrapId)}`, undefined, o);
  }

  /** An active member's certified key (verify it against the pinned org key); member_key_unavailable (404) otherwise. */
  getMemberKeyByEmail(email: string, o?: CallOptions): Promise<PublicMemberKey> {
    return this.json('GET', `/members/key?email=${encodeURIComponent(email)}`, undefined, o);
  }

  getMemberKeyById(memberId: string, o?: CallOptions): Promise<PublicMemberKey> {
    return this.json('GET', `/members/${seg(memberId)}/key`, undefined, o);
  }

  /** Administrators: member keys by status (default all). */
  listMemberKeysForAdmin(query: { status?: MemberKeyStatus } = {}, o?: CallOptions): Promise<AdminMemberKeyList> {
    return this.json('GET', `/admin/member-keys${query.status ? `?status=${seg(query.status)}` : ''}`, undefined, o);
  }

  /** Administrators: stores the organisation's certificate over the record named by `fingerprint`. */
  certifyMemberKey(memberId: string, body: CertifyMemberKeyRequest, o?: CallOptions): Promise<AdminMemberKey> {
    return this.json('POST', `/admin/member-keys/${seg(memberId)}/certificate`, body, o);
  }

  // ── plumbing ───────────────────────────────────────────────────────────────────────────────────

  private url(path: string): string {
    return `${this.serverUrl}${API_PREFIX}${path}`;
  }

  private authHeader(bearer?: string): Record<string, string> {
    const token = bearer ?? this.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private async json<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: Json | object | undefined,
    o?: CallOptions & { bearer?: string },
  ): Promise<T> {
    const headers: Record<string, string> = { ...this.authHeader(o?.bearer), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await send(this.http, {
      method,
      url: this.url(path),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      idempotent: method === 'GET',
      signal: o?.signal,
    });
    return readJson<T>(res);
  }
}

/** The largest part there is: a full part plus the 56-byte file header (part 0). */
const MAX_PART_BYTES = PART_CIPHERTEXT_SIZE + HEADER_SIZE;

/**
 * A part's body in one array sized from Content-Length, filled as chunks arrive: `arrayBuffer()` gathers the
 * chunks, joins them and copies the result once more. Falls back to it when the length is missing, encoded or
 * larger than any part. A body cut short comes back short, and is refused by its size check.
 */
async function readPartBody(res: Response, into: Uint8Array | undefined): Promise<Uint8Array> {
  const header = res.headers.get('content-length');
  const length = header !== null && /^\d{1,10}$/.test(header) ? Number(header) : NaN;
  const encoding = res.headers.get('content-encoding');
  if (!res.body || !(length > 0 && length <= MAX_PART_BYTES) || (encoding !== null && encoding !== 'identity')) {
    return new Uint8Array(await res.arrayBuffer());
  }
  const out = into !== undefined && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  let filled = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (filled + value.length > length) {
      await reader.cancel().catch(() => undefined);
      throw new Error('the part is longer than its Content-Length');
    }
    out.set(value, filled);
    filled += value.length;
  }
  return filled === length ? out : out.subarray(0, filled);
}

async function readJson<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ApiError({ status: res.status, code: 'unexpected_response', title: 'The server sent an answer that is not JSON.', cause: e });
  }
}
