// Sends mail through the configured SMTP server with nodemailer (STARTTLS when offered, or smtps://).
import nodemailer from 'nodemailer';
import type { Mailer, MailMessage } from './mailer.js';

export interface SmtpMailerOptions {
  /** smtp://user:password@host:587 or smtps://user:password@host:465 */
  readonly url: string;
  readonly from: string;
}

export class SmtpMailer implements Mailer {
  readonly #transport: ReturnType<typeof nodemailer.createTransport>;

  constructor(options: SmtpMailerOptions) {
    this.#transport = nodemailer.createTransport(
      {
        url: options.url,
        // nodemailer waits minutes by default; a request that sends a code should fail fast and say so.
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      },
      { from: options.from },
    );
  }

  async send(message: MailMessage): Promise<void> {
    await this.#transport.sendMail({ to: message.to, subject: message.subject, text: message.text });
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
