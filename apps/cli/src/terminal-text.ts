// Text from elsewhere (file names and messages chosen by a sender, server details) made safe to print: no
// escape sequences that could rewrite the terminal, no bidi overrides that could disguise a name.

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** Removes control and bidi characters; keeps tabs and, with `multiline`, line feeds. */
export function printable(text: string, multiline = false): string {
  const cleaned = text.replace(UNSAFE, '');
  return multiline ? cleaned : cleaned.replace(/[\t\n]/gu, ' ');
}
