import { eq } from 'drizzle-orm';
import type { Deps } from '../deps.js';
import { emailDeliveries } from './emails.table.js';
import type { OutgoingEmail } from './mailer.js';

export type DeliveryOutcome = 'sent' | 'already-sent' | 'skipped';

/**
 * Sends the e-mail of one cause at most once per delivery record, for job handlers:
 * - a cause already recorded in email_deliveries is not sent again (a job re-run after a crash);
 * - `compose` returns null when there is nothing to send any more (e.g. the order was deleted);
 * - a failed send is logged with its reason and rethrown, so graphile-worker keeps the job, records its
 *   last_error and retries it with exponential backoff.
 * A crash between the SMTP acceptance and the record can still send twice; the Message-ID is the same
 * (derived from the cause), so the receiving side can tell.
 */
export async function deliverEmail(
  deps: Pick<Deps, 'db' | 'mailer' | 'log'>,
  cause: string,
  compose: () => Promise<OutgoingEmail | null>,
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
  let messageId: string;
  try {
    ({ messageId } = await deps.mailer.send(message));
  } catch (err) {
    deps.log.warn(
      { cause, to: message.to, reason: err instanceof Error ? err.message : String(err) },
      'e-mail delivery failed; the job will be retried',
    );
    throw err;
  }
  await deps.db
    .insert(emailDeliveries)
    .values({ cause, recipient: message.to, subject: message.subject, messageId })
    .onConflictDoNothing();
  deps.log.info({ cause, to: message.to, messageId, mode: deps.mailer.mode }, 'e-mail delivered');
  return 'sent';
}
