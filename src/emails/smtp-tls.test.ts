import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { testConfig } from '../../test/helpers.js';
import { isLoopbackHost, smtpOptions } from './mailer.js';

describe('SMTP transport security (options)', () => {
  it('requires STARTTLS for a remote relay over plain smtp://', () => {
    const opts = smtpOptions(testConfig({ SMTP_URL: 'smtp://user:secret@relay.example.com:587' }));
    expect(opts).toMatchObject({ host: 'relay.example.com', secure: false, requireTLS: true });
    expect(opts).not.toHaveProperty('ignoreTLS');
    expect(opts).not.toHaveProperty('tls'); // certificates are verified
  });

  it('requires STARTTLS for MAIL_SERVER with MAIL_STARTTLS (the default)', () => {
    const opts = smtpOptions(
      testConfig({ MAIL_SERVER: 'smtp.example.com', MAIL_USERNAME: 'u', MAIL_PASSWORD: 'p' }),
    );
    expect(opts).toMatchObject({ host: 'smtp.example.com', port: 587, requireTLS: true });
  });

  it('keeps implicit TLS for smtps:// and port 465', () => {
    expect(smtpOptions(testConfig({ SMTP_URL: 'smtps://u:p@relay.example.com' }))).toMatchObject({
      secure: true,
      port: 465,
    });
    expect(
      smtpOptions(testConfig({ MAIL_SERVER: 'smtp.example.com', MAIL_PORT: '465', MAIL_USERNAME: 'u' })),
    ).toMatchObject({ secure: true });
  });

  it('allows plain SMTP to a loopback relay only', () => {
    for (const host of ['127.0.0.1', '127.0.0.53', 'localhost', '[::1]']) {
      const opts = smtpOptions(testConfig({ SMTP_URL: `smtp://${host}:2525` }));
      expect(opts, host).toMatchObject({ ignoreTLS: true });
    }
    for (const host of ['10.0.0.5', '192.0.2.2', 'mail.internal', 'localhost.example.com', '[fd00::2]'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses credentials in plain text to a remote relay, even with SMTP_ALLOW_PLAIN', () => {
    expect(() =>
      smtpOptions(testConfig({ SMTP_URL: 'smtp://u:p@relay.example.com:25', SMTP_ALLOW_PLAIN: 'true' })),
    ).toThrow(ConfigError);
    expect(() =>
      smtpOptions(
        testConfig({
          MAIL_SERVER: 'smtp.example.com',
          MAIL_STARTTLS: 'false',
          MAIL_USERNAME: 'u',
          SMTP_ALLOW_PLAIN: 'true',
        }),
      ),
    ).toThrow(/never sent in plain text/);
  });

  it('sends plain text without credentials to a remote relay only with the explicit SMTP_ALLOW_PLAIN', () => {
    expect(
      smtpOptions(testConfig({ SMTP_URL: 'smtp://relay.example.com:25', SMTP_ALLOW_PLAIN: 'true' })),
    ).toMatchObject({ ignoreTLS: true });
    expect(() =>
      smtpOptions(testConfig({ MAIL_SERVER: 'smtp.example.com', MAIL_STARTTLS: 'false' })),
    ).toThrow(/SMTP_ALLOW_PLAIN/);
  });
});

/**
 * The options above against a real SMTP server that does not offer STARTTLS (as after a downgrade by an attacker
 * on the path). The server runs on loopback; the options are those computed for a remote host name, and only the
 * address to connect to is replaced by the server's (no DNS is under the test's control here).
 */
describe('SMTP transport security (against a relay that offers no STARTTLS)', () => {
  const seen = { auth: 0, mail: 0 };
  let server: SMTPServer;
  let port: number;
  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(_auth, _session, cb) {
        seen.auth += 1;
        cb(null, { user: 'u' });
      },
      onData(stream, _session, cb) {
        seen.mail += 1;
        stream.resume();
        stream.on('end', () => cb());
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses to send AUTH or the message when STARTTLS is not offered', async () => {
    const opts = smtpOptions(testConfig({ SMTP_URL: 'smtp://user:secret@relay.example.com:587' }))!;
    const transport = nodemailer.createTransport({ ...opts, pool: false, host: '127.0.0.1', port });
    await expect(
      transport.sendMail({ from: 'a@bookstore.local', to: 'b@example.com', subject: 's', text: 't' }),
    ).rejects.toThrow(/STARTTLS|TLS/);
    expect(seen).toEqual({ auth: 0, mail: 0 });
    transport.close();
  });

  it('would have sent the credentials in plain text with the old options (the downgrade this prevents)', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user: 'user', pass: 'secret' },
    });
    await transport.sendMail({ from: 'a@bookstore.local', to: 'b@example.com', subject: 's', text: 't' });
    expect(seen).toEqual({ auth: 1, mail: 1 });
    transport.close();
  });
});
