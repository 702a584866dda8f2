import { sql } from 'drizzle-orm';
import type { Runner } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBook,
  createUser,
  startTestApp,
  startTestWorker,
  type TestContext,
  type TestUser,
  useAdmin,
  useTestApp,
} from '../../../test/helpers.js';
import { useMailTestApp } from '../../../test/mail.js';
import { freePort } from '../../../test/processes.js';
import { startSmtpSink, type SmtpSink } from '../../../test/smtp-sink.js';
import { enqueueOrderConfirmation } from './orders.jobs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function buy(t: TestContext, user: TestUser, books: { id: number }[], quantities: number[]) {
  for (const [i, book] of books.entries()) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: user.auth,
      payload: { book_id: book.id, quantity: quantities[i] },
    });
    expect(res.statusCode).toBe(201);
  }
  return t.app.inject({ method: 'POST', url: '/orders/checkout', headers: user.auth, payload: {} });
}

function jobOf(t: TestContext, orderId: number) {
  return t.deps.db.execute<{ attempts: number; last_error: string | null; locked_at: Date | null }>(
    sql`SELECT attempts, last_error, locked_at FROM graphile_worker.jobs WHERE key = ${`order-confirmation:${orderId}`}`,
  );
}

describe('the order confirmation e-mail over real SMTP', () => {
  const t = useMailTestApp({ worker: { concurrency: 2, pollInterval: 100 } });

  it('is delivered exactly once after a successful checkout, and failed checkouts send nothing', async () => {
    const user = await createUser(t, { email: `reader_one.${Date.now()}@example.com` });
    const a = await createBook(t, {
      title: 'Dune & <Sons>',
      author: 'Frank Herbert',
      price: '12.50',
      stock: 3,
    });
    const b = await createBook(t, { title: 'Solaris', author: 'Stanisław Lem', price: '8.25', stock: 1 });

    const short = await buy(t, user, [a, b], [2, 2]);
    expect(short.statusCode).toBe(409);
    const cart = await t.app.inject({ method: 'GET', url: '/cart', headers: user.auth });
    const solaris = cart
      .json<{ items: { id: number; book_id: number }[] }>()
      .items.find((i) => i.book_id === b.id)!;
    await t.app.inject({
      method: 'PUT',
      url: `/cart/items/${solaris.id}`,
      headers: user.auth,
      payload: { quantity: 1 },
    });
    const declined = await t.app.inject({
      method: 'POST',
      url: '/orders/checkout',
      headers: user.auth,
      payload: { force_payment_failure: true },
    });
    expect(declined.statusCode).toBe(402);
    const empty = await t.app.inject({
      method: 'POST',
      url: '/orders/checkout',
      headers: (await createUser(t)).auth,
      payload: {},
    });
    expect(empty.statusCode).toBe(422);

    const ok = await t.app.inject({
      method: 'POST',
      url: '/orders/checkout',
      headers: user.auth,
      payload: {},
    });
    expect(ok.statusCode).toBe(201);
    const orderId = ok.json<{ id: number }>().id;

    const [mail] = await t.sink.waitFor(1);
    await sleep(500);
    expect(t.sink.received).toHaveLength(1);
    expect(mail!.envelopeTo).toEqual([user.email]);
    const parsed = mail!.parsed;
    expect(parsed.to && !Array.isArray(parsed.to) && parsed.to.value[0]!.address).toBe(user.email);
    expect(parsed.subject).toBe('Your Bookstore order is confirmed');
    expect(parsed.messageId).toBe(`<order-confirmation.${orderId}@bookstore.local>`);

    const text = parsed.text ?? '';
    expect(text).toContain(`Hi Reader_One.`);
    expect(text).toContain(`order #${orderId}`);
    expect(text).toContain('Dune & <Sons>');
    expect(text).toContain('by Stanisław Lem');
    expect(text).toMatch(/Qty: 2 x \$12\.50\s+\$25\.00/);
    expect(text).toMatch(/Total\s+\$33\.25/);
    expect(text).toContain('http://store.test.local');
    expect(text).not.toMatch(/<\/?(p|div|table|tr|td|span|a|h1|img)\b/i);

    const html = typeof parsed.html === 'string' ? parsed.html : '';
    expect(html).toContain(`order #${orderId}`);
    expect(html).toContain('Dune &amp; &lt;Sons&gt;');
    expect(html).toContain('Solaris');
    expect(html).toContain('$33.25');
    expect(html).toContain('href="http://store.test.local"');
    expect(html).toContain('src="cid:bookstore-logo"');
    expect(parsed.attachments.some((x) => x.cid === 'bookstore-logo' && x.contentType === 'image/png')).toBe(
      true,
    );

    const delivered = await t.deps.db.execute(
      sql`SELECT 1 FROM email_deliveries WHERE cause = ${`order-confirmation:${orderId}`}`,
    );
    expect(delivered.rows).toHaveLength(1);
    await until('the job to be removed', async () =>
      (await jobOf(t, orderId)).rows.length === 0 ? true : undefined,
    );
  });

  it('is not sent again when the job for an already delivered order runs a second time', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { stock: 2 });
    const ok = await buy(t, user, [book], [1]);
    const orderId = ok.json<{ id: number }>().id;
    await until('the first delivery', async () =>
      t.sink.received.some((m) => m.envelopeTo.includes(user.email)) ? true : undefined,
    );
    await until('the job to be removed', async () =>
      (await jobOf(t, orderId)).rows.length === 0 ? true : undefined,
    );
    await enqueueOrderConfirmation(t.deps.db, orderId);
    await until('the re-run job to finish', async () =>
      (await jobOf(t, orderId)).rows.length === 0 ? true : undefined,
    );
    expect(t.sink.received.filter((m) => m.envelopeTo.includes(user.email))).toHaveLength(1);
  });

  it('never runs a job enqueued in a transaction that rolled back', async () => {
    const user = await createUser(t);
    const order = await t.deps.db.execute<{ id: number }>(
      sql`INSERT INTO orders (user_id, status) VALUES (${user.id}, 'confirmed') RETURNING id`,
    );
    const orderId = order.rows[0]!.id;
    await expect(
      t.deps.db.transaction(async (tx) => {
        await enqueueOrderConfirmation(tx, orderId);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await jobOf(t, orderId)).rows).toHaveLength(0);
    await sleep(800);
    expect(t.sink.received.filter((m) => m.envelopeTo.includes(user.email))).toHaveLength(0);
  });
});

describe('retries while SMTP is unavailable', () => {
  let t: TestContext;
  let worker: Runner;
  let port: number;
  let sink: SmtpSink | undefined;
  beforeAll(async () => {
    port = await freePort();
    t = await startTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
    worker = await startTestWorker(t, { concurrency: 2, pollInterval: 100 });
  });
  afterAll(async () => {
    await worker.stop();
    await t.close();
    await sink?.close();
  });

  async function failedAttempt(orderId: number, attempt: number, reason: RegExp) {
    const job = await until(`failed attempt ${attempt}`, async () => {
      const row = (await jobOf(t, orderId)).rows[0];
      return row && row.attempts >= attempt && row.locked_at === null && row.last_error !== null
        ? row
        : undefined;
    });
    expect(job.last_error).toMatch(reason);
  }

  // graphile-worker waits exp(attempts) seconds before the next attempt; bring it forward.
  async function retryNow(orderId: number) {
    await t.deps.db.execute(
      sql`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE key = ${`order-confirmation:${orderId}`}`,
    );
  }

  it('keeps the job with its last error while nothing listens, and delivers once the server is up', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { title: 'Retry Me', stock: 1 });
    const res = await buy(t, user, [book], [1]);
    const orderId = res.json<{ id: number }>().id;

    await failedAttempt(orderId, 1, /ECONNREFUSED/);
    const delivered = await t.deps.db.execute(sql`SELECT 1 FROM email_deliveries`);
    expect(delivered.rows).toHaveLength(0);

    sink = await startSmtpSink(port);
    sink.state.rejecting = true;
    await retryNow(orderId);
    await failedAttempt(orderId, 2, /451/);
    expect(sink.received).toHaveLength(0);

    sink.state.rejecting = false;
    await retryNow(orderId);
    const [mail] = await sink.waitFor(1, 15_000);
    expect(mail!.envelopeTo).toEqual([user.email]);
    expect(mail!.parsed.text).toContain('Retry Me');
    await until('the job to be removed', async () =>
      (await jobOf(t, orderId)).rows.length === 0 ? true : undefined,
    );
    expect(sink.received).toHaveLength(1);
  });
});

describe('the development mailbox', () => {
  // No SMTP_URL: in development the e-mails go to the mailbox.
  const t = useTestApp();
  const admin = useAdmin(t);
  let worker: Runner;
  beforeAll(async () => {
    worker = await startTestWorker(t, { concurrency: 2, pollInterval: 100 });
  });
  afterAll(() => worker.stop());

  it('lists the confirmation newest first and shows it as HTML and as a raw message', async () => {
    const user = await createUser(t);
    const book = await createBook(t, { title: 'Mailbox Book', price: '7.00', stock: 4 });
    const res = await buy(t, user, [book], [2]);
    const orderId = res.json<{ id: number }>().id;

    const entry = await until('the mailbox entry', async () => {
      const list = await t.app.inject({ method: 'GET', url: '/dev/mailbox', headers: admin.auth });
      const items = list.json<{ items: { id: string; to: string; subject: string; links: string[] }[] }>()
        .items;
      return items.find((i) => i.to === user.email);
    });
    expect(entry).toMatchObject({
      subject: 'Your Bookstore order is confirmed',
      links: ['http://store.test.local'],
    });

    const view = await t.app.inject({ method: 'GET', url: `/dev/mailbox/${entry.id}`, headers: admin.auth });
    expect(view.statusCode).toBe(200);
    expect(view.headers['content-type']).toMatch(/^text\/html/);
    expect(view.body).toContain(`order #${orderId}`);
    expect(view.body).toContain('Mailbox Book');
    expect(view.body).toContain('src="data:image/png;base64,');

    const raw = await t.app.inject({
      method: 'GET',
      url: `/dev/mailbox/${entry.id}/raw`,
      headers: admin.auth,
    });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(raw.body).toContain('Content-ID: <bookstore-logo>');

    const second = await buy(t, user, [await createBook(t, { stock: 1 })], [1]);
    expect(second.statusCode).toBe(201);
    await until('the second message', async () => {
      const list = await t.app.inject({ method: 'GET', url: '/dev/mailbox', headers: admin.auth });
      const items = list.json<{ items: { id: string }[] }>().items;
      return items.length === 2 ? items : undefined;
    }).then((items) => expect(items[1]!.id).toBe(entry.id));

    const missing = await t.app.inject({
      method: 'GET',
      url: '/dev/mailbox/0000000000000-00000000',
      headers: admin.auth,
    });
    expect(missing.statusCode).toBe(404);
    const traversal = await t.app.inject({
      method: 'GET',
      url: '/dev/mailbox/..%2Fsecret_key',
      headers: admin.auth,
    });
    expect(traversal.statusCode).toBe(404);
  });

  it('is not registered in production', async () => {
    const prod = await startTestApp({ env: { NODE_ENV: 'production', MAIL_SUPPRESS_SEND: 'true' } });
    try {
      const res = await prod.app.inject({ method: 'GET', url: '/dev/mailbox', headers: admin.auth });
      expect(res.statusCode).toBe(404);
    } finally {
      await prod.close();
    }
  });
});
