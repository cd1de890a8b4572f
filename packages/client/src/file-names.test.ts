import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FILE_NAME_BYTES, safeFileName, uniqueName } from './file-names.js';

const cases: [input: string, expected: string][] = [
  ['report.pdf', 'report.pdf'],
  ['../x', 'x'],
  ['../../etc/passwd', 'passwd'],
  ['/etc/passwd', 'passwd'],
  ['/abs', 'abs'],
  ['C:\\x', 'x'],
  ['C:\\Windows\\System32\\evil.dll', 'evil.dll'],
  ['C:x', 'C_x'],
  ['dir\\..\\..\\x.txt', 'x.txt'],
  ['a\u0000b', 'ab'],
  ['a\nb\rc\td', 'abcd'],
  ['a\u0085b\u009bc', 'abc'],
  ['\u202Egnp.exe', 'gnp.exe'],
  ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
  ['x\u2066y\u2069z\u2028\u2029', 'xyz'],
  ['.', 'file'],
  ['..', 'file'],
  ['', 'file'],
  ['   ', 'file'],
  ['/', 'file'],
  ['a/', 'file'],
  ['\u0000', 'file'],
  ['.bashrc', 'bashrc'],
  ['name. . .', 'name'],
  ['trailing  ', 'trailing'],
  ['CON', '_CON'],
  ['con.txt', '_con.txt'],
  ['Nul.tar.gz', '_Nul.tar.gz'],
  ['COM1', '_COM1'],
  ['lpt9.log', '_lpt9.log'],
  ['CONSOLE.txt', 'CONSOLE.txt'],
  ['what?.txt', 'what_.txt'],
  ['a<b>c|d"e*.txt', 'a_b_c_d_e_.txt'],
  ['re\u0301sume\u0301.pdf', 'résumé.pdf'],
  ['日本語の資料.docx', '日本語の資料.docx'],
];

for (const [input, expected] of cases) {
  test(`safeFileName(${JSON.stringify(input)}) = ${JSON.stringify(expected)}`, () => {
    assert.equal(safeFileName(input), expected);
  });
}

test('safeFileName never returns a path, a control character or a dot name', () => {
  const nasty = ['../x', '/abs', 'a\u0000b', '\u0007\u001b[31mred', '..\\..\\x', '\u202E', ' . ', 'x/..'];
  for (const input of nasty) {
    const out = safeFileName(input);
    assert.ok(out.length > 0);
    assert.ok(!/[/\\]/u.test(out), out);
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/u.test(out), out);
    assert.notEqual(out, '.');
    assert.notEqual(out, '..');
  }
});

test('safeFileName caps long names at 200 UTF-8 bytes and keeps the extension', () => {
  const long = `${'a'.repeat(500)}.pdf`;
  const out = safeFileName(long);
  assert.equal(Buffer.byteLength(out), MAX_FILE_NAME_BYTES);
  assert.ok(out.endsWith('.pdf'));

  const wide = `${'é'.repeat(300)}.docx`; // 2 bytes each
  const outWide = safeFileName(wide);
  assert.ok(Buffer.byteLength(outWide) <= MAX_FILE_NAME_BYTES);
  assert.ok(outWide.endsWith('.docx'));

  const emoji = `${'😀'.repeat(100)}.txt`; // 4 bytes each, surrogate pairs in UTF-16
  const outEmoji = safeFileName(emoji);
  assert.ok(Buffer.byteLength(outEmoji) <= MAX_FILE_NAME_BYTES);
  assert.ok(!outEmoji.includes('\ufffd'));
  assert.ok(outEmoji.endsWith('😀.txt'));

  const noExt = 'b'.repeat(400);
  assert.equal(safeFileName(noExt), 'b'.repeat(MAX_FILE_NAME_BYTES));
});

test('uniqueName adds (1), (2)… before the extension, case-insensitively', () => {
  assert.equal(uniqueName(new Set(), 'a.txt'), 'a.txt');
  assert.equal(uniqueName(new Set(['a.txt']), 'a.txt'), 'a (1).txt');
  assert.equal(uniqueName(new Set(['a.txt', 'a (1).txt']), 'a.txt'), 'a (2).txt');
  assert.equal(uniqueName(new Set(['A.TXT']), 'a.txt'), 'a (1).txt');
  assert.equal(uniqueName(new Set(['file']), 'file'), 'file (1)');
  assert.equal(uniqueName(new Set(['x.tar.gz']), 'x.tar.gz'), 'x.tar (1).gz');
});
