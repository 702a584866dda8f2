import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

/** The envelope of a message the sink accepted (kept even with `parse: false`). */
export interface AcceptedEnvelope {
  from: string;
  to: string[];
}

/**
 * A real SMTP server on loopback that keeps what it receives. `rejecting = true` makes it answer every
 * message with a temporary failure (451), as a relay that is up but refusing mail would. `holding = true` makes
 * it read each message but not answer it (a relay that is slow to accept): a held message is not accepted, neither
 * counted nor kept.
 */
export async function startSmtpSink(port = 0, opts: { parse?: boolean } = {}) {
  const received: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  const state = { rejecting: false, holding: false, count: 0 };
  const accepted: AcceptedEnvelope[] = [];
  let held: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.rejecting) {
          callback(Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks);
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const accept = () => {
          state.count += 1;
          accepted.push({ from: envelopeFrom, to: envelopeTo });
          const finish = () => {
            for (const w of waiters.splice(0)) w();
            callback();
          };
          if (opts.parse === false) {
            finish();
            return;
          }
          simpleParser(raw, { keepCidLinks: true })
            .then((parsed) => {
              received.push({ envelopeFrom, envelopeTo, raw, parsed });
              finish();
            })
            .catch((err: unknown) => callback(err as Error));
        };
        if (!state.holding) {
          accept();
          return;
        }
        held.push(accept);
      });
    },
  });
  // A client that dies mid-conversation (a killed worker) resets its connections: not the sink's failure.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ECONNRESET') throw err;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as { port: number };
  return {
    port: address.port,
    url: `smtp://127.0.0.1:${address.port}`,
    received,
    accepted,
    state,
    /** Messages read while holding and not answered yet. */
    heldCount: () => held.length,
    /** Accepts the held messages now (a slow relay that finally answers). */
    releaseHeld() {
      for (const accept of held.splice(0)) accept();
    },
    /** Forgets the held messages without answering them: none of them is accepted. */
    dropHeld() {
      held = [];
    },
    /** Resolves once `n` messages were accepted (or rejects after `timeoutMs`). */
    async waitFor(n: number, timeoutMs = 10_000): Promise<ReceivedMail[]> {
      const deadline = Date.now() + timeoutMs;
      while (state.count < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} messages, received ${state.count}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;
