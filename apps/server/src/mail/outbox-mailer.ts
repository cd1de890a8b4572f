// Without SMTP, each message becomes an RFC 5322 .eml file in DATA_DIR/outbox, so a fresh install works end to end.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { writeFileAtomic } from '../atomic-file.js';
import type { Logger } from '../logger.js';
import type { Mailer, MailMessage } from './mailer.js';

export interface OutboxMailerOptions {
  readonly dir: string;
  readonly from: string;
  readonly logger: Pick<Logger, 'info'>;
}

export class OutboxMailer implements Mailer {
  readonly dir: string;
  readonly #logger: Pick<Logger, 'info'>;
  // nodemailer's stream transport composes the exact message an SMTP server would have received.
  readonly #composer: ReturnType<typeof nodemailer.createTransport>;

  constructor(options: OutboxMailerOptions) {
    this.dir = options.dir;
    this.#logger = options.logger;
    this.#composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }, { from: options.from });
  }

  async send(message: MailMessage): Promise<void> {
    const info = await this.#composer.sendMail({ to: message.to, subject: message.subject, text: message.text });
    const eml = (info as { message: Buffer }).message;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Sortable by time; the random part keeps two messages of the same millisecond apart.
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(6).toString('hex')}.eml`;
    // 0600 and written whole: the body may carry a one-time code.
    await writeFileAtomic(join(this.dir, name), eml, 0o600);
    // Recipient and subject only: never the body, which may carry a code or a link.
    this.#logger.info({ to: message.to, subject: message.subject, file: name }, 'mail written to the outbox');
  }

  async close(): Promise<void> {}
}
