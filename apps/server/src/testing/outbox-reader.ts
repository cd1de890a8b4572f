// Reads the messages the server "sent" in outbox mode (.eml files), for tests that need the one-time code a
// recipient would find in their mailbox. Shared by the CLI's and the web app's end-to-end tests.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface OutboxMessage {
  readonly file: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/**
 * A message as a mail client shows it: RFC 2047 encoded words of the subject decoded (nodemailer Q-encodes subjects
 * with quotes) and a quoted-printable body decoded (nodemailer writes non-ASCII text so).
 */
export function asShown(m: OutboxMessage): OutboxMessage {
  const bytesOf = (hex: string) => String.fromCharCode(parseInt(hex, 16));
  const subject = m.subject
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_, text: string) =>
      Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => bytesOf(hex)), 'latin1').toString('utf8'));
  const body = Buffer.from(m.body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => bytesOf(hex)), 'latin1')
    .toString('utf8').replace(/\r\n/g, '\n');
  return { ...m, subject, body };
}

export class OutboxReader {
  readonly dir: string;
  /** Files already handed out by nextCode. */
  readonly #consumed = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Every message in the outbox, oldest first. */
  async messages(): Promise<OutboxMessage[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml')).sort();
    return Promise.all(names.map(async (file) => parseEml(file, await readFile(join(this.dir, file), 'utf8'))));
  }

  /**
   * Waits for a message to `email` not handed out before, and returns the code (the 8 digits in the body) of the
   * newest one. Every message to `email` seen so far is then spent.
   */
  async nextCode(email: string, timeoutMs = 20_000): Promise<string> {
    const to = email.toLowerCase();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fresh = (await this.messages()).filter((m) => m.to.toLowerCase() === to && !this.#consumed.has(m.file));
      if (fresh.length > 0) {
        for (const m of fresh) this.#consumed.add(m.file);
        const code = /(?<!\d)\d{8}(?!\d)/u.exec(fresh.at(-1)!.body)?.[0];
        if (!code) throw new Error(`no 8-digit code in the message to ${email}`);
        return code;
      }
      if (Date.now() > deadline) throw new Error(`no message to ${email} arrived within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function parseEml(file: string, eml: string): OutboxMessage {
  const split = eml.search(/\r?\n\r?\n/u);
  const head = eml.slice(0, split).replace(/\r?\n[ \t]+/gu, ' '); // unfold
  const body = eml.slice(split).trim();
  const header = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'imu').exec(head)?.[1]?.trim() ?? '';
  const to = header('To');
  return { file, to: /<([^>]+)>/u.exec(to)?.[1] ?? to, subject: header('Subject'), body };
}
