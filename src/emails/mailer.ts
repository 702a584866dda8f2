import { randomBytes } from 'node:crypto';
import { connect, isIPv4, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';
import { createDevMailbox } from './dev-mailbox.js';
import type { BroadcastEmail, OutgoingEmail, RecipientHeaders } from './message.js';

export type MailerMode = 'smtp' | 'mailbox' | 'suppressed';

/** A broadcast whose MIME body is built once; each send only adds the recipient's headers. */
export interface PreparedEmail {
  send(to: string, messageId: string, headers?: RecipientHeaders): Promise<{ messageId: string }>;
}

export interface Mailer {
  readonly mode: MailerMode;
  /** The sender's domain, for Message-IDs. */
  readonly domain: string;
  /** How many messages it makes sense to have in flight at once (the SMTP pool's connections). */
  readonly parallelism: number;
  send(message: OutgoingEmail): Promise<{ messageId: string }>;
  prepare(message: BroadcastEmail): Promise<PreparedEmail>;
  close(): void;
}

function senderDomain(from: string): string {
  const at = from.lastIndexOf('@');
  return at >= 0 ? from.slice(at + 1) : 'bookstore.local';
}

/**
 * The MIME tree of contract §5.10: multipart/related { multipart/alternative { text/plain, text/html }, inline
 * images } (or just the alternative when there is no inline image).
 */
export async function composeMime(
  config: Config,
  message: OutgoingEmail,
  messageId: string,
): Promise<Buffer> {
  const inline = message.inline ?? [];
  const root = new MimeNode(
    inline.length > 0 ? 'multipart/related; type="multipart/alternative"' : 'multipart/alternative',
  );
  root.setHeader({
    From: `"${config.MAIL_FROM_NAME.replace(/["\\]/g, '\\$&')}" <${config.MAIL_FROM}>`,
    To: message.to,
    Subject: message.subject,
    'Message-ID': messageId,
    Date: new Date().toUTCString(),
    ...message.headers,
  });
  const alternative = inline.length > 0 ? root.createChild('multipart/alternative') : root;
  alternative.createChild('text/plain; charset=utf-8').setContent(message.text);
  alternative.createChild('text/html; charset=utf-8').setContent(message.html);
  for (const image of inline) {
    root
      .createChild(image.contentType)
      .setHeader('Content-ID', `<${image.cid}>`)
      .setHeader('Content-Disposition', `inline; filename="${image.filename}"`)
      .setContent(image.content);
  }
  return root.build();
}

// An address that can stand in a header as it is (printable ASCII, no spaces): nodemailer would write it unchanged.
const PLAIN_ADDRESS = /^[\x21-\x7e]{1,254}$/;
const PER_RECIPIENT_HEADERS = new Set(['to', 'date', 'message-id']);
// A per-recipient header written as it is: a token name, and a printable ASCII value short enough for one line.
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,60}$/;
const PLAIN_HEADER_VALUE = /^[\x20-\x7e]{1,900}$/;

/**
 * Builds the MIME message of a broadcast once and returns a function that writes it for one recipient: the same
 * bytes composeMime would give (parts, encodings and the other headers unchanged), with that recipient's To,
 * Message-ID and Date in front. The body of a restock alert (HTML, text, the inline logo in base64) is most of
 * the work of composing it; this does that work once per broadcast instead of once per reader.
 */
export async function composeMimeTemplate(
  config: Config,
  message: BroadcastEmail,
): Promise<(to: string, messageId: string, headers?: RecipientHeaders) => Promise<Buffer>> {
  const built = await composeMime(config, { ...message, to: 'template@invalid' }, '<template@invalid>');
  const cut = built.indexOf('\r\n\r\n');
  const kept: string[] = [];
  let dropping = false;
  for (const line of built.subarray(0, cut).toString('latin1').split('\r\n')) {
    // A line starting with white space continues the header above it (folding).
    if (!/^[ \t]/.test(line))
      dropping = PER_RECIPIENT_HEADERS.has(line.slice(0, line.indexOf(':')).toLowerCase());
    if (!dropping) kept.push(line);
  }
  const shared = Buffer.concat([Buffer.from(kept.join('\r\n'), 'latin1'), built.subarray(cut)]);
  return async (to, messageId, headers = {}) => {
    const extra = Object.entries(headers);
    if (
      !PLAIN_ADDRESS.test(to) ||
      !PLAIN_ADDRESS.test(messageId) ||
      !extra.every(([k, v]) => HEADER_NAME.test(k) && PLAIN_HEADER_VALUE.test(v))
    ) {
      return composeMime(config, { ...message, to, headers: { ...message.headers, ...headers } }, messageId);
    }
    const head =
      `To: ${to}\r\nMessage-ID: ${messageId}\r\nDate: ${new Date().toUTCString()}\r\n` +
      extra.map(([k, v]) => `${k}: ${v}\r\n`).join('');
    return Buffer.concat([Buffer.from(head, 'latin1'), shared]);
  };
}

/** A nodemailer `getSocket`: a connected TCP socket with Nagle's algorithm off. */
function noDelaySocket(host: string, port: number, timeoutMs: number) {
  return (
    _options: unknown,
    callback: (err: Error | null, socketOptions?: { connection: Socket }) => void,
  ) => {
    const socket = connect({ host, port, noDelay: true });
    const fail = (err: Error) => {
      socket.destroy();
      callback(err);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })),
    );
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeListener('error', fail);
      callback(null, { connection: socket });
    });
  };
}

/** A relay on this machine (a development catcher, a test server): plain SMTP cannot be intercepted there. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1] ?? h;
  return isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Transport options from SMTP_URL or the MAIL_* variables; undefined when no relay is configured.
 *
 * A remote relay over plain smtp:// must upgrade with STARTTLS (`requireTLS`: nodemailer refuses to go on, and so
 * to send AUTH or the message, when the server does not offer it or the upgrade fails), so that an attacker on the
 * path cannot strip STARTTLS and read the credentials. Plain text is allowed only to a loopback relay, or with
 * SMTP_ALLOW_PLAIN=true (MAIL_STARTTLS=false for MAIL_SERVER) and then never with credentials.
 */
export function smtpOptions(config: Config) {
  const base = {
    pool: true as const,
    maxConnections: 8,
    maxMessages: 500,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
  let host: string;
  let port: number;
  let secure: boolean;
  let auth: { user: string; pass: string } | undefined;
  let plainWanted: boolean;
  let setting: string;
  if (config.SMTP_URL !== undefined) {
    const url = new URL(config.SMTP_URL);
    secure = url.protocol === 'smtps:';
    host = url.hostname;
    port = url.port ? Number(url.port) : secure ? 465 : 587;
    auth = url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined;
    plainWanted = config.SMTP_ALLOW_PLAIN;
    setting = 'SMTP_URL';
  } else if (config.MAIL_SERVER !== undefined) {
    host = config.MAIL_SERVER;
    port = config.MAIL_PORT;
    secure = config.MAIL_PORT === 465;
    auth =
      config.MAIL_USERNAME !== undefined
        ? { user: config.MAIL_USERNAME, pass: config.MAIL_PASSWORD ?? '' }
        : undefined;
    plainWanted = !config.MAIL_STARTTLS || config.SMTP_ALLOW_PLAIN;
    setting = 'MAIL_SERVER';
  } else {
    return undefined;
  }
  const loopback = isLoopbackHost(host);
  if (!secure && !loopback && plainWanted) {
    if (auth !== undefined) {
      throw new ConfigError([
        `${setting}: credentials are never sent in plain text to a remote relay (${host}); use STARTTLS or smtps://`,
      ]);
    }
    if (!config.SMTP_ALLOW_PLAIN) {
      throw new ConfigError([
        `MAIL_STARTTLS: plain SMTP to the remote relay ${host} needs SMTP_ALLOW_PLAIN=true as well`,
      ]);
    }
  }
  // On loopback (a local catcher, a test server) SMTP_URL goes plain and MAIL_SERVER follows MAIL_STARTTLS, as
  // before; the relay is trusted without a certificate there.
  const plain = loopback ? config.SMTP_URL !== undefined || !config.MAIL_STARTTLS : plainWanted;
  const tlsMode = secure ? {} : plain ? { ignoreTLS: true } : { requireTLS: true };
  return {
    ...base,
    host,
    port,
    secure,
    ...tlsMode,
    ...(loopback && { tls: { rejectUnauthorized: false } }),
    ...(auth && { auth }),
  };
}

/**
 * SMTP through a pooled nodemailer transport when a relay is configured; MAIL_SUPPRESS_SEND renders the message
 * and only logs it; with no relay outside production, messages go to the development mailbox in DATA_DIR.
 * In production with no relay (and no MAIL_SUPPRESS_SEND) this throws a ConfigError, so the process does not start.
 */
export function createMailer(config: Config, log: Logger): Mailer {
  const domain = senderDomain(config.MAIL_FROM);
  const idFor = (message: OutgoingEmail) =>
    message.messageId ?? `<${randomBytes(12).toString('hex')}@${domain}>`;
  const smtp = smtpOptions(config);

  /** A mailer from the one thing that differs between modes: what happens to a composed message. */
  const mailer = (
    mode: MailerMode,
    parallelism: number,
    deliver: (message: OutgoingEmail, messageId: string, raw: Buffer) => Promise<void>,
    close: () => void = () => {},
  ): Mailer => ({
    mode,
    domain,
    parallelism,
    async send(message) {
      const messageId = idFor(message);
      await deliver(message, messageId, await composeMime(config, message, messageId));
      return { messageId };
    },
    async prepare(message) {
      const compose = await composeMimeTemplate(config, message);
      return {
        async send(to, messageId, headers) {
          await deliver(
            { ...message, to, messageId, headers: { ...message.headers, ...headers } },
            messageId,
            await compose(to, messageId, headers),
          );
          return { messageId };
        },
      };
    },
    close,
  });

  if (config.MAIL_SUPPRESS_SEND) {
    return mailer('suppressed', 8, async (message, messageId, raw) => {
      log.info(
        { to: message.to, subject: message.subject, messageId, bytes: raw.length },
        'e-mail suppressed (MAIL_SUPPRESS_SEND)',
      );
    });
  }

  if (smtp !== undefined) {
    const transport = nodemailer.createTransport({
      ...smtp,
      // Nagle's algorithm holds back the end of each message until the relay's delayed ACK (~40 ms), which caps
      // a pooled connection at ~25 messages/s: plain connections are opened here with TCP_NODELAY (nodemailer
      // then speaks SMTP, and STARTTLS, over them); smtps keeps nodemailer's own socket.
      ...(!smtp.secure && { getSocket: noDelaySocket(smtp.host, smtp.port, smtp.connectionTimeout) }),
    });
    const envelopeFrom = config.MAIL_FROM;
    return mailer(
      'smtp',
      smtp.maxConnections,
      async (message, _messageId, raw) => {
        await transport.sendMail({ envelope: { from: envelopeFrom, to: [message.to] }, raw });
      },
      () => transport.close(),
    );
  }

  if (config.isProduction) {
    throw new ConfigError([
      'SMTP_URL: an SMTP relay is required when NODE_ENV=production (SMTP_URL or MAIL_SERVER; or MAIL_SUPPRESS_SEND=true)',
    ]);
  }

  const mailbox = createDevMailbox(config.DATA_DIR);
  return mailer('mailbox', 8, async (message, messageId, raw) => {
    const id = await mailbox.store(message, messageId, raw);
    log.info({ to: message.to, subject: message.subject, mailboxId: id }, 'e-mail stored in the dev mailbox');
  });
}
