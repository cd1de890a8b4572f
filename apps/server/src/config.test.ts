// Tests of configuration loading: defaults, every variable, and every problem listed at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES, ConfigError, describeConfig, loadConfig, type Env } from './config.js';

const cwd = '/srv/valise';

function problemsOf(env: Env): readonly string[] {
  try {
    loadConfig(env, { cwd });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({}, { cwd });
    assert.deepEqual(config, {
      dataDir: '/srv/valise/data',
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      database: { kind: 'sqlite', path: '/srv/valise/data/valise.db' },
      blobs: { kind: 'fs', dir: '/srv/valise/data/blobs' },
      mail: { kind: 'outbox', dir: '/srv/valise/data/outbox' },
      mailFrom: 'Valise <noreply@localhost>',
      purgeIntervalMs: 30_000,
      expiryWarningMs: 86_400_000,
      shareKeyGraceMs: 2 * 86_400_000,
      limits: {
        maxExpiryMs: 30 * 86_400_000,
        maxDownloads: 100,
        defaultDataClass: 'standard',
        maxFileSize: 100 * 2 ** 30,
        userQuota: 200 * 2 ** 30,
        maxFiles: 1000,
        maxRecipients: 50,
      },
      trustProxy: false,
      // The web build beside the server package, wherever the checkout is (config.js is in apps/server/dist).
      webDir: fileURLToPath(new URL('../../web/dist', import.meta.url)),
      logLevel: 'info',
      orgPublicKey: null,
    });
    assert.equal(loadConfig({ VALISE_WEB_DIR: 'site' }, { cwd }).webDir, '/srv/valise/site', 'a relative VALISE_WEB_DIR is from the working folder');
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({}, { cwd });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.limits));
    assert.ok(Object.isFrozen(config.database));
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        VALISE_DATA_DIR: '/var/lib/valise',
        VALISE_HOST: '0.0.0.0',
        VALISE_PORT: '9000',
        VALISE_PUBLIC_URL: 'https://files.hospital.example/valise/',
        VALISE_DATABASE_URL: 'postgres://valise:secret@db:5432/valise',
        VALISE_S3_BUCKET: 'valise-parts',
        VALISE_S3_ENDPOINT: 'http://minio:9000',
        VALISE_S3_REGION: 'eu-west-3',
        VALISE_S3_ACCESS_KEY_ID: 'AKIA',
        VALISE_S3_SECRET_ACCESS_KEY: 'shhh',
        VALISE_S3_FORCE_PATH_STYLE: 'true',
        VALISE_SMTP_URL: 'smtps://mailer:pw@smtp.hospital.example:465',
        VALISE_MAIL_FROM: 'Valise <valise@hospital.example>',
        VALISE_PURGE_INTERVAL: '2m',
        VALISE_MAX_EXPIRY: '90d',
        VALISE_DEFAULT_DATA_CLASS: 'health',
        VALISE_MAX_DOWNLOADS: '5',
        VALISE_MAX_FILE_SIZE: '2 GB',
        VALISE_USER_QUOTA: '1TiB',
        VALISE_MAX_FILES: '10',
        VALISE_MAX_RECIPIENTS: '3',
        VALISE_TRUST_PROXY: 'yes',
        VALISE_LOG_LEVEL: 'debug',
      },
      { cwd },
    );
    assert.equal(config.dataDir, '/var/lib/valise');
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 9000);
    assert.equal(config.publicUrl, 'https://files.hospital.example/valise');
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://valise:secret@db:5432/valise' });
    assert.deepEqual(config.blobs, {
      kind: 's3', bucket: 'valise-parts', endpoint: 'http://minio:9000', region: 'eu-west-3', accessKeyId: 'AKIA',
      secretAccessKey: 'shhh', forcePathStyle: true,
    });
    assert.deepEqual(config.mail, { kind: 'smtp', url: 'smtps://mailer:pw@smtp.hospital.example:465' });
    assert.equal(config.mailFrom, 'Valise <valise@hospital.example>');
    assert.equal(config.purgeIntervalMs, 120_000);
    assert.deepEqual(config.limits, {
      maxExpiryMs: 90 * 86_400_000, maxDownloads: 5, defaultDataClass: 'health', maxFileSize: 2e9,
      userQuota: 2 ** 40, maxFiles: 10, maxRecipients: 3,
    });
    assert.equal(config.trustProxy, true);
    assert.equal(config.logLevel, 'debug');
  });

  it('derives the public URL and sender domain from the listening address', () => {
    assert.equal(loadConfig({ VALISE_HOST: '0.0.0.0', VALISE_PORT: '80' }, { cwd }).publicUrl, 'http://localhost:80');
    assert.equal(loadConfig({ VALISE_HOST: '::1' }, { cwd }).publicUrl, 'http://[::1]:8080');
    assert.equal(
      loadConfig({ VALISE_PUBLIC_URL: 'https://valise.chu.example' }, { cwd }).mailFrom,
      'Valise <noreply@valise.chu.example>',
    );
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ VALISE_PORT: '', VALISE_S3_BUCKET: ' ', VALISE_SMTP_URL: '' }, { cwd });
    assert.equal(config.port, 8080);
    assert.equal(config.blobs.kind, 'fs');
    assert.equal(config.mail.kind, 'outbox');
  });

  it('accepts the forms of durations and sizes operators write', () => {
    const config = loadConfig(
      { VALISE_PURGE_INTERVAL: '45', VALISE_MAX_EXPIRY: '15m', VALISE_MAX_FILE_SIZE: '1048576', VALISE_USER_QUOTA: '512 MiB' },
      { cwd },
    );
    assert.equal(config.purgeIntervalMs, 45_000);
    assert.equal(config.limits.maxExpiryMs, 900_000);
    assert.equal(config.limits.maxFileSize, 1_048_576);
    assert.equal(config.limits.userQuota, 512 * 2 ** 20);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      VALISE_PORT: '99999',
      VALISE_PUBLIC_URL: 'ftp://files.example',
      VALISE_DATABASE_URL: 'mysql://root:hunter2@db/valise',
      VALISE_SMTP_URL: 'not a url',
      VALISE_MAX_EXPIRY: '7 days',
      VALISE_DEFAULT_DATA_CLASS: 'Health Data',
      VALISE_MAX_DOWNLOADS: '0',
      VALISE_MAX_FILE_SIZE: '10 XB',
      VALISE_USER_QUOTA: '-1',
      VALISE_MAX_FILES: '1.5',
      VALISE_MAX_RECIPIENTS: 'many',
      VALISE_TRUST_PROXY: 'maybe',
      VALISE_LOG_LEVEL: 'verbose',
      VALISE_PURGE_INTERVAL: '0',
      VALISE_MAIL_FROM: 'nobody',
    });
    const named = problems.map((p) => p.split(':')[0]);
    assert.deepEqual(new Set(named), new Set([
      'VALISE_PORT', 'VALISE_PUBLIC_URL', 'VALISE_DATABASE_URL', 'VALISE_SMTP_URL', 'VALISE_MAX_EXPIRY',
      'VALISE_MAX_DOWNLOADS', 'VALISE_MAX_FILE_SIZE', 'VALISE_USER_QUOTA', 'VALISE_MAX_FILES', 'VALISE_MAX_RECIPIENTS',
      'VALISE_TRUST_PROXY', 'VALISE_LOG_LEVEL', 'VALISE_PURGE_INTERVAL', 'VALISE_MAIL_FROM', 'VALISE_DEFAULT_DATA_CLASS',
    ]));
    assert.equal(named.length, 15);
  });

  it('reads the share-key grace as a duration from 1h to 30d', () => {
    assert.equal(loadConfig({ VALISE_SHARE_KEY_GRACE: '36h' }, { cwd }).shareKeyGraceMs, 36 * 3_600_000);
    assert.equal(loadConfig({ VALISE_SHARE_KEY_GRACE: '30d' }, { cwd }).shareKeyGraceMs, 30 * 86_400_000);
    for (const bad of ['59m', '31d', '2 days', '0']) {
      const problems = problemsOf({ VALISE_SHARE_KEY_GRACE: bad });
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0]!, /^VALISE_SHARE_KEY_GRACE: must be a duration from 1h to 30d/);
    }
  });

  it('reads the organisation public key: 32 bytes of strict base64url, or unset', () => {
    const key = Buffer.alloc(32, 0xab).toString('base64url');
    assert.equal(loadConfig({ VALISE_ORG_PUBLIC_KEY: ` ${key} ` }, { cwd }).orgPublicKey, key);
    assert.equal(loadConfig({ VALISE_ORG_PUBLIC_KEY: '' }, { cwd }).orgPublicKey, null);
    const nonCanonical = `${key.slice(0, 42)}${key.endsWith('s') ? 't' : 's'}`;
    for (const bad of [key.slice(1), `${key}A`, `${key}=`, key.replace(/.$/, '+'), Buffer.alloc(32, 0xab).toString('base64').slice(0, 43).replace(/^./, '/'), nonCanonical]) {
      const problems = problemsOf({ VALISE_ORG_PUBLIC_KEY: bad });
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0]!, /^VALISE_ORG_PUBLIC_KEY: must be an Ed25519 public key/);
    }
  });

  it('reads the expiry warning as a duration from 1m to 365d, or off', () => {
    assert.equal(loadConfig({ VALISE_EXPIRY_WARNING: '12h' }, { cwd }).expiryWarningMs, 12 * 3_600_000);
    assert.equal(loadConfig({ VALISE_EXPIRY_WARNING: '1m' }, { cwd }).expiryWarningMs, 60_000);
    for (const off of ['off', 'OFF', '0']) assert.equal(loadConfig({ VALISE_EXPIRY_WARNING: off }, { cwd }).expiryWarningMs, null, off);
    for (const bad of ['30s', '366d', 'never', '1']) {
      const problems = problemsOf({ VALISE_EXPIRY_WARNING: bad });
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0]!, /^VALISE_EXPIRY_WARNING: must be a duration from 1m to 365d/);
    }
  });

  it('never echoes values that may hold a password', () => {
    const problems = problemsOf({ VALISE_DATABASE_URL: 'postgres//valise:hunter2@db', VALISE_SMTP_URL: 'http://u:hunter2@x' });
    assert.equal(problems.length, 2);
    for (const problem of problems) assert.doesNotMatch(problem, /hunter2/);
  });

  it('refuses a public URL with a query, a fragment or credentials', () => {
    assert.equal(problemsOf({ VALISE_PUBLIC_URL: 'https://a.example/?x=1' }).length, 1);
    assert.equal(problemsOf({ VALISE_PUBLIC_URL: 'https://a.example/#top' }).length, 1);
    assert.equal(problemsOf({ VALISE_PUBLIC_URL: 'https://a.example/?' }).length, 1);
    assert.equal(problemsOf({ VALISE_PUBLIC_URL: 'https://u:p@a.example/' }).length, 1);
  });

  it('says where a retired variable went (VALISE_DEFAULT_EXPIRY: each data class has its own default now)', () => {
    assert.deepEqual(problemsOf({ VALISE_DEFAULT_EXPIRY: '2d' }), ['VALISE_DEFAULT_EXPIRY: no longer read: each data class has its own default lifetime now (valise admin classes)']);
  });

  it('requires the bucket as soon as any S3 variable is set, and keys in pairs', () => {
    assert.deepEqual(problemsOf({ VALISE_S3_REGION: 'eu-west-3', VALISE_S3_ACCESS_KEY_ID: 'AKIA' }), [
      'VALISE_S3_BUCKET: is required when any VALISE_S3_* variable is set',
      'VALISE_S3_SECRET_ACCESS_KEY: must be set together with VALISE_S3_ACCESS_KEY_ID',
    ]);
    assert.equal(problemsOf({ VALISE_S3_BUCKET: 'Bad_Bucket' }).length, 1);
    const config = loadConfig({ VALISE_S3_BUCKET: 'ok-bucket' }, { cwd });
    assert.deepEqual(config.blobs, {
      kind: 's3', bucket: 'ok-bucket', endpoint: null, region: 'us-east-1', accessKeyId: null, secretAccessKey: null,
      forcePathStyle: false,
    });
  });

  it('reports unknown VALISE_ variables, suggesting the likely intended name', () => {
    assert.deepEqual(problemsOf({ VALISE_PROT: '8080', VALISE_SOMETHING_ELSE: 'x', PATH: '/bin', VALISE_TEST_DATABASE_URL: 'x' }), [
      'VALISE_PROT: unknown variable (did you mean VALISE_PORT?)',
      'VALISE_SOMETHING_ELSE: unknown variable',
    ]);
  });

  it('has one definition per variable, all named VALISE_*', () => {
    const names = CONFIG_VARIABLES.map((v) => v.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^VALISE_[A-Z0-9_]+$/);
    // Each default parses: an empty environment loads (tested above), and so does each default spelled out
    // (but the S3 ones, since setting any of them selects S3).
    const explicit = Object.fromEntries(
      CONFIG_VARIABLES.filter((v) => v.default !== null && !v.name.startsWith('VALISE_S3_')).map((v) => [v.name, v.default!]),
    );
    assert.deepEqual(loadConfig(explicit, { cwd }), loadConfig({}, { cwd }));
  });
});

describe('describeConfig', () => {
  it('carries no password or secret key', () => {
    const config = loadConfig(
      {
        VALISE_DATABASE_URL: 'postgres://valise:dbsecret@db:5432/valise',
        VALISE_S3_BUCKET: 'bkt',
        VALISE_S3_ACCESS_KEY_ID: 'AKIDSECRET',
        VALISE_S3_SECRET_ACCESS_KEY: 's3secret',
        VALISE_SMTP_URL: 'smtp://u:smtpsecret@mail:587',
      },
      { cwd },
    );
    const text = JSON.stringify(describeConfig(config));
    for (const secret of ['dbsecret', 'AKIDSECRET', 's3secret', 'smtpsecret']) assert.doesNotMatch(text, new RegExp(secret));
    assert.match(text, /db:5432/);
  });
});
