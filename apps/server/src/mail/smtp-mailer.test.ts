// Tests of the SMTP mailer against a real in-process SMTP server on loopback.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { SmtpMailer } from './smtp-mailer.js';

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  data: string;
}

describe('SmtpMailer against a real SMTP server on loopback', () => {
  const received: Received[] = [];
  let server: SMTPServer;
  let port: number;

  before(async () => {
    server = new SMTPServer({
      // Plain loopback SMTP with AUTH: the mailer must log in with the URL's credentials.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'valise' && auth.password === 's3cret') callback(null, { user: auth.username });
        else callback(new Error('bad credentials'));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith('@refused.example')) callback(new Error('no such mailbox'));
        else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            data: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers the message with the configured sender, authenticated', async () => {
    const mailer = new SmtpMailer({ url: `smtp://valise:s3cret@127.0.0.1:${port}`, from: 'Valise <valise@chu.example>' });
    await mailer.send({ to: 'dr.house@clinic.example', subject: 'Your code', text: 'Code: 12345678\nValid 10 minutes.' });
    await mailer.close();
    const message = received.at(-1)!;
    assert.equal(message.from, 'valise@chu.example');
    assert.deepEqual(message.to, ['dr.house@clinic.example']);
    assert.equal(message.user, 'valise');
    assert.match(message.data, /^From: Valise <valise@chu\.example>\r$/m);
    assert.match(message.data, /^To: dr\.house@clinic\.example\r$/m);
    assert.match(message.data, /^Subject: Your code\r$/m);
    assert.match(message.data, /^Content-Type: text\/plain/m);
    assert.match(message.data, /Code: 12345678\r\nValid 10 minutes\./);
  });

  it('fails when the server refuses the recipient', async () => {
    const mailer = new SmtpMailer({ url: `smtp://valise:s3cret@127.0.0.1:${port}`, from: 'valise@chu.example' });
    await assert.rejects(mailer.send({ to: 'nobody@refused.example', subject: 's', text: 't' }));
    await mailer.close();
  });

  it('fails when the credentials are wrong', async () => {
    const mailer = new SmtpMailer({ url: `smtp://valise:wrong@127.0.0.1:${port}`, from: 'valise@chu.example' });
    await assert.rejects(mailer.send({ to: 'a@b.example', subject: 's', text: 't' }));
    await mailer.close();
  });
});
