// TEST DOUBLE of the Valise HTTP API (routes of @valise/protocol), in memory, behind a fetch function.
// It exists so the engines' own logic (resume, key reuse, the code loop, all-or-nothing writes) can be tested
// before and besides the real server; end-to-end tests must use apps/server. It enforces what the engines rely
// on: part sizes and hashes, link proofs (verified with the real crypto), codes, download limits.
import {
  expectedPartSize, fromBase64Url, idFromText, idToText, newId, partCount, plaintextSizeOf, randomBytes, sha256,
  toBase64Url, verifyLinkProof, type LinkAuthKey,
} from '@valise/crypto';
import { ERROR_STATUS, type ErrorCode } from '@valise/protocol';

interface StoredFile {
  fileId: string;
  ciphertextSize: number;
  partCount: number;
  plaintextSize: number;
  parts: Map<number, Uint8Array>;
  hashes: Map<number, string>;
}
interface StoredTransfer {
  transferId: string;
  state: 'uploading' | 'ready' | 'closed';
  closeReason: 'expired' | 'exhausted' | 'revoked' | 'abandoned' | null;
  serverShare: string;
  files: StoredFile[];
  recipients: string[];
  maxDownloads: number;
  downloadsUsed: number;
  createdAt: number;
  expiresAt: number;
  finalized?: { slotId: string; wrapped: string; linkAuthKey: string; manifest: string };
}

class Problem extends Error {
  constructor(readonly code: ErrorCode, readonly extra: Record<string, unknown> = {}) {
    super(code);
  }
}

const json = (status: number, value: unknown) =>
  new Response(value === undefined ? null : JSON.stringify(value), { status, headers: value === undefined ? {} : { 'content-type': 'application/json' } });

export class InMemoryValiseServer {
  readonly baseUrl: string;
  readonly memberToken = toBase64Url(randomBytes(32));
  readonly memberEmail = 'sender@h.example';
  readonly transfers = new Map<string, StoredTransfer>();
  /** Codes "e-mailed" to recipients: email → latest code. */
  readonly outbox = new Map<string, string>();
  readonly log: string[] = [];
  readonly revokedTokens = new Set<string>();
  private readonly challenges = new Map<string, { transferId: string; nonce: Uint8Array }>();
  private readonly openings = new Map<string, { transferId: string; email: string; code: string; attemptsLeft: number }>();
  private readonly grants = new Map<string, string>();
  /** Set to make the next N requests fail as network errors (before reaching the handler). */
  failNext = 0;
  /** Called before each request is handled (tests use it to stall or observe). */
  onRequest: ((method: string, path: string) => Promise<void> | void) | undefined;

  constructor(opts: { baseUrl?: string } = {}) {
    this.baseUrl = opts.baseUrl ?? 'https://valise.test';
  }

  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (this.failNext > 0) {
      this.failNext--;
      throw new TypeError('fetch failed (simulated)');
    }
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    const body = init.body instanceof Uint8Array ? init.body : typeof init.body === 'string' ? new TextEncoder().encode(init.body) : new Uint8Array();
    this.log.push(`${method} ${url.pathname}`);
    await this.onRequest?.(method, url.pathname);
    try {
      return await this.route(method, url.pathname.replace(/^\/api\/v1/u, ''), headers, body);
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      return new Response(JSON.stringify({ type: `urn:valise:problem:${e.code}`, title: e.code, status: ERROR_STATUS[e.code], code: e.code, ...e.extra }), {
        status: ERROR_STATUS[e.code],
        headers: { 'content-type': 'application/problem+json' },
      });
    }
  };

  private transfer(id: string): StoredTransfer {
    const t = this.transfers.get(id);
    if (!t) throw new Problem('not_found');
    return t;
  }

  private requireMember(headers: Headers): void {
    if (headers.get('authorization') !== `Bearer ${this.memberToken}` || this.revokedTokens.has(this.memberToken)) throw new Problem('unauthenticated');
  }

  private async checkProof(t: StoredTransfer, challengeId: string, proof: string): Promise<void> {
    const c = this.challenges.get(challengeId);
    this.challenges.delete(challengeId); // single use
    if (!c || c.transferId !== t.transferId || !t.finalized) throw new Problem('challenge_invalid');
    const a = fromBase64Url(t.finalized.linkAuthKey, 32) as LinkAuthKey;
    if (!(await verifyLinkProof(a, idFromText(t.transferId), c.nonce, fromBase64Url(proof, 32)))) throw new Problem('link_proof_invalid');
  }

  private grant(t: StoredTransfer) {
    if (t.state !== 'ready') throw new Problem(t.closeReason === 'revoked' ? 'transfer_revoked' : 'link_unavailable');
    if (t.downloadsUsed >= t.maxDownloads) throw new Problem('transfer_exhausted');
    t.downloadsUsed++;
    const grantToken = toBase64Url(randomBytes(32));
    this.grants.set(grantToken, t.transferId);
    return json(200, {
      grantToken, grantExpiresAt: Date.now() + 60_000, transferExpiresAt: t.expiresAt, serverShare: t.serverShare,
      linkSlot: { slotId: t.finalized!.slotId, wrapped: t.finalized!.wrapped }, manifest: t.finalized!.manifest,
      files: t.files.map((f) => ({ fileId: f.fileId, ciphertextSize: f.ciphertextSize, partCount: f.partCount })),
    });
  }

  private async route(method: string, path: string, headers: Headers, body: Uint8Array): Promise<Response> {
    const parts = path.split('/').filter(Boolean);
    const input = () => JSON.parse(new TextDecoder().decode(body)) as Record<string, unknown>;
    // Sender routes.
    if (method === 'POST' && path === '/transfers') {
      this.requireMember(headers);
      const req = input() as { files: { ciphertextSize: number }[]; recipients: string[]; expiresInSeconds?: number; maxDownloads?: number };
      const transferId = idToText(newId());
      const now = Date.now();
      const t: StoredTransfer = {
        transferId, state: 'uploading', closeReason: null, serverShare: toBase64Url(randomBytes(32)),
        files: req.files.map((f) => {
          const plaintextSize = plaintextSizeOf(f.ciphertextSize);
          return { fileId: idToText(newId()), ciphertextSize: f.ciphertextSize, plaintextSize, partCount: partCount(plaintextSize), parts: new Map(), hashes: new Map() };
        }),
        recipients: req.recipients.map((r) => r.toLowerCase()), maxDownloads: req.maxDownloads ?? 5, downloadsUsed: 0,
        createdAt: now, expiresAt: now + (req.expiresInSeconds ?? 7 * 86_400) * 1000,
      };
      this.transfers.set(transferId, t);
      return json(201, {
        transferId, serverShare: t.serverShare, expiresInSeconds: req.expiresInSeconds ?? 7 * 86_400, maxDownloads: t.maxDownloads,
        files: t.files.map((f) => ({ fileId: f.fileId, ciphertextSize: f.ciphertextSize, partCount: f.partCount })),
      });
    }
    if (method === 'POST' && path === '/auth/logout') {
      this.requireMember(headers);
      this.revokedTokens.add(this.memberToken);
      return json(204, undefined);
    }
    if (method === 'GET' && path === '/transfers') {
      this.requireMember(headers);
      return json(200, {
        transfers: [...this.transfers.values()].map((t) => ({
          transferId: t.transferId, state: t.state, closeReason: t.closeReason, createdAt: t.createdAt, expiresAt: t.expiresAt,
          maxDownloads: t.maxDownloads, downloadsUsed: t.downloadsUsed, recipients: t.recipients, fileCount: t.files.length,
          totalBytes: t.files.reduce((n, f) => n + f.ciphertextSize, 0),
        })),
      });
    }
    if (parts[0] === 'transfers' && parts.length >= 3) {
      this.requireMember(headers);
      const t = this.transfer(parts[1]!);
      if (method === 'PUT' && parts[2] === 'files' && parts[4] === 'parts') {
        if (t.state !== 'uploading') throw new Problem('transfer_not_uploading');
        const f = t.files.find((x) => x.fileId === parts[3]);
        const index = Number(parts[5]);
        if (!f || !(index >= 0 && index < f.partCount)) throw new Problem('part_out_of_range');
        if (body.length !== expectedPartSize(f.plaintextSize, index)) throw new Problem('part_size_mismatch');
        const hash = toBase64Url(await sha256(body));
        if (hash !== headers.get('x-valise-part-sha256')) throw new Problem('part_hash_mismatch');
        f.parts.set(index, new Uint8Array(body));
        f.hashes.set(index, hash);
        return json(200, { index, size: body.length, sha256: hash });
      }
      if (method === 'GET' && parts[2] === 'upload') {
        return json(200, {
          transferId: t.transferId, state: t.state, serverShare: t.state === 'uploading' ? t.serverShare : null,
          files: t.files.map((f) => ({
            fileId: f.fileId, ciphertextSize: f.ciphertextSize, partCount: f.partCount,
            received: [...f.hashes.entries()].sort((a, b) => a[0] - b[0]).map(([index, sha256]) => ({ index, sha256 })),
          })),
        });
      }
      if (method === 'POST' && parts[2] === 'finalize') {
        if (t.state !== 'uploading') throw new Problem('transfer_not_uploading');
        if (t.files.some((f) => f.parts.size !== f.partCount)) throw new Problem('upload_incomplete');
        const req = input() as { linkSlot: { slotId: string; wrapped: string }; linkAuthKey: string; manifest: string };
        t.finalized = { slotId: req.linkSlot.slotId, wrapped: req.linkSlot.wrapped, linkAuthKey: req.linkAuthKey, manifest: req.manifest };
        t.state = 'ready';
        return json(200, { transferId: t.transferId, expiresAt: t.expiresAt, linkBase: `${this.baseUrl}/t/${t.transferId}` });
      }
      if (method === 'POST' && parts[2] === 'revoke') {
        t.state = 'closed';
        t.closeReason = t.finalized ? 'revoked' : 'abandoned';
        return json(204, undefined);
      }
    }
    // The gate.
    if (parts[0] === 'open' && method === 'POST') {
      const t = this.transfer(parts[1]!);
      if (parts[2] === 'challenge') {
        if (t.state !== 'ready') throw new Problem('link_unavailable');
        const challengeId = idToText(newId());
        const nonce = randomBytes(32);
        this.challenges.set(challengeId, { transferId: t.transferId, nonce });
        return json(200, { challengeId, nonce: toBase64Url(nonce), slotId: t.finalized!.slotId, expiresAt: Date.now() + 300_000 });
      }
      const req = input();
      if (parts[2] === 'code') {
        await this.checkProof(t, req.challengeId as string, req.proof as string);
        const email = (req.email as string).toLowerCase();
        const code = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
        const openingToken = toBase64Url(randomBytes(32));
        this.openings.set(openingToken, { transferId: t.transferId, email, code, attemptsLeft: 5 });
        if (t.recipients.includes(email)) this.outbox.set(email, code);
        return json(200, { openingToken, codeExpiresAt: Date.now() + 600_000 });
      }
      if (parts[2] === 'grant') {
        const o = this.openings.get(req.openingToken as string);
        if (!o || o.transferId !== t.transferId || o.attemptsLeft <= 0) throw new Problem('too_many_attempts');
        if (req.code !== o.code || !t.recipients.includes(o.email)) {
          o.attemptsLeft--;
          throw new Problem('code_invalid', { attemptsLeft: o.attemptsLeft });
        }
        this.openings.delete(req.openingToken as string);
        return this.grant(t);
      }
      if (parts[2] === 'member-grant') {
        this.requireMember(headers);
        await this.checkProof(t, req.challengeId as string, req.proof as string);
        if (!t.recipients.includes(this.memberEmail)) throw new Problem('forbidden');
        return this.grant(t);
      }
    }
    if (parts[0] === 'download') {
      const auth = headers.get('authorization')?.replace(/^Bearer /u, '') ?? '';
      if (this.grants.get(auth) !== parts[1]) throw new Problem('grant_invalid');
      const t = this.transfer(parts[1]!);
      if (method === 'GET' && parts[2] === 'files') {
        const bytes = t.files.find((f) => f.fileId === parts[3])?.parts.get(Number(parts[5]));
        if (!bytes) throw new Problem('not_found');
        return new Response(new Uint8Array(bytes), { status: 200, headers: { 'content-type': 'application/octet-stream' } });
      }
      if (method === 'POST' && parts[2] === 'complete') {
        this.grants.delete(auth);
        return json(204, undefined);
      }
    }
    throw new Problem('not_found');
  }
}
