import type { Runner } from 'graphile-worker';
import { afterAll, beforeAll } from 'vitest';
import { startTestApp, startTestWorker, type TestAppOptions, type TestContext } from './helpers.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

export interface MailTestContext extends TestContext {
  /** The SMTP server the app sends to (SMTP_URL). */
  sink: SmtpSink;
  /**
   * The in-process job worker on the app's database (none with `worker: false`). A test may stop it and put
   * another one here (`t.worker = await startTestWorker(t, …)`): whichever is here is stopped after the last test.
   */
  worker: Runner | undefined;
}

export interface MailTestOptions extends TestAppOptions {
  /** Options of the job worker (`startTestWorker`), or false for none (a test that runs worker processes). */
  worker?: Parameters<typeof startTestWorker>[1] | false;
  /** Options of the sink (`startSmtpSink`). */
  sink?: Parameters<typeof startSmtpSink>[1];
}

/**
 * The set-up of a test file (or a `describe`) about e-mail: an SMTP sink, a fresh database and an app sending to
 * the sink, and a job worker delivering, before the first test; all stopped after the last (worker, app, sink).
 * `t` is filled in place, like `useTestApp`'s.
 */
export function useMailTestApp(opts: MailTestOptions = {}): MailTestContext {
  const { worker, sink, ...appOpts } = opts;
  const t = {} as MailTestContext;
  beforeAll(async () => {
    t.sink = await startSmtpSink(0, sink);
    Object.assign(t, await startTestApp({ ...appOpts, env: { SMTP_URL: t.sink.url, ...appOpts.env } }));
    t.worker = worker === false ? undefined : await startTestWorker(t, worker);
  });
  afterAll(async () => {
    await t.worker?.stop();
    await t.close?.();
    await t.sink?.close();
  });
  return t;
}
