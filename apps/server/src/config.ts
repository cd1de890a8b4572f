// The server's configuration: the only module that reads process.env; validated once, listing every problem at once.
import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

export type Env = Readonly<Record<string, string | undefined>>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface VariableDefinition {
  readonly name: `VALISE_${string}`;
  /** The default, written as an operator would write it; null when "unset" has its own meaning (see `unset`). */
  readonly default: string | null;
  /** What happens when the variable is unset and has no plain default. */
  readonly unset?: string;
  readonly meaning: string;
  /** The value may carry a password: never echo it in problems or logs. */
  readonly secret?: boolean;
}

// The single definition of every variable: loadConfig reads these, and CONFIG.md is generated from them.
export const CONFIG_VARIABLES = [
  { name: 'VALISE_DATA_DIR', default: './data', meaning: 'Folder for the keystore, the SQLite database, stored files (filesystem storage) and the mail outbox. Relative to the working directory.' },
  { name: 'VALISE_HOST', default: '127.0.0.1', meaning: 'Address to listen on. Use 0.0.0.0 in a container or behind a reverse proxy on another host.' },
  { name: 'VALISE_PORT', default: '8080', meaning: 'TCP port to listen on (0 picks a free port).' },
  { name: 'VALISE_PUBLIC_URL', default: null, unset: 'http://HOST:PORT', meaning: 'The address users reach Valise at, used in links sent by e-mail. http or https, without query or fragment.' },
  { name: 'VALISE_DATABASE_URL', default: null, unset: 'SQLite at DATA_DIR/valise.db', secret: true, meaning: 'postgres://user:password@host:5432/database selects PostgreSQL (needed to run several server instances).' },
  { name: 'VALISE_S3_BUCKET', default: null, unset: 'files under DATA_DIR/blobs', meaning: 'Bucket for encrypted file parts. Setting any VALISE_S3_* variable selects S3 storage, and then the bucket is required.' },
  { name: 'VALISE_S3_ENDPOINT', default: null, unset: 'AWS S3', meaning: 'Endpoint URL of S3-compatible storage (MinIO, Ceph RGW, …).' },
  { name: 'VALISE_S3_REGION', default: 'us-east-1', meaning: 'S3 region.' },
  { name: 'VALISE_S3_ACCESS_KEY_ID', default: null, unset: 'the AWS default credential chain', secret: true, meaning: 'S3 access key id; set together with VALISE_S3_SECRET_ACCESS_KEY.' },
  { name: 'VALISE_S3_SECRET_ACCESS_KEY', default: null, unset: 'the AWS default credential chain', secret: true, meaning: 'S3 secret access key; set together with VALISE_S3_ACCESS_KEY_ID.' },
  { name: 'VALISE_S3_FORCE_PATH_STYLE', default: 'false', meaning: 'Address buckets as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT (MinIO usually needs true).' },
  { name: 'VALISE_SMTP_URL', default: null, unset: 'messages written to DATA_DIR/outbox', secret: true, meaning: 'smtp://user:password@host:587 (STARTTLS when offered) or smtps://user:password@host:465.' },
  { name: 'VALISE_MAIL_FROM', default: null, unset: 'Valise <noreply@host of PUBLIC_URL>', meaning: 'Sender address of the messages Valise sends.' },
  { name: 'VALISE_PURGE_INTERVAL', default: '30', meaning: 'Seconds between two runs of the purge job (90s, 15m are accepted too).' },
  { name: 'VALISE_EXPIRY_WARNING', default: '1d', meaning: 'How long before its expiry the sender is e-mailed about a transfer nobody has downloaded (at most half its life before; 90s, 15m, 12h, 7d). off or 0: never.' },
  { name: 'VALISE_SHARE_KEY_GRACE', default: '2d', meaning: 'A day\'s share key is destroyed once that day ended longer ago than the longest data class maximum plus this grace (1h to 30d): database backups older than that hold only undecryptable server shares (docs/operations.md).' },
  { name: 'VALISE_DEFAULT_DATA_CLASS', default: 'standard', meaning: 'Data class of a transfer whose sender does not choose one (health and standard ship; `valise admin classes` lists and edits them).' },
  { name: 'VALISE_MAX_EXPIRY', default: '30d', meaning: 'Ceiling over every data class: no class may let a transfer live longer (90s, 15m, 12h, 7d).' },
  { name: 'VALISE_MAX_DOWNLOADS', default: '100', meaning: 'Ceiling over every data class: largest number of downloads of one transfer.' },
  { name: 'VALISE_MAX_FILE_SIZE', default: '100GiB', meaning: 'Largest file accepted, counted in plaintext bytes (bytes, or with a unit: KiB, MiB, GiB, TiB, KB, MB, GB, TB).' },
  { name: 'VALISE_USER_QUOTA', default: '200GiB', meaning: 'Storage a user may hold in live transfers, unless set per user.' },
  { name: 'VALISE_MAX_FILES', default: '1000', meaning: 'Largest number of files in one transfer.' },
  { name: 'VALISE_MAX_RECIPIENTS', default: '50', meaning: 'Largest number of recipients of one transfer.' },
  { name: 'VALISE_WEB_DIR', default: null, unset: 'apps/web/dist of this checkout', meaning: 'Folder of the built web app (npm start builds it). Served at / ; without a build, the API still works.' },
  { name: 'VALISE_TRUST_PROXY', default: 'false', meaning: 'true when behind a reverse proxy: client addresses are then read from X-Forwarded-For.' },
  { name: 'VALISE_LOG_LEVEL', default: 'info', meaning: `Log level: ${LOG_LEVELS.join(', ')}.` },
  { name: 'VALISE_ORG_PUBLIC_KEY', default: null, unset: 'member keys cannot be certified', meaning: 'The organisation\'s Ed25519 public key (43 base64url characters, printed by `valise admin org-key init`). Member keys are usable once an administrator has certified them with its private half (docs/format.md §11.3); clients pin it.' },
] as const satisfies readonly VariableDefinition[];

export type VariableName = (typeof CONFIG_VARIABLES)[number]['name'];

/** VALISE_* names that belong to other tools (test suites), so they are not reported as typos. */
export const FOREIGN_VARIABLES: readonly string[] = ['VALISE_TEST_DATABASE_URL'];

/** Variables earlier versions read, with what replaced them: an operator upgrading is told where to go. */
const RETIRED_VARIABLES: Readonly<Record<string, string>> = {
  VALISE_DEFAULT_EXPIRY: 'each data class has its own default lifetime now (valise admin classes)',
};

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export type BlobsConfig =
  | { readonly kind: 'fs'; readonly dir: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly endpoint: string | null;
      readonly region: string;
      readonly accessKeyId: string | null;
      readonly secretAccessKey: string | null;
      readonly forcePathStyle: boolean;
    };

export type MailConfig =
  | { readonly kind: 'outbox'; readonly dir: string }
  | { readonly kind: 'smtp'; readonly url: string };

export interface PolicyLimits {
  /** Ceilings over every data class (a class's own values are clamped to them). */
  readonly maxExpiryMs: number;
  readonly maxDownloads: number;
  /** The class of a transfer created without one. */
  readonly defaultDataClass: string;
  readonly maxFileSize: number;
  readonly userQuota: number;
  readonly maxFiles: number;
  readonly maxRecipients: number;
}

export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Without a trailing slash: links are built as `${publicUrl}/…`. */
  readonly publicUrl: string;
  readonly database: DatabaseConfig;
  readonly blobs: BlobsConfig;
  readonly mail: MailConfig;
  readonly mailFrom: string;
  readonly purgeIntervalMs: number;
  /** How long before expiry an undownloaded transfer's sender is warned; null: never (VALISE_EXPIRY_WARNING). */
  readonly expiryWarningMs: number | null;
  /** Added to the longest data class maximum before a day's share key is destroyed (VALISE_SHARE_KEY_GRACE). */
  readonly shareKeyGraceMs: number;
  readonly limits: PolicyLimits;
  readonly trustProxy: boolean;
  /** The built web app (index.html and assets/). */
  readonly webDir: string;
  readonly logLevel: LogLevel;
  /** The organisation's Ed25519 public key as configured (43 base64url characters), or null (VALISE_ORG_PUBLIC_KEY). */
  readonly orgPublicKey: string | null;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

const DEFINITIONS = new Map<string, VariableDefinition>(CONFIG_VARIABLES.map((v) => [v.name, v]));
const DATA_CLASS_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** apps/web/dist beside this package (config.js is in apps/server/dist). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const MAX_EXPIRY_CEILING_MS = 3650 * 86_400_000;

export interface LoadConfigOptions {
  /** Where relative paths are resolved from (default: the working directory). */
  readonly cwd?: string;
}

/** Reads and validates every VALISE_* variable; throws one ConfigError listing every problem found. */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const problem = (name: VariableName, message: string) => problems.push(`${name}: ${message}`);

  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith('VALISE_') || DEFINITIONS.has(key) || FOREIGN_VARIABLES.includes(key)) continue;
    const retired = RETIRED_VARIABLES[key];
    if (retired !== undefined) {
      problems.push(`${key}: no longer read: ${retired}`);
      continue;
    }
    const guess = closestName(key);
    problems.push(`${key}: unknown variable${guess ? ` (did you mean ${guess}?)` : ''}`);
  }

  // Empty values count as unset: container tools often pass `NAME=` for "not configured".
  const isSet = (name: VariableName) => (env[name] ?? '').trim() !== '';
  const raw = (name: VariableName): string | null =>
    isSet(name) ? (env[name] as string).trim() : (DEFINITIONS.get(name)?.default ?? null);
  const shown = (name: VariableName, value: string) =>
    DEFINITIONS.get(name)?.secret ? '(value hidden)' : JSON.stringify(value);

  const integer = (name: VariableName, min: number, max: number): number | undefined => {
    const text = raw(name) ?? '';
    const value = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
    if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
    problem(name, `must be an integer from ${min} to ${max} (got ${shown(name, text)})`);
    return undefined;
  };
  const duration = (name: VariableName, min: number, max: number, bareSeconds = false): number | undefined => {
    const text = raw(name) ?? '';
    const value = bareSeconds && /^\d{1,9}$/.test(text) ? Number(text) * 1000 : parseDuration(text);
    if (value !== null && value >= min && value <= max) return value;
    problem(name, `must be a duration from ${formatDuration(min)} to ${formatDuration(max)} such as 90s, 15m, 12h or 7d (got ${shown(name, text)})`);
    return undefined;
  };
  const size = (name: VariableName): number | undefined => {
    const text = raw(name) ?? '';
    const value = parseSize(text);
    if (value !== null && value >= 1) return value;
    problem(name, `must be a size in bytes, or with a unit such as 512MiB or 100GiB (got ${shown(name, text)})`);
    return undefined;
  };
  const boolean = (name: VariableName): boolean | undefined => {
    const text = (raw(name) ?? '').toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    problem(name, `must be true or false (got ${shown(name, text)})`);
    return undefined;
  };
  const url = (name: VariableName, protocols: readonly string[]): URL | undefined => {
    const text = raw(name) ?? '';
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      problem(name, `must be a URL starting with ${protocols.join(' or ')}// (got ${shown(name, text)})`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      problem(name, `must start with ${protocols.join(' or ')}// (got ${parsed.protocol}//…)`);
      return undefined;
    }
    return parsed;
  };

  const dataDir = resolve(options.cwd ?? process.cwd(), raw('VALISE_DATA_DIR') ?? './data');
  const host = raw('VALISE_HOST') ?? '127.0.0.1';
  const port = integer('VALISE_PORT', 0, 65535);

  let publicUrl: string | undefined;
  if (isSet('VALISE_PUBLIC_URL')) {
    const parsed = url('VALISE_PUBLIC_URL', ['http:', 'https:']);
    if (parsed && (parsed.search || parsed.hash || raw('VALISE_PUBLIC_URL')?.match(/[?#]/))) {
      problem('VALISE_PUBLIC_URL', 'must not have a query (?…) or a fragment (#…)');
    } else if (parsed && (parsed.username || parsed.password)) {
      problem('VALISE_PUBLIC_URL', 'must not carry a user name or password');
    } else if (parsed) {
      publicUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    }
  } else if (port !== undefined) {
    publicUrl = `http://${urlHost(host)}:${port}`;
  }

  let database: DatabaseConfig = { kind: 'sqlite', path: join(dataDir, 'valise.db') };
  if (isSet('VALISE_DATABASE_URL')) {
    const parsed = url('VALISE_DATABASE_URL', ['postgres:', 'postgresql:']);
    if (parsed) database = { kind: 'postgres', url: raw('VALISE_DATABASE_URL') as string };
  }

  let blobs: BlobsConfig = { kind: 'fs', dir: join(dataDir, 'blobs') };
  const s3Names = CONFIG_VARIABLES.map((v) => v.name).filter((n) => n.startsWith('VALISE_S3_'));
  if (s3Names.some(isSet)) {
    const bucket = raw('VALISE_S3_BUCKET');
    if (bucket === null) problem('VALISE_S3_BUCKET', 'is required when any VALISE_S3_* variable is set');
    else if (!BUCKET_NAME.test(bucket)) problem('VALISE_S3_BUCKET', `is not a valid bucket name (got ${JSON.stringify(bucket)})`);
    const endpoint = isSet('VALISE_S3_ENDPOINT') ? url('VALISE_S3_ENDPOINT', ['http:', 'https:']) : null;
    const accessKeyId = raw('VALISE_S3_ACCESS_KEY_ID');
    const secretAccessKey = raw('VALISE_S3_SECRET_ACCESS_KEY');
    if ((accessKeyId === null) !== (secretAccessKey === null)) {
      problem(accessKeyId === null ? 'VALISE_S3_ACCESS_KEY_ID' : 'VALISE_S3_SECRET_ACCESS_KEY',
        'must be set together with ' + (accessKeyId === null ? 'VALISE_S3_SECRET_ACCESS_KEY' : 'VALISE_S3_ACCESS_KEY_ID'));
    }
    const forcePathStyle = boolean('VALISE_S3_FORCE_PATH_STYLE');
    blobs = {
      kind: 's3',
      bucket: bucket ?? '',
      endpoint: endpoint ? endpoint.href.replace(/\/$/, '') : null,
      region: raw('VALISE_S3_REGION') ?? 'us-east-1',
      accessKeyId,
      secretAccessKey,
      forcePathStyle: forcePathStyle ?? false,
    };
  }

  let mail: MailConfig = { kind: 'outbox', dir: join(dataDir, 'outbox') };
  if (isSet('VALISE_SMTP_URL')) {
    const parsed = url('VALISE_SMTP_URL', ['smtp:', 'smtps:']);
    if (parsed) mail = { kind: 'smtp', url: raw('VALISE_SMTP_URL') as string };
  }

  let mailFrom = raw('VALISE_MAIL_FROM');
  if (mailFrom !== null && (!/^[^\r\n]*@[^\r\n]+$/.test(mailFrom) || mailFrom.length > 320)) {
    problem('VALISE_MAIL_FROM', `must be an address such as "Valise <valise@hospital.example>" (got ${JSON.stringify(mailFrom)})`);
  }
  if (mailFrom === null) mailFrom = `Valise <noreply@${publicUrl ? mailDomain(publicUrl) : 'localhost'}>`;

  const purgeIntervalMs = duration('VALISE_PURGE_INTERVAL', 1_000, 86_400_000, true);
  const warningOff = ['off', '0'].includes((raw('VALISE_EXPIRY_WARNING') ?? '').toLowerCase());
  const expiryWarningMs = warningOff ? null : duration('VALISE_EXPIRY_WARNING', 60_000, 365 * 86_400_000);
  const shareKeyGraceMs = duration('VALISE_SHARE_KEY_GRACE', 3_600_000, 30 * 86_400_000);
  const maxExpiryMs = duration('VALISE_MAX_EXPIRY', 60_000, MAX_EXPIRY_CEILING_MS);
  const defaultDataClass = raw('VALISE_DEFAULT_DATA_CLASS') ?? 'standard';
  if (!DATA_CLASS_NAME.test(defaultDataClass)) {
    problem('VALISE_DEFAULT_DATA_CLASS', `must be a data class name: lowercase letters, digits and dashes (got ${JSON.stringify(defaultDataClass)})`);
  }
  const maxDownloads = integer('VALISE_MAX_DOWNLOADS', 1, 1_000_000);
  const maxFileSize = size('VALISE_MAX_FILE_SIZE');
  const userQuota = size('VALISE_USER_QUOTA');
  const maxFiles = integer('VALISE_MAX_FILES', 1, 100_000);
  const maxRecipients = integer('VALISE_MAX_RECIPIENTS', 1, 10_000);
  const trustProxy = boolean('VALISE_TRUST_PROXY');

  const logLevel = raw('VALISE_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problem('VALISE_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`);
  }

  const orgPublicKey = raw('VALISE_ORG_PUBLIC_KEY');
  if (orgPublicKey !== null && !isOrgPublicKey(orgPublicKey)) {
    problem('VALISE_ORG_PUBLIC_KEY', `must be an Ed25519 public key: 43 base64url characters (got ${JSON.stringify(orgPublicKey.slice(0, 60))})`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  // Every `undefined` above pushed a problem, so from here on the values are defined.
  return deepFreeze<Config>({
    dataDir,
    host,
    port: port!,
    publicUrl: publicUrl!,
    database,
    blobs,
    mail,
    mailFrom,
    purgeIntervalMs: purgeIntervalMs!,
    expiryWarningMs: expiryWarningMs ?? null,
    shareKeyGraceMs: shareKeyGraceMs!,
    limits: {
      maxExpiryMs: maxExpiryMs!,
      maxDownloads: maxDownloads!,
      defaultDataClass,
      maxFileSize: maxFileSize!,
      userQuota: userQuota!,
      maxFiles: maxFiles!,
      maxRecipients: maxRecipients!,
    },
    trustProxy: trustProxy!,
    webDir: resolve(options.cwd ?? process.cwd(), raw('VALISE_WEB_DIR') ?? DEFAULT_WEB_DIR),
    logLevel: logLevel as LogLevel,
    orgPublicKey,
  });
}

/**
 * 32 bytes of strict base64url (docs/format.md §1), exactly what @valise/crypto's orgPublicKeyFromText accepts: 43
 * characters without padding whose last one leaves its two unused bits zero.
 */
function isOrgPublicKey(text: string): boolean {
  return /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(text);
}

/** What start-up logs about the configuration: no passwords, no keys. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    dataDir: config.dataDir,
    listen: `${config.host}:${config.port}`,
    publicUrl: config.publicUrl,
    database: config.database.kind === 'sqlite' ? { kind: 'sqlite', path: config.database.path } : { kind: 'postgres', url: withoutCredentials(config.database.url) },
    blobs: config.blobs.kind === 'fs' ? config.blobs : { kind: 's3', bucket: config.blobs.bucket, endpoint: config.blobs.endpoint, region: config.blobs.region },
    mail: config.mail.kind === 'outbox' ? config.mail : { kind: 'smtp', url: withoutCredentials(config.mail.url) },
    limits: {
      ...config.limits,
      maxExpiry: formatDuration(config.limits.maxExpiryMs),
      defaultDataClass: config.limits.defaultDataClass,
      maxFileSize: formatSize(config.limits.maxFileSize),
      userQuota: formatSize(config.limits.userQuota),
    },
    trustProxy: config.trustProxy,
    orgPublicKey: config.orgPublicKey,
  };
}

export function withoutCredentials(text: string): string {
  try {
    const parsed = new URL(text);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.href;
  } catch {
    return '(unparsable URL)';
  }
}

function urlHost(host: string): string {
  // A wildcard address is where we listen, not where anyone can reach us.
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return isIP(host) === 6 ? `[${host}]` : host;
}

function mailDomain(publicUrl: string): string {
  const hostname = new URL(publicUrl).hostname;
  return isIP(hostname.replace(/^\[|\]$/g, '')) ? 'localhost' : hostname;
}

function closestName(unknown: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const { name } of CONFIG_VARIABLES) {
    const distance = editDistance(unknown, name);
    if (distance <= 3 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
