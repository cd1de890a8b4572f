// Team mailboxes through the real `valise` against the real server (docs/format.md §13.5): a member creates a team,
// the administrator signs it, members are added; a colleague sends to the team and a depositor without an account
// delivers into the team's drop box, and every member opens both; a removed member opens nothing made afterwards;
// a server serving a forged or older team key is refused by the sender's client; the database holds no team or box
// private key, no CK or TK, no file name in clear.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ValiseApi, openMyTeam, openOwnedBox, unlockMemberKeys } from '@valise/client';
import {
  createTeam, deriveTransferKey, fromBase64Url, idFromText, openTeamSlot, orgPublicKeyFromText, partCount, secretFromBase64Url, serializeTeamKeyRecord, toBase64Url,
} from '@valise/crypto';
import { availableDialects } from '@valise/server/testing';
import { ORG_PASSPHRASE, keyPassphrase, lines, memberOrg } from './testing/member-org.js';
import { runCli } from './testing/run-cli.js';

const pattern = (n: number, seed: number) => Buffer.alloc(n, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + seed) % 256)));
const json = <T>(s: string): T => JSON.parse(s) as T;

interface InboxEntry { transferId: string; kind: string; team: { name: string } | null; sender: { email: string } | null }

describe('team mailboxes through the CLI', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    it(`create, sign, add; send and deposit to the team, every member opens; removal re-keys; forged keys refused (${dialect})`, async (t) => {
      const [alice, bob, carol, dave] = ['alice@h.example', 'bob@h.example', 'carol@h.example', 'dave@h.example'];
      const org = await memberOrg(t, { dialect, emails: [alice, bob, carol, dave], withKeys: [alice, bob, carol, dave] });
      const { real, root } = org;
      const env = (who: string) => org.members[who]!.env;
      const unlock = (who: string) => ({ env: env(who), input: lines(keyPassphrase(who)) });
      const adminEnv = { VALISE_CONFIG_DIR: join(root, 'admin') };
      const src = join(root, 'src');
      await mkdir(src);
      const report = pattern(50_000, 1);
      await writeFile(join(src, 'report-TEAM1.pdf'), report);

      // Alice creates the team; nobody can send to it before the organisation signs it.
      const created = await runCli(['--json', 'team', 'create', 'Virology lab'], unlock(alice));
      assert.equal(created.code, 0, created.stderr);
      const team = json<{ teamId: string; certified: boolean }>(created.stdout);
      assert.equal(team.certified, false);
      const early = await runCli(['send', join(src, 'report-TEAM1.pdf'), '--team', 'Virology lab'], unlock(dave));
      assert.equal(early.code, 2, early.stderr);
      assert.match(early.stderr, /no team "Virology lab" signed by your organisation/);
      const taken = await runCli(['team', 'create', 'virology LAB'], unlock(bob));
      assert.equal(taken.code, 2, taken.stderr);

      const signed = await runCli(['--json', 'admin', 'sign-members', '--key', org.orgFile, '--yes'], { env: adminEnv, input: lines(ORG_PASSPHRASE) });
      assert.equal(signed.code, 0, signed.stderr);
      assert.deepEqual(json<{ teamsSigned: string[] }>(signed.stdout).teamsSigned, ['Virology lab']);
      for (const who of [bob, carol]) {
        const added = await runCli(['team', 'add', 'Virology lab', who], unlock(alice));
        assert.equal(added.code, 0, added.stderr);
      }
      const shown = json<{ members: { email: string }[]; currentEpoch: number }>((await runCli(['--json', 'team', 'show', 'Virology lab'], { env: env(bob) })).stdout);
      assert.deepEqual(shown.members.map((m) => m.email).sort(), [alice, bob, carol]);
      assert.equal(shown.currentEpoch, 1);
      const notMember = await runCli(['team', 'show', 'Virology lab'], { env: env(dave) });
      assert.equal(notMember.code, 2, notMember.stderr);

      // The team's drop box, and a deposit from someone without an account.
      const box = await runCli(['--json', 'box', 'create', 'Results for virology', '--team', 'Virology lab'], unlock(alice));
      assert.equal(box.code, 0, box.stderr);
      const { link, ownerTeam, boxId } = json<{ link: string; ownerTeam: { name: string }; boxId: string }>(box.stdout);
      assert.equal(ownerTeam.name, 'Virology lab');
      const depositorEnv = { VALISE_CONFIG_DIR: join(root, 'depositor') };
      // Each deposit from its own address: the receipt mailed after one deposit is not the next one's code.
      const deposit = async (file: string, email: string) => {
        const r = await runCli(['--json', 'deposit', link, file, '--email', email, '--name', 'Lab Durand'], { env: depositorEnv, drive: real.answerCode(email) });
        assert.equal(r.code, 0, r.stderr);
        return json<{ receipt: { transferId: string } }>(r.stdout).receipt.transferId;
      };
      const firstDeposit = await deposit(join(src, 'report-TEAM1.pdf'), 'tech@lab.example');

      // Dave (not a member) sends to the team: no link, a team slot. (The epoch-1 key served to him is kept, to replay.)
      let epochOneKey: Buffer | undefined;
      real.proxy!.rewriteWhen((method, path) => (method === 'GET' && path === '/api/v1/teams/key' ? (body) => (epochOneKey = body) : undefined));
      const sent = await runCli(['--json', 'send', join(src, 'report-TEAM1.pdf'), '--team', 'Virology lab', '--message', 'for the lab'], unlock(dave));
      real.proxy!.rewriteWhen(undefined);
      assert.ok(epochOneKey);
      assert.equal(sent.code, 0, sent.stderr);
      const transfer = json<{ transferId: string; link: string | null; teams: string[] }>(sent.stdout);
      assert.equal(transfer.link, null);
      assert.deepEqual(transfer.teams, ['Virology lab']);
      const listed = await runCli(['list'], { env: env(dave) });
      assert.match(listed.stdout.split('\n').find((l) => l.startsWith(transfer.transferId)) ?? '', /Virology lab \(team\)$/, 'the sender sees the team among the recipients');

      // Every member sees both in their inbox and opens them.
      for (const who of [alice, bob, carol]) {
        const inbox = json<{ transfers: InboxEntry[] }>((await runCli(['--json', 'inbox'], { env: env(who) })).stdout).transfers;
        assert.deepEqual(inbox.map((e) => [e.transferId, e.kind, e.team?.name]).sort(), [[firstDeposit, 'deposit', 'Virology lab'], [transfer.transferId, 'transfer', 'Virology lab']].sort(), who);
        for (const id of [firstDeposit, transfer.transferId]) {
          const out = join(root, `${who}-${id}`);
          const r = await runCli(['--json', 'receive', id, '--out', out], unlock(who));
          assert.equal(r.code, 0, `${who} ${id}: ${r.stderr}`);
          assert.deepEqual(await readFile(join(out, 'report-TEAM1.pdf')), report);
          if (id === transfer.transferId) assert.deepEqual(json<{ sender: { email: string; verified: boolean } }>(r.stdout).sender, { email: dave, verified: true });
        }
      }
      const daveInbox = json<{ transfers: InboxEntry[] }>((await runCli(['--json', 'inbox'], { env: env(dave) })).stdout).transfers;
      assert.ok(!daveInbox.some((e) => e.transferId === firstDeposit), 'a non-member never sees the team\'s deposits');

      // A server handing the sender a key signed by another team (valid signature, wrong signer): refused.
      const rogue = await createTeam('Virology lab');
      real.proxy!.rewriteWhen((method, path) => (method === 'GET' && path === '/api/v1/teams/key' ? (body) => {
        const served = json<{ key: { record: string; signature: string } }>(body.toString());
        const record = { ...rogue.key.record, teamId: team.teamId };
        served.key = { record: new TextDecoder().decode(serializeTeamKeyRecord(record)), signature: toBase64Url(rogue.key.signature) };
        return Buffer.from(JSON.stringify(served));
      } : undefined));
      const forged = await runCli(['send', join(src, 'report-TEAM1.pdf'), '--team', 'Virology lab'], unlock(dave));
      real.proxy!.rewriteWhen(undefined);
      assert.equal(forged.code, 5, forged.stderr);

      // Carol is removed: the team (epoch 2) and its box get new keys, sealed to Alice and Bob only.
      const epochOne = (await runCli(['--json', 'team', 'show', 'Virology lab'], { env: env(alice) })).stdout;
      assert.equal(json<{ currentEpoch: number }>(epochOne).currentEpoch, 1);
      const removed = await runCli(['--json', 'team', 'remove', 'Virology lab', carol], unlock(alice));
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(json<{ currentEpoch: number }>(removed.stdout).currentEpoch, 2);
      const carolTeams = json<{ teams: unknown[] }>((await runCli(['--json', 'team', 'list'], { env: env(carol) })).stdout).teams;
      assert.deepEqual(carolTeams, []);

      const laterDeposit = await deposit(join(src, 'report-TEAM1.pdf'), 'tech2@lab.example');
      const laterSend = await runCli(['--json', 'send', join(src, 'report-TEAM1.pdf'), '--team', 'Virology lab'], unlock(dave));
      assert.equal(laterSend.code, 0, laterSend.stderr);
      const laterTransfer = json<{ transferId: string }>(laterSend.stdout).transferId;
      for (const id of [laterDeposit, laterTransfer]) {
        const out = join(root, `bob-later-${id}`);
        const r = await runCli(['receive', id, '--out', out], unlock(bob));
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await readFile(join(out, 'report-TEAM1.pdf')), report);
        const refused = await runCli(['receive', id, '--out', join(root, `carol-later-${id}`)], unlock(carol));
        assert.equal(refused.code, 4, refused.stderr);
      }
      const carolInbox = json<{ transfers: InboxEntry[] }>((await runCli(['--json', 'inbox'], { env: env(carol) })).stdout).transfers;
      assert.deepEqual(carolInbox.filter((e) => e.team !== null), [], 'a removed member sees nothing of the team any more');

      // Dave has now seen epoch 2: a server offering the epoch-1 key again (genuinely signed, Carol still holds it)
      // is refused before anything is sealed to it.
      real.proxy!.rewriteWhen((method, path) => (method === 'GET' && path === '/api/v1/teams/key' ? () => epochOneKey! : undefined));
      const replayed = await runCli(['send', join(src, 'report-TEAM1.pdf'), '--team', 'Virology lab'], unlock(dave));
      real.proxy!.rewriteWhen(undefined);
      assert.equal(replayed.code, 5, replayed.stderr);

      // Everything the server stores, every table: no team or box private key, no CK or TK of a team transfer, no
      // file name or message in clear. (Bob's client opens them here to know what to look for.)
      const bobToken = json<{ token: string }>(await readFile(join(env(bob).VALISE_CONFIG_DIR!, 'credentials.json'), 'utf8')).token;
      const api = new ValiseApi({ serverUrl: real.server.url, token: bobToken });
      const orgKey = orgPublicKeyFromText(org.orgPublicKey);
      const bobKeys = (await unlockMemberKeys(api, { memberId: org.members[bob]!.member.id, email: bob }, { kind: 'passphrase', passphrase: keyPassphrase(bob) }, orgKey)).keys;
      const { keys: teamKeys } = await openMyTeam(api, bobKeys, orgKey, team.teamId);
      const boxKeys = await openOwnedBox(api, bobKeys, boxId, orgKey);
      const privateKeys = (bundle: Uint8Array) => {
        const b = json<{ sigPrivateKey: string; epochs: { kemPrivateKey: string }[] }>(new TextDecoder().decode(bundle));
        return [b.sigPrivateKey, ...b.epochs.map((e) => e.kemPrivateKey)].map((k) => fromBase64Url(k));
      };
      const released = await api.openTeamTransfer(laterTransfer);
      const tid = idFromText<'TransferId'>(laterTransfer);
      const ck = await openTeamSlot(teamKeys, released.teamSlot.epoch, tid, idFromText<'SlotId'>(released.teamSlot.slotId), fromBase64Url(released.teamSlot.wrapped));
      const tk = await deriveTransferKey(ck, secretFromBase64Url<'ServerShare'>(released.serverShare), tid);
      const secrets: [string, Uint8Array][] = [
        ...privateKeys(teamKeys.bundle).map((k, i) => [`team private key ${i}`, k] as [string, Uint8Array]),
        ...privateKeys(boxKeys.bundle).map((k, i) => [`box private key ${i}`, k] as [string, Uint8Array]),
        ['CK', ck], ['TK', tk],
      ];
      assert.equal(secrets.length, 3 + 3 + 2, 'two team epochs and two box epochs, each with its signing key');
      let dump = '';
      for (const table of (await real.db.introspection.getTables()).map((x) => x.name)) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const rows = await (real.db as any).selectFrom(table).selectAll().execute() as Record<string, unknown>[];
        dump += JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v));
      }
      assert.ok(dump.includes('Virology lab') && dump.includes(team.teamId), 'the dump holds the team rows');
      for (const [name, bytes] of secrets) {
        const b = Buffer.from(bytes);
        for (const form of [b.toString('hex'), b.toString('base64url'), b.toString('base64'), b.subarray(0, 16).toString('hex')]) {
          assert.ok(!dump.includes(form), `${name} is not stored in clear`);
        }
      }
      for (const text of ['report-TEAM1', 'for the lab', keyPassphrase(alice), keyPassphrase(bob)]) assert.ok(!dump.includes(text), `"${text}" is not stored`);
    });
  }

  it('a depositor without an account delivers 1 GiB into a team\'s drop box and every member opens it (sqlite)', async (t) => {
    const members = ['lab1@h.example', 'lab2@h.example', 'lab3@h.example'];
    const org = await memberOrg(t, { dialect: 'sqlite', emails: members, withKeys: members });
    const { real, root } = org;
    const unlock = (who: string) => ({ env: org.members[who]!.env, input: lines(keyPassphrase(who)) });
    assert.equal((await runCli(['team', 'create', 'Virology lab'], unlock(members[0]!))).code, 0);
    const signed = await runCli(['admin', 'sign-members', '--key', org.orgFile, '--yes'], { env: { VALISE_CONFIG_DIR: join(root, 'admin') }, input: lines(ORG_PASSPHRASE) });
    assert.equal(signed.code, 0, signed.stderr);
    for (const who of members.slice(1)) assert.equal((await runCli(['team', 'add', 'Virology lab', who], unlock(members[0]!))).code, 0);
    const box = await runCli(['--json', 'box', 'create', 'Results', '--team', 'Virology lab', '--max-size', '2GiB'], unlock(members[1]!));
    assert.equal(box.code, 0, box.stderr);
    const { link } = json<{ link: string }>(box.stdout);

    // 1 GiB written in 8 MiB blocks, each different, hashed on the way.
    const file = join(root, 'sequencing-run.bin');
    const written = createHash('sha256');
    await pipeline(async function* () {
      for (let i = 0; i < 128; i++) {
        const block = pattern(8 * 1024 * 1024, i);
        block.writeUInt32BE(i, 0);
        written.update(block);
        yield block;
      }
    }, createWriteStream(file));
    const expected = written.digest('hex');

    const deposited = await runCli(['--json', 'deposit', link, file, '--email', 'tech@lab.example', '--name', 'Lab Durand'],
      { env: { VALISE_CONFIG_DIR: join(root, 'depositor') }, drive: real.answerCode('tech@lab.example') });
    assert.equal(deposited.code, 0, deposited.stderr);
    const { receipt } = json<{ receipt: { transferId: string; files: { partSha256: string[] }[] } }>(deposited.stdout);
    assert.equal(receipt.files[0]!.partSha256.length, partCount(2 ** 30));
    for (const who of members) {
      const out = join(root, `out-${who}`);
      const r = await runCli(['receive', receipt.transferId, '--out', out], unlock(who));
      assert.equal(r.code, 0, `${who}: ${r.stderr}`);
      const got = createHash('sha256');
      await pipeline(createReadStream(join(out, 'sequencing-run.bin')), got);
      assert.equal(got.digest('hex'), expected, who);
    }
  });
});
