// Test helpers for the transfer domain: a real server (chosen database and storage, manual clock), members with
// real API tokens, and a sender and a recipient that speak HTTP and make real proofs and slots with @valise/crypto.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ciphertextSize, deriveLinkAuthKey, idFromText, linkProof, newSecret, partCiphertextRange, partCount, plaintextSizeOf,
  wrapLinkSlot, type ClientKey, type LinkSecret, type SlotIdBytes, type TransferIdBytes,
} from '@valise/crypto';
import { API_PREFIX, PART_HASH_HEADER, type CreateTransferResponse, type FinalizeRequest } from '@valise/protocol';
import { hashToken, newId, newToken } from '../accounts/tokens.js';
import type { Dialect } from '../db/database.js';
import { createDomain, type Domain } from '../domain.js';
import { OutboxMailer } from '../mail/outbox-mailer.js';
import { ManualClock } from '../testing/manual-clock.js';
import { availableDialects } from '../testing/databases.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import type { TransferDomain } from './transfer-domain.js';

export interface HarnessOptions {
  readonly dialect: Dialect;
  readonly blobs?: 'fs' | 's3';
  /** Extra VALISE_* variables (policy limits). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface Member {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}

/** What the sender's client keeps after sending: the link secret and what was uploaded. */
export interface SentTransfer {
  readonly transferId: string;
  readonly created: CreateTransferResponse;
  readonly linkSecret: LinkSecret;
  readonly slotId: string;
  readonly clientKey: ClientKey;
  /** Ciphertext of each file, as uploaded. */
  readonly files: readonly Buffer[];
}

export class Harness {
  readonly server: TestServer;
  readonly domain: TransferDomain;
  /** Every domain the server runs (drop boxes, inbox…), for tests beyond transfers. */
  readonly all: Domain;
  readonly clock: ManualClock;

  private constructor(server: TestServer, all: Domain, clock: ManualClock) {
    this.server = server;
    this.domain = all.transfers;
    this.all = all;
    this.clock = clock;
  }

  static async start(options: HarnessOptions): Promise<Harness> {
    const clock = new ManualClock(Date.now());
    let domain: Domain | undefined;
    const server = await startTestServer({
      dialect: options.dialect,
      blobs: options.blobs ?? 'fs',
      clock,
      domain: (ctx) => {
        domain = createDomain(ctx);
        return domain;
      },
      // The timer must not purge behind a test's back: tests call runOnce().
      env: { VALISE_PURGE_INTERVAL: '1d', ...options.env },
    });
    return new Harness(server, domain!, clock);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  get db() {
    return this.server.ctx.database.db;
  }

  /** An active member with a real API token (as `valise login` would get). */
  async member(email = `m-${randomBytes(4).toString('hex')}@hospital.example`): Promise<Member> {
    const { ctx } = this.server;
    const id = newId();
    const token = newToken();
    const now = this.clock.now();
    await ctx.database.db.insertInto('users').values({
      id, email, is_admin: 0, status: 'active', password_hash: null, totp_secret_enc: null, totp_last_step: null,
      quota_bytes: null, created_at: now,
    }).execute();
    await ctx.database.db.insertInto('sessions').values({
      id: newId(), user_id: id, kind: 'api', token_hash: hashToken(ctx.keystore.sessionKey, token), label: 'test',
      created_at: now, last_used_at: now, expires_at: null, revoked_at: null,
    }).execute();
    return { id, email, token };
  }

  async request(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: BodyInit | undefined;
    if (options.body instanceof Uint8Array) {
      body = options.body as Uint8Array<ArrayBuffer>;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.server.url}${API_PREFIX}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** Creates a transfer for files of the given plaintext sizes. */
  async create(sender: Member, plaintextSizes: readonly number[], extra: Record<string, unknown> = {}): Promise<Reply> {
    return this.request('POST', '/transfers', {
      token: sender.token,
      body: { files: plaintextSizes.map((n) => ({ ciphertextSize: ciphertextSize(n) })), recipients: ['r@lab.example'], ...extra },
    });
  }

  /** Uploads every part of file `i` (random ciphertext of the right length: the server checks sizes and hashes only). */
  async uploadFile(sender: Member, created: CreateTransferResponse, i: number, ciphertext: Buffer): Promise<void> {
    const file = created.files[i]!;
    const plaintext = plaintextSizeFor(file.ciphertextSize);
    for (let k = 0; k < partCount(plaintext); k++) {
      const r = await this.putPart(sender, created.transferId, file.fileId, k, partBytes(ciphertext, plaintext, k));
      if (r.status !== 200) throw new Error(`part ${k}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }

  putPart(sender: Member, transferId: string, fileId: string, index: number, bytes: Buffer, sha256 = sha256Of(bytes)): Promise<Reply> {
    return this.request('PUT', `/transfers/${transferId}/files/${fileId}/parts/${index}`, {
      token: sender.token, body: new Uint8Array(bytes), headers: { [PART_HASH_HEADER]: sha256 },
    });
  }

  /** Create → upload → finalize, with a real link slot and link-auth key. */
  async send(sender: Member, options: { sizes?: number[]; recipients?: string[]; maxDownloads?: number; expiresInSeconds?: number; dataClass?: string } = {}): Promise<SentTransfer> {
    const sizes = options.sizes ?? [1000];
    const created = await this.create(sender, sizes, {
      recipients: options.recipients ?? ['r@lab.example'],
      ...(options.maxDownloads ? { maxDownloads: options.maxDownloads } : {}),
      ...(options.expiresInSeconds ? { expiresInSeconds: options.expiresInSeconds } : {}),
      ...(options.dataClass ? { dataClass: options.dataClass } : {}),
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    const response = created.body as CreateTransferResponse;
    const files = response.files.map((f) => randomBytes(f.ciphertextSize));
    for (let i = 0; i < files.length; i++) await this.uploadFile(sender, response, i, files[i]!);
    const linkSecret = newSecret<'LinkSecret'>();
    const clientKey = newSecret<'ClientKey'>();
    const slotId = newId();
    const body = await finalizeBody(response.transferId, slotId, linkSecret, clientKey);
    const finalized = await this.request('POST', `/transfers/${response.transferId}/finalize`, { token: sender.token, body });
    if (finalized.status !== 200) throw new Error(`finalize: ${finalized.status} ${JSON.stringify(finalized.body)}`);
    return { transferId: response.transferId, created: response, linkSecret, slotId, clientKey, files };
  }

  /** A fresh challenge answered with the link secret (or a wrong one). */
  async proveLink(sent: Pick<SentTransfer, 'transferId' | 'linkSecret' | 'slotId'>): Promise<{ challengeId: string; proof: string }> {
    const challenge = await this.request('POST', `/open/${sent.transferId}/challenge`, { body: {} });
    if (challenge.status !== 200) throw new Error(`challenge: ${challenge.status} ${JSON.stringify(challenge.body)}`);
    const a = await deriveLinkAuthKey(sent.linkSecret, idFromText<'TransferId'>(sent.transferId), idFromText<'SlotId'>(sent.slotId));
    const proof = await linkProof(a, idFromText<'TransferId'>(sent.transferId), Buffer.from(challenge.body.nonce, 'base64url'));
    return { challengeId: challenge.body.challengeId, proof: Buffer.from(proof).toString('base64url') };
  }

  /** Asks for a code for `email`; returns the reply (openingToken on success). */
  async requestCode(sent: SentTransfer, email: string): Promise<Reply> {
    const proof = await this.proveLink(sent);
    return this.request('POST', `/open/${sent.transferId}/code`, { body: { ...proof, email } });
  }

  /** Every code mailed to `email` so far, oldest first (waits for mail still being sent). */
  async codesFor(email: string): Promise<string[]> {
    return (await this.mailsTo(email)).map((m) => /Your code is: (\d{8})/.exec(m)?.[1]).filter((c): c is string => c !== undefined);
  }

  async mailsTo(email: string): Promise<string[]> {
    await this.domain.mailLater.drain();
    const dir = (this.server.ctx.mailer as OutboxMailer).dir;
    const names = await readdir(dir).catch(() => [] as string[]);
    const mails = await Promise.all(names.sort().map((n) => readFile(join(dir, n), 'utf8')));
    return mails.filter((m) => new RegExp(`^To: ${email.replace(/[.+]/g, '\\$&')}\\r?$`, 'mi').test(m));
  }

  /** Challenge → code → grant for a recipient address. */
  async grant(sent: SentTransfer, email: string): Promise<Reply> {
    const asked = await this.requestCode(sent, email);
    if (asked.status !== 200) return asked;
    const code = (await this.codesFor(email)).at(-1)!;
    return this.request('POST', `/open/${sent.transferId}/grant`, { body: { openingToken: asked.body.openingToken, code } });
  }

  async downloadsUsed(transferId: string): Promise<number> {
    const row = await this.db.selectFrom('transfers').select('downloads_used').where('id', '=', transferId).executeTakeFirstOrThrow();
    return Number(row.downloads_used);
  }

  async blobKeys(transferId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('parts').select('blob_key').where('transfer_id', '=', transferId).execute();
    return rows.map((r) => r.blob_key);
  }

  /** Every key in the blob store. */
  async storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of this.server.ctx.blobs.list()) keys.push(key);
    return keys;
  }
}

export async function finalizeBody(transferId: string, slotId: string, ls: LinkSecret, ck: ClientKey): Promise<FinalizeRequest> {
  const tid = idFromText<'TransferId'>(transferId) as TransferIdBytes;
  const sid = idFromText<'SlotId'>(slotId) as SlotIdBytes;
  const slot = await wrapLinkSlot(ls, tid, sid, ck);
  const a = await deriveLinkAuthKey(ls, tid, sid);
  return {
    linkSlot: { slotId, wrapped: Buffer.from(slot).toString('base64url') },
    linkAuthKey: Buffer.from(a).toString('base64url'),
    // The server stores the encrypted manifest as opaque bytes.
    manifest: randomBytes(300).toString('base64url'),
  };
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

export function plaintextSizeFor(ciphertext: number): number {
  return plaintextSizeOf(ciphertext);
}

/** Bytes of part k of a file ciphertext. */
export function partBytes(ciphertext: Buffer, plaintextSize: number, k: number): Buffer {
  const { start, end } = partCiphertextRange(plaintextSize, k);
  return ciphertext.subarray(start, end);
}

/** What each store's tests share: a started harness and a member, filled in before the tests run. */
export interface StoreSuite {
  h: Harness;
  alice: Member;
}

/**
 * The frame of the transfer domain's HTTP tests: one suite per database × blob store (SQLite and PostgreSQL,
 * filesystem and S3), each with its own started Harness and member. An unreachable PostgreSQL is reported as
 * availableDialects says (a failure in CI). `body` declares the tests, reading `s.h` and `s.alice` inside them.
 */
export async function describeEachStore(
  name: string,
  body: (s: StoreSuite, store: { readonly dialect: Dialect; readonly blobs: 'fs' | 's3' }) => void,
): Promise<void> {
  await describe(name, async () => {
    const { dialects, failure } = await availableDialects();
    if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));
    for (const dialect of dialects) {
      for (const blobs of ['fs', 's3'] as const) {
        describe(`${dialect} + ${blobs}`, () => {
          const s = {} as StoreSuite;
          before(async () => {
            s.h = await Harness.start({ dialect, blobs });
            s.alice = await s.h.member();
          });
          after(async () => s.h?.close());
          body(s, { dialect, blobs });
        });
      }
    }
  });
}
