import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTransferLink, LinkError, parseEnrollmentLink, parseTransferLink } from './links.js';

const ID = 'AAECAwQFBgcICQoLDA0ODw';
const secret = new Uint8Array(32).map((_, i) => i + 1);
const SECRET = Buffer.from(secret).toString('base64url');

test('buildTransferLink puts the secret in the fragment only', () => {
  const link = buildTransferLink(`https://valise.example/t/${ID}`, secret);
  assert.equal(link, `https://valise.example/t/${ID}#${SECRET}`);
  assert.throws(() => buildTransferLink(`https://valise.example/t/${ID}`, new Uint8Array(16)), TypeError);
});

test('parseTransferLink round-trips, with and without a path prefix', () => {
  for (const base of ['https://valise.example', 'https://h.example/valise', 'http://127.0.0.1:8080']) {
    const parsed = parseTransferLink(buildTransferLink(`${base}/t/${ID}`, secret));
    assert.equal(parsed.serverUrl, base);
    assert.equal(parsed.transferId, ID);
    assert.deepEqual([...parsed.linkSecret], [...secret]);
  }
});

test('parseTransferLink tolerates what mail does to links', () => {
  const link = `https://valise.example/t/${ID}#${SECRET}`;
  for (const variant of [
    `  ${link}\n`,
    `<${link}>`,
    `https://valise.example/t/${ID}/#${SECRET}`,
    `https://valise.example/t/${ID}?utm_source=mail#${SECRET}`,
    `https://eur01.safelinks.protection.outlook.com/?url=${encodeURIComponent(link)}&data=x&reserved=0`,
  ]) {
    const parsed = parseTransferLink(variant);
    assert.equal(parsed.serverUrl, 'https://valise.example', variant);
    assert.equal(parsed.transferId, ID);
  }
});

const bad: [string, string, RegExp][] = [
  ['missing fragment', `https://valise.example/t/${ID}`, /the link is incomplete: the part after # is missing/],
  ['empty fragment', `https://valise.example/t/${ID}#`, /the link is incomplete: the part after # is missing/],
  ['short secret', `https://valise.example/t/${ID}#${SECRET.slice(0, 40)}`, /damaged/],
  ['non-canonical secret', `https://valise.example/t/${ID}#${SECRET.slice(0, 42)}B`, /damaged/],
  ['padding', `https://valise.example/t/${ID}#${SECRET}=`, /damaged/],
  ['bad id', `https://valise.example/t/short#${SECRET}`, /not a Valise transfer link/],
  ['no /t/', `https://valise.example/${ID}#${SECRET}`, /not a Valise transfer link/],
  ['not a url', 'valise.example/t/x', /not a link/],
  ['ftp', `ftp://valise.example/t/${ID}#${SECRET}`, /https/],
  ['javascript', `javascript:alert(1)//t/${ID}#${SECRET}`, /https/],
  ['credentials', `https://u:p@valise.example/t/${ID}#${SECRET}`, /user name/],
];

for (const [name, link, message] of bad) {
  test(`parseTransferLink refuses: ${name}`, () => {
    assert.throws(() => parseTransferLink(link), (e: unknown) => e instanceof LinkError && message.test(e.message));
  });
}

test('LinkError messages never contain the secret', () => {
  try {
    parseTransferLink(`https://valise.example/t/bad#${SECRET}`);
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof LinkError);
    assert.ok(!e.message.includes(SECRET));
  }
});

test('parseEnrollmentLink', () => {
  const token = 'T'.repeat(43);
  assert.deepEqual(parseEnrollmentLink(`https://valise.example/enroll#${token}`), { serverUrl: 'https://valise.example', token });
  assert.deepEqual(parseEnrollmentLink(`https://h.example/v/enroll#${token}`), { serverUrl: 'https://h.example/v', token });
  assert.throws(() => parseEnrollmentLink('https://valise.example/enroll'), /the part after # is missing/);
  assert.throws(() => parseEnrollmentLink(`https://valise.example/t/${ID}#${token}`), /not a Valise enrollment link/);
  assert.throws(() => parseEnrollmentLink('https://valise.example/enroll#abc'), /damaged/);
});
