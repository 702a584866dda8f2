import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { Deps } from '../deps.js';
import { deliveryGuardOf, type DeliveryGuard } from '../jobs/liveness.js';
import { emailClaims, emailDeliveries } from './emails.table.js';
import type { OutgoingEmail } from './message.js';

/** A cause claimed by another live worker (a second run of the same job at once): retried later, not sent now. */
export class ClaimedElsewhereError extends Error {
  constructor(count: number) {
    super(`${count} e-mail(s) are being sent by another worker; retried later`);
  }
}

/**
 * Claims the causes for this worker (src/jobs/liveness.ts): returns those it may send. A claim is inserted only
 * where none exists; then, in a statement of its own (a snapshot taken after the claim committed), the causes
 * already recorded are dropped. A worker records a cause before it frees the claim, so a cause is either still
 * claimed (the insert skips it) or already recorded (the second statement sees it): never sent twice by two
 * runs at once.
 */
async function claimCauses(db: Db, guard: DeliveryGuard, causes: string[]): Promise<Set<string>> {
  if (causes.length === 0) return new Set();
  const claimed = await db.execute<{ cause: string }>(sql`
    INSERT INTO ${emailClaims} (cause, worker_id)
    SELECT c, ${guard.workerId} FROM unnest(${sql.param(causes)}::text[]) AS t(c)
    ON CONFLICT (cause) DO NOTHING RETURNING cause`);
  const mine = claimed.rows.map((r) => r.cause);
  if (mine.length === 0) return new Set();
  const recorded = await db
    .select({ cause: emailDeliveries.cause })
    .from(emailDeliveries)
    .where(inArray(emailDeliveries.cause, mine));
  const done = new Set(recorded.map((r) => r.cause));
  if (done.size > 0) await releaseClaims(db, guard, [...done]);
  return new Set(mine.filter((c) => !done.has(c)));
}

async function releaseClaims(db: Db, guard: DeliveryGuard, causes: string[]): Promise<void> {
  if (causes.length === 0) return;
  await db
    .delete(emailClaims)
    .where(and(eq(emailClaims.workerId, guard.workerId), inArray(emailClaims.cause, causes)));
}

/** Thrown instead of sending when this worker's heartbeat lease ran out (it may be declared dead any moment). */
export class LeaseLostError extends Error {
  constructor() {
    super('this worker has not refreshed its heartbeat lately: it sends nothing more; retried later');
  }
}

export type DeliveryOutcome = 'sent' | 'already-sent' | 'skipped';

/**
 * Sends the e-mail of one cause at most once per delivery record, for job handlers:
 * - a cause already recorded in email_deliveries is not sent again (a job re-run after a crash);
 * - `compose` returns null when there is nothing to send any more (e.g. the order was deleted);
 * - a failed send is logged with its reason and rethrown, so graphile-worker keeps the job, records its
 *   last_error and retries it with exponential backoff.
 * - in a worker, the cause is claimed first (email_claims): a second run of the same job at once (its job
 *   unlocked while this worker is alive) finds it claimed and is retried later instead of sending;
 * - no send starts once the worker's heartbeat lease ran out (src/jobs/liveness.ts).
 * A crash between the SMTP acceptance and the record can still send twice; the Message-ID is the same
 * (derived from the cause), so the receiving side can tell.
 */
export async function deliverEmail(
  deps: Pick<Deps, 'db' | 'mailer' | 'log'> & Partial<Pick<Deps, 'metrics'>>,
  cause: string,
  compose: () => Promise<OutgoingEmail | null>,
  /** The job run's helpers: in a worker, its delivery guard (claims, lease); without, an unguarded send. */
  job?: object,
): Promise<DeliveryOutcome> {
  const guard = deliveryGuardOf(job);
  if (!guard) return deliverUnguarded(deps, cause, compose);
  const mine = await claimCauses(deps.db, guard, [cause]);
  if (!mine.has(cause)) {
    const [recorded] = await deps.db
      .select({ cause: emailDeliveries.cause })
      .from(emailDeliveries)
      .where(eq(emailDeliveries.cause, cause));
    if (recorded) {
      deps.log.info({ cause }, 'e-mail already delivered; not sending again');
      return 'already-sent';
    }
    throw new ClaimedElsewhereError(1);
  }
  try {
    return await deliverUnguarded(deps, cause, compose, guard);
  } finally {
    await releaseClaims(deps.db, guard, [cause]);
  }
}

async function deliverUnguarded(
  deps: Pick<Deps, 'db' | 'mailer' | 'log'> & Partial<Pick<Deps, 'metrics'>>,
  cause: string,
  compose: () => Promise<OutgoingEmail | null>,
  guard?: DeliveryGuard,
): Promise<DeliveryOutcome> {
  const done = await deps.db
    .select({ cause: emailDeliveries.cause })
    .from(emailDeliveries)
    .where(eq(emailDeliveries.cause, cause));
  if (done.length > 0) {
    deps.log.info({ cause }, 'e-mail already delivered; not sending again');
    return 'already-sent';
  }
  const message = await compose();
  if (message === null) {
    deps.log.info({ cause }, 'e-mail no longer applicable; nothing sent');
    return 'skipped';
  }
  if (guard && !guard.mayDeliver()) throw new LeaseLostError();
  let messageId: string;
  try {
    ({ messageId } = await deps.mailer.send(message));
  } catch (err) {
    deps.metrics?.emails.inc({ outcome: 'failed' });
    deps.log.warn(
      { cause, to: message.to, reason: err instanceof Error ? err.message : String(err) },
      'e-mail delivery failed; the job will be retried',
    );
    throw err;
  }
  deps.metrics?.emails.inc({ outcome: 'sent' });
  await deps.db
    .insert(emailDeliveries)
    .values({ cause, recipient: message.to, subject: message.subject, messageId })
    .onConflictDoNothing();
  deps.log.info({ cause, to: message.to, messageId, mode: deps.mailer.mode }, 'e-mail delivered');
  return 'sent';
}

export interface BatchMessage {
  /** The cause, recorded in email_deliveries once the relay has accepted the message. */
  cause: string;
  to: string;
  messageId: string;
}

export interface BatchOutcome {
  sent: number;
  failed: number;
}

const LEDGER_RETRIES_MS = [100, 500, 2000];

/** One batch of messages: who, the subject they share, how to send one, and how many at a time. */
export interface BatchOptions {
  messages: BatchMessage[];
  subject: string;
  send: (message: BatchMessage) => Promise<unknown>;
  parallelism: number;
  signal?: AbortSignal;
  /** The job run's helpers: in a worker, its delivery guard (claims, lease); without, an unguarded batch. */
  job?: object;
}

/**
 * Sends a batch of messages whose causes are not recorded yet (the caller read them with the ledger), at most
 * `parallelism` in flight, and records each one in email_deliveries as soon as the relay has accepted it.
 *
 * Records are written by one writer per batch: while a write is in flight, the messages accepted meanwhile wait
 * for the next one, which takes them all in one INSERT (its own transaction, committed before it returns). So a
 * message accepted by the relay is recorded by the very next ledger write, and a worker killed at any instant has
 * recorded every message but those accepted since the start of the write in flight: those are the only ones a
 * re-run sends again (with the same Message-ID).
 *
 * In a worker the batch first claims its causes in one statement (claimCauses): those another live run holds are
 * left to it, and the job fails after sending its own, to be retried once that run recorded them or died.
 *
 * A send that fails stops the batch from starting new ones; so does `signal` (a worker's graceful shutdown), and so
 * does the loss of the worker's heartbeat lease. The
 * messages in flight finish, everything accepted is recorded, and then the batch throws, so that the job is run
 * again later for what is left.
 */
export async function deliverBatch(
  deps: Pick<Deps, 'db' | 'pool' | 'log'> & Partial<Pick<Deps, 'metrics'>>,
  opts: BatchOptions,
): Promise<BatchOutcome> {
  const guard = deliveryGuardOf(opts.job);
  if (!guard) return sendBatch(deps, opts);
  // One claim statement for the whole batch; causes claimed by another live run are left to it.
  const mine = await claimCauses(
    deps.db,
    guard,
    opts.messages.map((m) => m.cause),
  );
  const elsewhere = opts.messages.length - mine.size;
  try {
    const outcome = await sendBatch(
      deps,
      { ...opts, messages: opts.messages.filter((m) => mine.has(m.cause)) },
      guard,
    );
    // Some were neither recorded nor ours: another run holds them; if it dies, the retry of this job sends them.
    if (elsewhere > 0) {
      const left = await deps.db
        .select({ cause: emailDeliveries.cause })
        .from(emailDeliveries)
        .where(
          inArray(
            emailDeliveries.cause,
            opts.messages.filter((m) => !mine.has(m.cause)).map((m) => m.cause),
          ),
        );
      if (left.length < elsewhere) throw new ClaimedElsewhereError(elsewhere - left.length);
    }
    return outcome;
  } finally {
    await releaseClaims(deps.db, guard, [...mine]);
  }
}

async function sendBatch(
  deps: Pick<Deps, 'pool' | 'log'> & Partial<Pick<Deps, 'metrics'>>,
  opts: BatchOptions,
  guard?: DeliveryGuard,
): Promise<BatchOutcome> {
  const accepted: BatchMessage[] = [];
  let writing: Promise<void> | undefined;
  let ledgerError: unknown;

  const writeLedger = async (rows: BatchMessage[]) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        // One statement over three arrays: no per-value work in a query builder.
        await deps.pool.query(
          `INSERT INTO email_deliveries (cause, recipient, subject, message_id)
           SELECT c, r, $4, m FROM unnest($1::text[], $2::text[], $3::text[]) AS t(c, r, m)
           ON CONFLICT (cause) DO NOTHING`,
          [rows.map((m) => m.cause), rows.map((m) => m.to), rows.map((m) => m.messageId), opts.subject],
        );
        return;
      } catch (err) {
        const wait = LEDGER_RETRIES_MS[attempt];
        if (wait === undefined) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
  const flush = () => {
    if (writing || accepted.length === 0) return;
    const rows = accepted.splice(0);
    writing = writeLedger(rows)
      .catch((err: unknown) => {
        ledgerError ??= err;
        deps.log.error(
          { causes: rows.map((r) => r.cause), reason: err instanceof Error ? err.message : String(err) },
          'e-mails accepted by the relay could not be recorded; a re-run will send them again',
        );
      })
      .finally(() => {
        writing = undefined;
        flush();
      });
  };

  let next = 0;
  let sent = 0;
  let failed = 0;
  let sendError: unknown;
  let leaseLost = false;
  const stopped = () => {
    if (guard && !guard.mayDeliver()) leaseLost = true;
    return sendError !== undefined || ledgerError !== undefined || opts.signal?.aborted === true || leaseLost;
  };
  const lane = async () => {
    while (!stopped() && next < opts.messages.length) {
      const message = opts.messages[next++]!;
      try {
        await opts.send(message);
      } catch (err) {
        failed += 1;
        sendError ??= err;
        deps.metrics?.emails.inc({ outcome: 'failed' });
        deps.log.warn(
          { cause: message.cause, to: message.to, reason: err instanceof Error ? err.message : String(err) },
          'e-mail delivery failed; the batch will be retried',
        );
        continue;
      }
      sent += 1;
      deps.metrics?.emails.inc({ outcome: 'sent' });
      accepted.push(message);
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallelism) }, lane));
  flush();
  while (writing) await writing;
  if (ledgerError !== undefined) throw ledgerError;
  if (sendError !== undefined) throw sendError;
  if (leaseLost) throw new LeaseLostError();
  if (next < opts.messages.length) {
    throw new Error(
      `batch interrupted after ${sent} of ${opts.messages.length} e-mails; the rest is sent on a re-run`,
    );
  }
  return { sent, failed };
}
