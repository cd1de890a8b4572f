// Test kit: the REAL Valise server (apps/server, full domain, chosen database and blob store, real HTTP on loopback),
// members enrolled over HTTP (password + TOTP) and signed in through the real `valise login`, and the codes the
// server e-mails, read from its outbox (.eml files). Optionally behind a StallProxy, to make the network fail.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ValiseApi, parseEnrollmentLink } from '@valise/client';
import { type Logger, type ServerContext, inviteMember } from '@valise/server';
import {
  type Domain, ManualClock, type OutboxMessage, OutboxReader, type TestServer, createDomain, startTestServer, totpCodeAt,
} from '@valise/server/testing';
import { type CliRun, runCli } from './run-cli.js';
import { StallProxy } from './stall-proxy.js';

export { ManualClock };

export const PASSWORD = 'correct horse battery staple';
const TOTP_STEP_MS = 30_000;

export interface RealServerOptions {
  readonly dialect?: 'sqlite' | 'postgres';
  readonly blobs?: 'fs' | 's3';
  /** The server's clock (default: the system clock). The kit computes TOTP codes on it too. */
  readonly clock?: ManualClock;
  /**
   * Extra VALISE_* variables (policy limits…). VALISE_PURGE_INTERVAL defaults to a day: the purge job must not
   * change states behind a test's back; tests run it with purge().
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Put a StallProxy in front: the public URL (links, logins) is then the proxy's. */
  readonly proxy?: boolean;
}

export interface EnrolledMember {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly totpSecret: string;
  readonly isAdmin: boolean;
  /** The last TOTP time step the server accepted for this member (a step is never accepted twice). */
  lastStep: number;
}


export class RealServer {
  readonly server: TestServer;
  readonly proxy: StallProxy | null;
  readonly #domain: Domain;
  #reader: OutboxReader | undefined;

  private constructor(server: TestServer, domain: Domain, proxy: StallProxy | null) {
    this.server = server;
    this.#domain = domain;
    this.proxy = proxy;
  }

  static async start(options: RealServerOptions = {}): Promise<RealServer> {
    const proxy = options.proxy ? await StallProxy.start() : null;
    try {
      let domain: Domain | undefined;
      const server = await startTestServer({
        dialect: options.dialect ?? 'sqlite',
        blobs: options.blobs ?? 'fs',
        domain: (ctx) => (domain = createDomain(ctx)),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        env: { VALISE_PURGE_INTERVAL: '1d', ...(proxy ? { VALISE_PUBLIC_URL: proxy.url } : {}), ...options.env },
      });
      proxy?.setTarget(server.url);
      return new RealServer(server, domain!, proxy);
    } catch (error) {
      await proxy?.close();
      throw error;
    }
  }

  /** The public URL: what links name and what clients talk to (the proxy's, when there is one). */
  get url(): string {
    return this.server.ctx.config.publicUrl;
  }

  get ctx(): ServerContext {
    return this.server.ctx;
  }

  /** The server's database (Kysely), to observe what it really stored. */
  get db(): ServerContext['database']['db'] {
    return this.server.ctx.database.db;
  }

  now(): number {
    return this.server.ctx.clock.now();
  }

  /** The server's own VALISE_* environment, as an administrator on the server host has it (`valise admin`). */
  serverEnv(): Record<string, string> {
    const { config } = this.server.ctx;
    const env: Record<string, string> = {
      VALISE_DATA_DIR: config.dataDir,
      VALISE_PUBLIC_URL: config.publicUrl,
      VALISE_LOG_LEVEL: config.logLevel,
    };
    if (config.database.kind === 'postgres') env.VALISE_DATABASE_URL = config.database.url;
    if (config.blobs.kind === 's3') {
      const b = config.blobs;
      Object.assign(env, {
        VALISE_S3_BUCKET: b.bucket, VALISE_S3_REGION: b.region, VALISE_S3_FORCE_PATH_STYLE: String(b.forcePathStyle),
        ...(b.endpoint ? { VALISE_S3_ENDPOINT: b.endpoint } : {}),
        ...(b.accessKeyId ? { VALISE_S3_ACCESS_KEY_ID: b.accessKeyId } : {}),
        ...(b.secretAccessKey ? { VALISE_S3_SECRET_ACCESS_KEY: b.secretAccessKey } : {}),
      });
    }
    return env;
  }

  api(token?: string): ValiseApi {
    return new ValiseApi({ serverUrl: this.url, token });
  }

  /** One run of the server's purge job (closes what expired, deletes the files of closed transfers). */
  purge(): Promise<unknown> {
    return this.#domain.transfers.purge.runOnce();
  }

  /** Every key in the blob store. */
  async storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of this.server.ctx.blobs.list()) keys.push(key);
    return keys.sort();
  }

  /** An enrollment link, as `valise admin invite` makes it (same function, in this process). */
  async invite(email: string, admin = false): Promise<string> {
    return (await inviteMember(this.server.ctx, email, { admin })).enrollmentLink;
  }

  /** Enrolls from a link over HTTP, as the web app would: password, then the TOTP code of now. */
  async enroll(link: string, email: string): Promise<EnrolledMember> {
    const { token } = parseEnrollmentLink(link);
    const api = this.api();
    const start = await api.enrollStart({ token });
    const now = this.now();
    await api.enrollComplete({ token, password: PASSWORD, totpCode: totpCodeAt(start.totpSecret, now) });
    const row = await this.db.selectFrom('users').select(['id', 'is_admin']).where('email', '=', email.toLowerCase()).executeTakeFirstOrThrow();
    return { id: row.id, email: email.toLowerCase(), password: PASSWORD, totpSecret: start.totpSecret, isAdmin: Number(row.is_admin) === 1, lastStep: stepOf(now) };
  }

  /** A new member, invited and enrolled. */
  async member(email = `member-${randomBytes(4).toString('hex')}@h.example`, admin = false): Promise<EnrolledMember> {
    return this.enroll(await this.invite(email, admin), email);
  }

  /**
   * A TOTP code the server will accept for the member's next sign-in: the code of the next step (accepted within
   * the ±1 step window), since the step used at enrollment (or a previous sign-in) can never be used again.
   */
  nextTotp(member: EnrolledMember): string {
    const at = this.now() + TOTP_STEP_MS;
    if (stepOf(at) <= member.lastStep) {
      throw new Error(`${member.email} already signed in during this TOTP step: enroll another member (or advance the ManualClock)`);
    }
    member.lastStep = stepOf(at);
    return totpCodeAt(member.totpSecret, at);
  }

  /** An API token over HTTP (as the CLI's login does, without the CLI). */
  async apiToken(member: EnrolledMember): Promise<string> {
    const res = await this.api().login({ email: member.email, password: member.password, totpCode: this.nextTotp(member), client: 'cli', label: 'test' });
    if (!res.token) throw new Error('no API token issued');
    return res.token;
  }

  /** The real `valise login`, password and TOTP code piped on stdin; credentials land in `configDir`. */
  async cliLogin(configDir: string, member: EnrolledMember): Promise<CliRun> {
    return runCli(['login', this.url, '--email', member.email], {
      env: { VALISE_CONFIG_DIR: configDir },
      input: `${member.password}\n${this.nextTotp(member)}\n`,
    });
  }

  get outboxDir(): string {
    const { mail } = this.server.ctx.config;
    if (mail.kind !== 'outbox') throw new Error('the test server mails over SMTP: no outbox');
    return mail.dir;
  }

  /** Every message in the outbox, oldest first. */
  /** Every message written so far, once the mail that leaves after an answer (codes, notices, receipts) is out. */
  async outbox(): Promise<OutboxMessage[]> {
    await this.#domain.transfers.mailLater.drain();
    return this.#outbox().messages();
  }

  /**
   * Waits for a message to `email` not handed out before, and returns the code (the 8 digits in the body) of the
   * newest one. Every message to `email` seen so far is then spent.
   */
  async nextCode(email: string, timeoutMs = 20_000): Promise<string> {
    return this.#outbox().nextCode(email, timeoutMs);
  }

  #outbox(): OutboxReader {
    this.#reader ??= new OutboxReader(this.outboxDir);
    return this.#reader;
  }

  /** A `runCli` driver that answers the e-mailed-code prompt of `valise receive` with the code sent to `email`. */
  answerCode(email: string) {
    return async (child: { stdin: NodeJS.WritableStream }): Promise<void> => {
      const code = await this.nextCode(email);
      child.stdin.write(`${code}\n`);
      child.stdin.end();
    };
  }

  /** The blob keys of a transfer's parts, in file order then part order. */
  async blobKeys(transferId: string): Promise<{ file: number; part: number; key: string }[]> {
    const rows = await this.db.selectFrom('parts')
      .innerJoin('transfer_files', 'transfer_files.id', 'parts.file_id')
      .select(['parts.blob_key as key', 'transfer_files.idx as file', 'parts.idx as part'])
      .where('parts.transfer_id', '=', transferId)
      .execute();
    return rows.map((r) => ({ file: Number(r.file), part: Number(r.part), key: r.key })).sort((a, b) => a.file - b.file || a.part - b.part);
  }

  async readBlob(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.server.ctx.blobs.get(key)) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  /** Flips one byte of a stored object, in the blob store itself (what a compromised or failing disk does). */
  async corruptBlob(key: string, offset: number): Promise<void> {
    const bytes = await this.readBlob(key);
    if (offset >= bytes.length) throw new Error(`blob ${key} has only ${bytes.length} bytes`);
    bytes[offset]! ^= 0xff;
    await this.server.ctx.blobs.delete(key);
    await this.server.ctx.blobs.put(key, Readable.from([bytes]), bytes.length);
  }

  async close(): Promise<void> {
    try {
      await this.server.close();
    } finally {
      await this.proxy?.close();
    }
  }
}

function stepOf(ms: number): number {
  return Math.floor(ms / TOTP_STEP_MS);
}


export interface CliWorkspace {
  readonly real: RealServer;
  readonly root: string;
  readonly configDir: string;
  readonly src: string;
  /** For runCli: the CLI's configuration folder. */
  readonly env: Record<string, string>;
  /** Signed in through `valise login` in configDir. */
  readonly sender: EnrolledMember;
}

/** A real server, a temp folder, and a member signed in through the real `valise login`; all removed after the test. */
export async function cliWorkspace(t: { after(fn: () => Promise<void>): void }, options: RealServerOptions = {}): Promise<CliWorkspace> {
  const real = await RealServer.start(options);
  const root = await mkdtemp(join(tmpdir(), 'valise-flow-'));
  t.after(async () => {
    await real.close();
    await rm(root, { recursive: true, force: true });
  });
  const configDir = join(root, 'config');
  const src = join(root, 'src');
  await mkdir(src);
  const sender = await real.member();
  const login = await real.cliLogin(configDir, sender);
  if (login.code !== 0) throw new Error(`valise login failed (${login.code}): ${login.stderr}`);
  return { real, root, configDir, src, env: { VALISE_CONFIG_DIR: configDir }, sender };
}
