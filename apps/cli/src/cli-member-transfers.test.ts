// Member-to-member transfers through the real `valise` against the real server: no link between colleagues, a link
// for the others in the same transfer; the recipient's inbox; the sender's signature checked; a forged signature
// refused; and a dump of everything the server stores holds no key, no name and no message in clear. §12.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decryptMessage, deriveTransferKey, encodeContext, fromBase64Url, idFromText, openKeyBundle, openMemberSlot, parseMemberKeyRecord,
  secretFromBase64Url, unwrapAccountKey,
} from '@valise/crypto';
import { ValiseApi } from '@valise/client';
import { availableDialects } from '@valise/server/testing';
import { keyPassphrase, lines, memberOrg } from './testing/member-org.js';
import { runCli } from './testing/run-cli.js';

const pattern = (n: number, seed: number) => Buffer.alloc(n, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + seed) % 256)));
const json = <T>(s: string): T => JSON.parse(s) as T;

describe('member transfers through the CLI', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    it(`alice sends to bob's inbox and by link to others; bob receives with his keys; forged signature refused; no secret stored (${dialect})`, async (t) => {
      const alice = 'alice@h.example';
      const bob = 'bob@h.example';
      const carol = 'carol@h.example'; // a member without keys: the link
      const org = await memberOrg(t, { dialect, emails: [alice, bob, carol], withKeys: [alice, bob] });
      const { real, root } = org;
      const src = join(root, 'src');
      await (await import('node:fs/promises')).mkdir(src);
      const report = pattern(50_000, 1);
      const scan = pattern(9 * 1024 * 1024, 2);
      await writeFile(join(src, 'virology-results-ZX81.pdf'), report);
      await writeFile(join(src, 'scan-QW77.bin'), scan);
      const message = 'Résultats confidentiels MSG4711';

      const send = await runCli(['--json', 'send', join(src, 'virology-results-ZX81.pdf'), join(src, 'scan-QW77.bin'),
        '--to', `${bob},${carol},outside@lab.example`, '--max-downloads', '5', '--message', message], { env: org.members[alice]!.env, input: lines(keyPassphrase(alice)) });
      assert.equal(send.code, 0, send.stderr);
      const sent = json<{ transferId: string; link: string | null; inboxRecipients: string[] }>(send.stdout);
      assert.deepEqual(sent.inboxRecipients, [bob]);
      assert.ok(sent.link?.includes(`/t/${sent.transferId}#`), 'a link for carol and the outside recipient');

      // Bob's inbox, and the notification that carries no secret and no file name.
      const inbox = await runCli(['--json', 'inbox'], { env: org.members[bob]!.env });
      assert.equal(inbox.code, 0, inbox.stderr);
      const listed = json<{ transfers: { transferId: string; sender: { email: string }; fileCount: number; downloadedAt: number | null }[] }>(inbox.stdout).transfers;
      assert.deepEqual(listed.map((x) => [x.transferId, x.sender.email, x.fileCount, x.downloadedAt]), [[sent.transferId, alice, 2, null]]);
      assert.equal(json<{ transfers: unknown[] }>((await runCli(['--json', 'inbox'], { env: org.members[carol]!.env })).stdout).transfers.length, 0);
      const mail = (await real.outbox()).find((m) => m.to.includes(bob));
      assert.ok(mail, 'bob is told something waits in his inbox');
      assert.ok(!JSON.stringify(mail).includes('ZX81') && !JSON.stringify(mail).includes('MSG4711'), 'the mail names no file and holds no message');

      // Bob opens it with his keys: the signature is alice's.
      const out = join(root, 'bob-out');
      const recv = await runCli(['--json', 'receive', sent.transferId, '--out', out], { env: org.members[bob]!.env, input: lines(keyPassphrase(bob)) });
      assert.equal(recv.code, 0, recv.stderr);
      const got = json<{ files: { name: string }[]; message: string; sender: { email: string; verified: boolean } }>(recv.stdout);
      assert.deepEqual(got.sender, { email: alice, verified: true });
      assert.equal(got.message, message);
      assert.deepEqual(await readFile(join(out, 'virology-results-ZX81.pdf')), report);
      assert.deepEqual(await readFile(join(out, 'scan-QW77.bin')), scan);
      const wrong = await runCli(['receive', sent.transferId, '--out', join(root, 'x')], { env: org.members[bob]!.env, input: lines('not bob passphrase') });
      assert.equal(wrong.code, 3, 'a wrong key passphrase opens nothing');

      // Carol (a member without keys) and an outside recipient use the link, as before.
      const carolOut = join(root, 'carol-out');
      const viaLink = await runCli(['receive', sent.link!, '--out', carolOut], { env: org.members[carol]!.env });
      assert.equal(viaLink.code, 0, viaLink.stderr);
      assert.deepEqual(await readFile(join(carolOut, 'scan-QW77.bin')), scan);

      // A member-only transfer has no link at all.
      const only = await runCli(['--json', 'send', join(src, 'virology-results-ZX81.pdf'), '--to', bob], { env: org.members[alice]!.env, input: lines(keyPassphrase(alice)) });
      assert.equal(only.code, 0, only.stderr);
      const onlySent = json<{ transferId: string; link: string | null }>(only.stdout);
      assert.equal(onlySent.link, null);

      // A server that alters the signature it hands out: bob's client refuses, and nothing is saved.
      real.proxy!.rewriteWhen((method, path) => method === 'POST' && path === `/api/v1/inbox/${onlySent.transferId}/open` ? (body) => {
        const released = JSON.parse(body.toString()) as { manifestSignature: { signature: string } };
        const sig = Buffer.from(released.manifestSignature.signature, 'base64url');
        sig[5]! ^= 1;
        released.manifestSignature.signature = sig.toString('base64url');
        return Buffer.from(JSON.stringify(released));
      } : undefined);
      const forgedOut = join(root, 'forged-out');
      const forged = await runCli(['receive', onlySent.transferId, '--out', forgedOut], { env: org.members[bob]!.env, input: lines(keyPassphrase(bob)) });
      real.proxy!.rewriteWhen(undefined);
      assert.equal(forged.code, 5, forged.stderr);
      assert.match(forged.stderr, /signature does not verify/);
      assert.deepEqual(await readdir(forgedOut), [], 'nothing is written');

      // Everything the server stores, every table: no UK, private key, CK, TK, name, message or passphrase in clear.
      const bobToken = json<{ token: string }>(await readFile(join(org.members[bob]!.env.VALISE_CONFIG_DIR!, 'credentials.json'), 'utf8')).token;
      const api = new ValiseApi({ serverUrl: real.server.url, token: bobToken });
      const mine = await api.getMyKeys();
      const wrap = mine.wraps.find((w) => w.kind === 'passphrase')!;
      const uk = await unwrapAccountKey(wrap, org.members[bob]!.member.id, { kind: 'passphrase', passphrase: keyPassphrase(bob) });
      const record = parseMemberKeyRecord(mine.record);
      const bundle = JSON.parse(new TextDecoder().decode(await decryptMessage(uk, encodeContext('valise/v1/key-bundle', idFromText(record.memberId)), fromBase64Url(mine.bundle)))) as Record<string, string>;
      const keys = await openKeyBundle(uk, record, fromBase64Url(mine.bundle));
      const slot = await real.db.selectFrom('member_slots').selectAll().where('transfer_id', '=', sent.transferId).where('user_id', '=', org.members[bob]!.member.id).executeTakeFirstOrThrow();
      const tid = idFromText<'TransferId'>(sent.transferId);
      const ck = await openMemberSlot(keys, tid, idFromText<'SlotId'>(slot.slot_id), slot.wrapped);
      const reopened = await api.openInboxTransfer(sent.transferId);
      const tk = await deriveTransferKey(ck, secretFromBase64Url<'ServerShare'>(reopened.serverShare), tid);
      const secrets: [string, Uint8Array][] = [
        ['UK', uk], ['KEM private key', fromBase64Url(bundle['kemPrivateKey']!)], ['signing private key', fromBase64Url(bundle['sigPrivateKey']!)],
        ['CK', ck], ['TK', tk],
      ];
      const texts = ['ZX81', 'QW77', 'MSG4711', keyPassphrase(alice), keyPassphrase(bob), org.members[alice]!.recoveryCode!, org.members[bob]!.recoveryCode!];
      const tables = (await real.db.introspection.getTables()).map((x) => x.name);
      assert.ok(tables.includes('member_slots') && tables.includes('member_keys') && tables.includes('unlock_wraps'));
      let dump = '';
      for (const table of tables) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const rows = await (real.db as any).selectFrom(table).selectAll().execute() as Record<string, unknown>[];
        dump += JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')} b64:${Buffer.from(v).toString('base64url')}` : v));
      }
      for (const [name, bytes] of secrets) {
        const b = Buffer.from(bytes);
        for (const form of [b.toString('hex'), b.toString('base64url'), b.toString('base64')]) assert.ok(!dump.includes(form), `${name} is not stored in clear`);
        // Any 16-byte window too (a key stored inside a larger column).
        assert.ok(!dump.includes(b.subarray(0, 16).toString('hex')), `${name} is not stored in clear`);
      }
      for (const text of texts) assert.ok(!dump.includes(text), 'no name, message, passphrase or recovery code is stored');
    });
  }
});
