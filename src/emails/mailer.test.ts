import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { testConfig } from '../../test/helpers.js';
import { useMailTestApp } from '../../test/mail.js';
import { startSmtpSink, type SmtpSink } from '../../test/smtp-sink.js';
import { deliverEmail } from './delivery.js';
import { escapeHtml, renderEmail } from './layout.js';
import { createMailer } from './mailer.js';

const silent = pino({ level: 'silent' });

function sample(to: string, cause = 'test:1') {
  return renderEmail({
    to,
    subject: 'Hello <reader>',
    cause,
    domain: 'bookstore.local',
    preheader: 'A test message',
    html: `<p>Dear ${escapeHtml('<reader> & co')}, <a href="http://store.test.local/books">browse</a></p>`,
    text: 'Dear <reader> & co, browse at http://store.test.local/books',
    now: new Date('2031-05-01T10:00:00Z'),
  });
}

describe('the SMTP mailer', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(() => sink.close());

  it('sends multipart/related with the text and HTML alternatives and the inline logo', async () => {
    const mailer = createMailer(testConfig({ SMTP_URL: sink.url, MAIL_FROM_NAME: 'Book "Store"' }), silent);
    try {
      const { messageId } = await mailer.send(sample('reader@example.com'));
      expect(messageId).toBe('<test.1@bookstore.local>');
      const [mail] = await sink.waitFor(1);
      expect(mail!.envelopeTo).toEqual(['reader@example.com']);
      const raw = mail!.raw.toString();
      expect(raw).toMatch(/^Content-Type: multipart\/related; type="multipart\/alternative";/m);
      expect(raw).toMatch(/^Content-Type: multipart\/alternative;/m);
      expect(raw).toMatch(/^Content-ID: <bookstore-logo>/m);
      expect(raw).toMatch(/^Content-Disposition: inline; filename="?logo\.png"?/m);
      const parsed = mail!.parsed;
      expect(parsed.subject).toBe('Hello <reader>');
      expect(parsed.messageId).toBe('<test.1@bookstore.local>');
      expect(parsed.from?.value[0]).toEqual({ name: 'Book "Store"', address: 'noreply@bookstore.local' });
      expect(parsed.text).toContain('Dear <reader> & co');
      expect(parsed.text).toContain('© 2031 Bookstore. All rights reserved.');
      expect(parsed.html).toContain('Dear &lt;reader&gt; &amp; co');
      expect(parsed.html).toContain('src="cid:bookstore-logo"');
      const logo = parsed.attachments.find((a) => a.cid === 'bookstore-logo');
      expect(logo?.contentType).toBe('image/png');
      expect(logo?.content.subarray(1, 4).toString()).toBe('PNG');
    } finally {
      mailer.close();
    }
  });

  it('rejects the send when the relay refuses the message', async () => {
    const mailer = createMailer(testConfig({ SMTP_URL: sink.url }), silent);
    sink.state.rejecting = true;
    try {
      await expect(mailer.send(sample('reader@example.com'))).rejects.toThrow(/451/);
    } finally {
      sink.state.rejecting = false;
      mailer.close();
    }
  });
});

describe('mailer configuration', () => {
  const dataDir = () => mkdtempSync(path.join(tmpdir(), 'bookstore-mailer-'));

  it('refuses to start in production without a relay', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SECRET_KEY: 'x'.repeat(40),
      DATA_DIR: dataDir(),
    });
    expect(() => createMailer(config, silent)).toThrow(ConfigError);
  });

  it('accepts MAIL_SUPPRESS_SEND in production and renders without sending', async () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SECRET_KEY: 'x'.repeat(40),
      DATA_DIR: dataDir(),
      MAIL_SUPPRESS_SEND: 'true',
    });
    const mailer = createMailer(config, silent);
    expect(mailer.mode).toBe('suppressed');
    await expect(mailer.send(sample('a@example.com'))).resolves.toEqual({
      messageId: '<test.1@bookstore.local>',
    });
  });

  it('uses the development mailbox when no relay is configured outside production', () => {
    expect(createMailer(testConfig(), silent).mode).toBe('mailbox');
    expect(createMailer(testConfig({ MAIL_SERVER: 'smtp.example.com' }), silent).mode).toBe('smtp');
  });
});

describe('deliverEmail', () => {
  const t = useMailTestApp({ worker: false });

  it('sends a cause once and records it, so that a re-run does not send again', async () => {
    const compose = () => Promise.resolve(sample('once@example.com', 'test:once'));
    expect(await deliverEmail(t.deps, 'test:once', compose)).toBe('sent');
    expect(await deliverEmail(t.deps, 'test:once', compose)).toBe('already-sent');
    await t.sink.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.sink.received.filter((m) => m.envelopeTo.includes('once@example.com'))).toHaveLength(1);
    const rows = await t.deps.db.execute<{ recipient: string; message_id: string }>(
      sql`SELECT recipient, message_id FROM email_deliveries WHERE cause = 'test:once'`,
    );
    expect(rows.rows).toEqual([{ recipient: 'once@example.com', message_id: '<test.once@bookstore.local>' }]);
  });

  it('records nothing and rethrows when the relay refuses, so the job is retried', async () => {
    t.sink.state.rejecting = true;
    try {
      const compose = () => Promise.resolve(sample('refused@example.com', 'test:refused'));
      await expect(deliverEmail(t.deps, 'test:refused', compose)).rejects.toThrow();
    } finally {
      t.sink.state.rejecting = false;
    }
    const rows = await t.deps.db.execute(sql`SELECT 1 FROM email_deliveries WHERE cause = 'test:refused'`);
    expect(rows.rows).toHaveLength(0);
  });
});
