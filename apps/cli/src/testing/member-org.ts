// An organisation with member keys, set up through the real CLI: the organisation key made offline, a real server
// that trusts it (behind a proxy that can play a compromised server), members signed in, keys made and signed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EnrolledMember, RealServer } from './real-server.js';
import { runCli } from './run-cli.js';

export const ORG_PASSPHRASE = 'organisation passphrase, kept offline';
export const keyPassphrase = (email: string): string => `${email} key passphrase`;
export const lines = (...answers: string[]): string => `${answers.join('\n')}\n`;

export interface MemberOrg {
  readonly real: RealServer;
  readonly root: string;
  readonly orgFile: string;
  readonly orgPublicKey: string;
  /** Per member address: the member and the CLI environment of their own computer (config folder). */
  readonly members: Record<string, { member: EnrolledMember; env: Record<string, string>; recoveryCode: string | null }>;
}

async function ok(run: Promise<{ code: number | null; stderr: string; stdout: string }>, what: string): Promise<string> {
  const r = await run;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** `withKeys`: the members who make keys (all signed by the administrator); the others only sign in. */
export async function memberOrg(
  t: { after(fn: () => Promise<void>): void },
  options: { dialect: 'sqlite' | 'postgres'; emails: string[]; withKeys: string[] },
): Promise<MemberOrg> {
  const root = await mkdtemp(join(tmpdir(), 'valise-org-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const orgFile = join(root, 'org-key.json');
  const adminEnv = { VALISE_CONFIG_DIR: join(root, 'admin') };
  const init = await ok(runCli(['--json', 'admin', 'org-key', 'init', '--out', orgFile], { env: adminEnv, input: lines(ORG_PASSPHRASE, ORG_PASSPHRASE) }), 'org-key init');
  const orgPublicKey = (JSON.parse(init) as { publicKey: string }).publicKey;
  const real = await RealServer.start({ dialect: options.dialect, env: { VALISE_ORG_PUBLIC_KEY: orgPublicKey }, proxy: true });
  t.after(() => real.close());
  const admin = await real.member(`admin-${Math.random().toString(36).slice(2, 8)}@h.example`, true);
  await ok(real.cliLogin(adminEnv.VALISE_CONFIG_DIR, admin), 'admin login');
  const members: MemberOrg['members'] = {};
  for (const email of options.emails) {
    const member = await real.member(email);
    const env = { VALISE_CONFIG_DIR: join(root, email) };
    await ok(real.cliLogin(env.VALISE_CONFIG_DIR, member), `${email} login`);
    let recoveryCode: string | null = null;
    if (options.withKeys.includes(email)) {
      const out = await ok(runCli(['--json', 'keys', 'init'], { env, input: lines(keyPassphrase(email), keyPassphrase(email)) }), `${email} keys init`);
      recoveryCode = (JSON.parse(out) as { recoveryCode: string }).recoveryCode;
    }
    members[email] = { member, env, recoveryCode };
  }
  if (options.withKeys.length > 0) {
    await ok(runCli(['admin', 'sign-members', '--key', orgFile, '--yes'], { env: adminEnv, input: lines(ORG_PASSPHRASE) }), 'sign-members');
  }
  return { real, root, orgFile, orgPublicKey, members };
}
