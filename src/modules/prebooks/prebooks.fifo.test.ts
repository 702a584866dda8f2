import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { isoDateTime } from '../../http/schemas.js';
import type { Clock } from '../../lib/clock.js';
import { createBook, createUser, type TestUser, useAdmin } from '../../../test/helpers.js';
import { useMailTestApp } from '../../../test/mail.js';
import type { ReceivedMail } from '../../../test/smtp-sink.js';
import { holdSweepTask, settleBookNow } from './prebooks.hold-jobs.js';

/** The application clock, moved by hand: holds expire when a test says so. */
const clock: Clock & { at: number } = { at: Date.now(), now: (): Date => new Date(clock.at) };
const advance = (seconds: number) => (clock.at += seconds * 1000);

const HOLD = 120;

const t = useMailTestApp({ deps: { clock }, worker: { concurrency: 4, pollInterval: 100 } });
const admin = useAdmin(t);

const json = (user: TestUser) => ({ 'content-type': 'application/json', ...user.auth });

const setPolicy = (bookId: number, policy: string, holdSeconds: unknown = HOLD, user = admin) =>
  t.app.inject({
    method: 'PUT',
    url: `/admin/books/${bookId}/restock-policy`,
    headers: json(user),
    payload: { policy, hold_seconds: holdSeconds },
  });

const setStock = (bookId: number, quantity: number) =>
  t.app.inject({
    method: 'PATCH',
    url: `/books/${bookId}/stock`,
    headers: json(admin),
    payload: { quantity },
  });

const preBook = (user: TestUser, bookId: number) =>
  t.app.inject({ method: 'POST', url: '/prebooks', headers: json(user), payload: { book_id: bookId } });

const availability = async (bookId: number) => {
  const res = await t.app.inject({ method: 'GET', url: `/books/${bookId}/availability` });
  expect(res.statusCode).toBe(200);
  return res.json<{ stock_quantity: number; held: number; available: number; waiting: number }>();
};

async function buy(user: TestUser, bookId: number, quantity = 1) {
  const add = await t.app.inject({
    method: 'POST',
    url: '/cart/items',
    headers: json(user),
    payload: { book_id: bookId, quantity },
  });
  expect(add.statusCode).toBe(201);
  return t.app.inject({ method: 'POST', url: '/orders/checkout', headers: json(user), payload: {} });
}

interface PreBooking {
  id: number;
  status: string;
  queue_position: number | null;
  notified_at: string | null;
  hold_expires_at: string | null;
  hold_expired_at: string | null;
  converted_order_id: number | null;
}

const mine = async (user: TestUser, bookId: number): Promise<PreBooking> => {
  const res = await t.app.inject({ method: 'GET', url: '/prebooks', headers: user.auth });
  const found = (res.json().items as (PreBooking & { book_id: number })[]).find((p) => p.book_id === bookId);
  expect(found).toBeDefined();
  return found!;
};

/** A fifo book with `n` readers queued (in order) while it is out of stock. */
async function fifoBookWithQueue(n: number, holdSeconds = HOLD) {
  const book = await createBook(t, { stock: 0 });
  expect((await setPolicy(book.id, 'fifo', holdSeconds)).statusCode).toBe(200);
  const readers: TestUser[] = [];
  for (let i = 0; i < n; i++) {
    const reader = await createUser(t);
    expect((await preBook(reader, book.id)).statusCode).toBe(201);
    readers.push(reader);
  }
  return { book, readers };
}

/** Waits until every e-mail job has run. */
async function emailsDrained(timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier IN ('restock-fanout', 'restock-batch', 'restock-email')`,
    );
    if (r.rows[0]!.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${r.rows[0]!.n} e-mail jobs still queued`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Time has come for the book's expiry jobs (run_at is real time; the application clock was moved). */
async function expiryJobsDue(bookId: number) {
  await t.deps.db.execute(sql`
    UPDATE graphile_worker._private_jobs SET run_at = now()
    WHERE key IN (SELECT 'hold-expiry:' || id FROM pre_bookings WHERE book_id = ${bookId})`);
}

async function expiryJobsDone(bookId: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.deps.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM graphile_worker.jobs
      WHERE key IN (SELECT 'hold-expiry:' || id FROM pre_bookings WHERE book_id = ${bookId})
        AND run_at <= now()`);
    if (r.rows[0]!.n === 0) return;
    if (Date.now() > deadline) throw new Error('expiry jobs still queued');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mailsTo = (address: string): ReceivedMail[] =>
  t.sink.received.filter((m) => m.envelopeTo.includes(address));

/** The List-Unsubscribe link of a message, from its raw header. */
function unsubscribeLink(mail: ReceivedMail): string {
  const headers = mail.raw
    .toString('utf8')
    .split(/\r\n\r\n/)[0]!
    .replace(/\r\n[ \t]+/g, ' ');
  const match = /^List-Unsubscribe: <([^>]+)>$/im.exec(headers);
  expect(match).not.toBeNull();
  expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/im);
  return match![1]!;
}

async function notificationsOf(user: TestUser) {
  const res = await t.app.inject({ method: 'GET', url: '/notifications', headers: user.auth });
  return res.json().items as {
    title: string;
    body: string;
    pre_booking_id: number;
    data: Record<string, unknown>;
  }[];
}

/** held ≤ stock for every book (the invariant no interleaving may break). */
async function expectHeldWithinStock() {
  const r = await t.deps.db.execute<{ id: number; stock: number; held: number }>(sql`
    SELECT b.id, b.stock_quantity AS stock, count(p.id)::int AS held
    FROM books b JOIN pre_bookings p ON p.book_id = b.id
      AND p.status = 'notified' AND p.hold_expires_at IS NOT NULL
      AND p.hold_expired_at IS NULL AND p.converted_at IS NULL
    GROUP BY b.id HAVING count(p.id) > b.stock_quantity`);
  expect(r.rows).toEqual([]);
}

describe('GET/PUT /admin/books/{book_id}/restock-policy', () => {
  it('answers the defaults until set, then the book policy; validates hold_seconds 10..604800', async () => {
    const book = await createBook(t, { stock: 0 });
    const url = `/admin/books/${book.id}/restock-policy`;
    const initial = await t.app.inject({ method: 'GET', url, headers: admin.auth });
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toEqual({
      book_id: book.id,
      policy: 'broadcast',
      hold_seconds: 86400,
      source: 'default',
    });

    const put = await setPolicy(book.id, 'fifo', 600);
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ book_id: book.id, policy: 'fifo', hold_seconds: 600, source: 'book' });
    expect((await t.app.inject({ method: 'GET', url, headers: admin.auth })).json()).toEqual(put.json());

    for (const bad of [9, 604801, 'soon', 1.5, null]) {
      const res = await setPolicy(book.id, 'fifo', bad);
      expect(res.statusCode).toBe(422);
      expect(res.json().detail[0].loc).toEqual(['body', 'hold_seconds']);
    }
    expect((await setPolicy(book.id, 'fifo', 10)).statusCode).toBe(200);
    expect((await setPolicy(book.id, 'fifo', 604800)).statusCode).toBe(200);
    const badPolicy = await setPolicy(book.id, 'lottery');
    expect(badPolicy.statusCode).toBe(422);
    expect(badPolicy.json().detail[0].loc).toEqual(['body', 'policy']);
    const missing = await t.app.inject({
      method: 'PUT',
      url,
      headers: json(admin),
      payload: { policy: 'fifo' },
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'hold_seconds'] });
  });

  it('answers 404 BOOK_NOT_FOUND for a missing book, 401 without a token and 403 for a reader', async () => {
    const missing = await setPolicy(987654, 'fifo');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'Book not found', code: 'BOOK_NOT_FOUND', field: 'book_id' });
    const get = await t.app.inject({
      method: 'GET',
      url: '/admin/books/987654/restock-policy',
      headers: admin.auth,
    });
    expect(get.statusCode).toBe(404);
    const book = await createBook(t);
    expect(
      (await t.app.inject({ method: 'GET', url: `/admin/books/${book.id}/restock-policy` })).statusCode,
    ).toBe(401);
    const reader = await createUser(t);
    const forbidden = await setPolicy(book.id, 'fifo', HOLD, reader);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().code).toBe('AUTH_FORBIDDEN');
  });

  it('switching to fifo holds the free copies for readers already waiting, at once', async () => {
    const book = await createBook(t, { stock: 2 });
    const reader = await createUser(t);
    // Only possible by bypassing the API on broadcast (a reader waiting while the book is in stock).
    await t.deps.db.execute(
      sql`INSERT INTO pre_bookings (user_id, book_id, status) VALUES (${reader.id}, ${book.id}, 'waiting')`,
    );
    expect((await setPolicy(book.id, 'fifo')).statusCode).toBe(200);
    expect(await mine(reader, book.id)).toMatchObject({
      status: 'notified',
      hold_expires_at: expect.any(String),
    });
    expect(await availability(book.id)).toMatchObject({
      stock_quantity: 2,
      held: 1,
      available: 1,
      waiting: 0,
    });
  });
});

describe('fifo: as many alerts as free copies, first come first served', () => {
  it('5 readers, 2 copies: 2 alerts with a held copy each, 3 still waiting and moving up', async () => {
    const { book, readers } = await fifoBookWithQueue(5);
    const restockedAt = clock.now();
    expect((await setStock(book.id, 2)).statusCode).toBe(200);

    const holdUntilDate = new Date(restockedAt.getTime() + HOLD * 1000);
    const holdUntil = isoDateTime(holdUntilDate);
    for (const reader of readers.slice(0, 2)) {
      expect(await mine(reader, book.id)).toMatchObject({
        status: 'notified',
        queue_position: null,
        hold_expires_at: holdUntil,
        hold_expired_at: null,
      });
    }
    for (const [i, reader] of readers.slice(2).entries()) {
      expect(await mine(reader, book.id)).toMatchObject({
        status: 'waiting',
        queue_position: i + 1,
        hold_expires_at: null,
      });
    }
    expect(await availability(book.id)).toEqual({
      book_id: book.id,
      stock_quantity: 2,
      held: 2,
      available: 0,
      waiting: 3,
      policy: 'fifo',
    });

    const history = await t.app.inject({
      method: 'GET',
      url: `/admin/books/${book.id}/stock-history`,
      headers: admin.auth,
    });
    expect(history.json().items[0]).toMatchObject({
      old_quantity: 0,
      new_quantity: 2,
      notified_count: 2,
      held_count: 2,
      policy: 'fifo',
    });

    await emailsDrained();
    for (const reader of readers.slice(0, 2)) {
      const mails = mailsTo(reader.email);
      expect(mails).toHaveLength(1);
      const until = `${holdUntilDate.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      expect(mails[0]!.parsed.text).toContain(`A copy is held for you until ${until}`);
      expect(mails[0]!.parsed.html).toContain(until);
      const link = unsubscribeLink(mails[0]!);
      expect(link.startsWith(`http://127.0.0.1:8000/prebooks/`)).toBe(true);
      const [note] = await notificationsOf(reader);
      expect(note!.body).toContain(`A copy is held for you until ${until}`);
      expect(note!.data).toMatchObject({ hold_expires_at: holdUntil });
    }
    for (const reader of readers.slice(2)) {
      expect(mailsTo(reader.email)).toHaveLength(0);
      expect(await notificationsOf(reader)).toEqual([]);
    }
    await expectHeldWithinStock();
  });

  it("refuses a stranger's checkout while both copies are held (409 with per-line availability), and lets a holder buy", async () => {
    const { book, readers } = await fifoBookWithQueue(3);
    await setStock(book.id, 2);
    const stranger = await createUser(t);
    const refused = await buy(stranger, book.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({
      detail: 'Insufficient stock for one or more items',
      code: 'ORDER_INSUFFICIENT_STOCK',
      items: [{ book_id: book.id, requested: 1, available: 0 }],
    });

    const holder = readers[0]!;
    const bought = await buy(holder, book.id);
    expect(bought.statusCode).toBe(201);
    expect(await mine(holder, book.id)).toMatchObject({
      status: 'notified',
      converted_order_id: bought.json().id,
      hold_expired_at: null,
    });
    // The holder's copy is gone with the hold; the other stays held; nobody new is told.
    expect(await availability(book.id)).toMatchObject({
      stock_quantity: 1,
      held: 1,
      available: 0,
      waiting: 1,
    });
    expect(await mine(readers[2]!, book.id)).toMatchObject({ status: 'waiting', queue_position: 1 });
    // A second copy is more than the holder's own hold plus free ones.
    const greedy = await buy(readers[1]!, book.id, 2);
    expect(greedy.statusCode).toBe(409);
    expect(greedy.json().items).toEqual([{ book_id: book.id, requested: 2, available: 1 }]);
  });

  it('a later increase notifies as many more readers as copies it frees, and a holder may use its hold plus free copies', async () => {
    const { book, readers } = await fifoBookWithQueue(4);
    await setStock(book.id, 1);
    expect(await availability(book.id)).toMatchObject({ held: 1, available: 0, waiting: 3 });
    await setStock(book.id, 3);
    expect(await availability(book.id)).toMatchObject({
      stock_quantity: 3,
      held: 3,
      available: 0,
      waiting: 1,
    });
    expect((await mine(readers[2]!, book.id)).status).toBe('notified');
    await setStock(book.id, 6);
    expect(await availability(book.id)).toMatchObject({
      stock_quantity: 6,
      held: 4,
      available: 2,
      waiting: 0,
    });
    const holderBuysThree = await buy(readers[0]!, book.id, 3);
    expect(holderBuysThree.statusCode).toBe(201);
    expect(await availability(book.id)).toMatchObject({ stock_quantity: 3, held: 3, available: 0 });
  });

  it('accepts POST /prebooks while every copy is held, and still answers 409 PREBOOK_BOOK_IN_STOCK with a free copy', async () => {
    const { book } = await fifoBookWithQueue(1);
    await setStock(book.id, 1);
    const late = await createUser(t);
    const queued = await preBook(late, book.id);
    expect(queued.statusCode).toBe(201);
    expect(queued.json()).toMatchObject({ status: 'waiting', queue_position: 1, hold_expires_at: null });
    await setStock(book.id, 3);
    // The late reader got the second copy; the third is free.
    expect(await availability(book.id)).toMatchObject({ held: 2, available: 1, waiting: 0 });
    const another = await preBook(await createUser(t), book.id);
    expect(another.statusCode).toBe(409);
    expect(another.json().code).toBe('PREBOOK_BOOK_IN_STOCK');
    // A holder cannot queue a second time for the copy it holds.
    const again = await preBook(late, book.id);
    expect(again.statusCode).toBe(409);
  });

  it('hands the newest holds back to the queue when the stock falls below the held copies', async () => {
    const { book, readers } = await fifoBookWithQueue(3);
    await setStock(book.id, 3);
    await setStock(book.id, 1);
    expect(await availability(book.id)).toMatchObject({
      stock_quantity: 1,
      held: 1,
      available: 0,
      waiting: 2,
    });
    expect((await mine(readers[0]!, book.id)).status).toBe('notified');
    expect(await mine(readers[1]!, book.id)).toMatchObject({
      status: 'waiting',
      queue_position: 1,
      hold_expires_at: null,
    });
    expect(await mine(readers[2]!, book.id)).toMatchObject({ status: 'waiting', queue_position: 2 });
    await expectHeldWithinStock();
  });

  it('the restock preview says how many would be notified and held under fifo', async () => {
    const { book } = await fifoBookWithQueue(4);
    await setStock(book.id, 1);
    const preview = await t.app.inject({
      method: 'GET',
      url: `/admin/books/${book.id}/restock-preview?quantity=3`,
      headers: admin.auth,
    });
    expect(preview.json()).toEqual({
      book_id: book.id,
      current_stock: 1,
      quantity: 3,
      is_restock: false,
      would_notify: true,
      waiting_count: 3,
      notify_count: 2,
      email_count: 2,
      policy: 'fifo',
      held_count: 3,
      available_count: 0,
    });
    expect(await availability(book.id)).toMatchObject({ stock_quantity: 1, held: 1, waiting: 3 });
  });
});

describe('fifo: a hold that expires passes the copy on', () => {
  it('at hold_expires_at the next reader is told once, with a fresh hold; the expired one keeps status notified', async () => {
    const { book, readers } = await fifoBookWithQueue(3);
    await setStock(book.id, 1);
    await emailsDrained();
    expect(mailsTo(readers[1]!.email)).toHaveLength(0);

    advance(HOLD + 1);
    const expiredAt = isoDateTime(clock.now());
    await expiryJobsDue(book.id);
    await expiryJobsDone(book.id);
    await emailsDrained();

    const first = await mine(readers[0]!, book.id);
    expect(first).toMatchObject({ status: 'notified', hold_expires_at: expect.any(String) });
    expect(first.hold_expired_at).toBe(expiredAt);
    const second = await mine(readers[1]!, book.id);
    expect(second.status).toBe('notified');
    expect(new Date(second.hold_expires_at!).getTime()).toBe(clock.at + HOLD * 1000);
    expect(await mine(readers[2]!, book.id)).toMatchObject({ status: 'waiting', queue_position: 1 });
    expect(mailsTo(readers[1]!.email)).toHaveLength(1);
    expect(await availability(book.id)).toMatchObject({ held: 1, available: 0, waiting: 1 });

    // The sweep, a second settlement and a late duplicate job change nothing more.
    await holdSweepTask(t.deps)({}, undefined as never);
    await settleBookNow(t.deps, book.id);
    await emailsDrained();
    expect(mailsTo(readers[1]!.email)).toHaveLength(1);
    expect(mailsTo(readers[2]!.email)).toHaveLength(0);
    expect(mailsTo(readers[0]!.email)).toHaveLength(1);

    const demand = await t.app.inject({
      method: 'GET',
      url: '/admin/analytics/prebooks/demand?per_page=100',
      headers: admin.auth,
    });
    expect((demand.json().items as { book_id: number }[]).find((r) => r.book_id === book.id)).toMatchObject({
      waiting_count: 1,
      notified_count: 2,
      held_count: 1,
      expired_hold_count: 1,
    });
  });

  it('an expired but not yet processed hold is neither held nor usable: the next checkout passes it on first', async () => {
    const { book, readers } = await fifoBookWithQueue(2);
    await setStock(book.id, 1);
    advance(HOLD + 1);
    // Before any job ran: availability already counts the copy as the next reader's.
    expect(await availability(book.id)).toMatchObject({ held: 1, available: 0, waiting: 0 });
    const late = await buy(readers[0]!, book.id);
    expect(late.statusCode).toBe(409);
    expect(await mine(readers[0]!, book.id)).toMatchObject({ hold_expired_at: expect.any(String) });
    expect(await mine(readers[1]!, book.id)).toMatchObject({ status: 'notified', hold_expired_at: null });
    expect((await buy(readers[1]!, book.id)).statusCode).toBe(201);
  });

  it('re-queue puts an expired reader back at its original place; other cases answer 409 or 404', async () => {
    const { book, readers } = await fifoBookWithQueue(3);
    await setStock(book.id, 1);
    const first = await mine(readers[0]!, book.id);
    const requeue = (user: TestUser, id: number) =>
      t.app.inject({ method: 'POST', url: `/prebooks/${id}/requeue`, headers: user.auth });

    const held = await requeue(readers[0]!, first.id);
    expect(held.statusCode).toBe(409);
    expect(held.json()).toMatchObject({ code: 'PREBOOK_NOT_REQUEUEABLE' });
    const waitingOne = await mine(readers[1]!, book.id);
    expect((await requeue(readers[1]!, waitingOne.id)).json().code).toBe('PREBOOK_NOT_REQUEUEABLE');
    const foreign = await requeue(readers[1]!, first.id);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ detail: 'Pre-booking not found', code: 'PREBOOK_NOT_FOUND' });
    expect((await requeue(readers[0]!, 99999999)).statusCode).toBe(404);

    advance(HOLD + 1);
    const back = await requeue(readers[0]!, first.id);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({
      id: first.id,
      status: 'waiting',
      queue_position: 1,
      notified_at: null,
      hold_expires_at: null,
      hold_expired_at: null,
    });
    // Reader 2 got the copy when the hold expired; reader 1 is ahead of reader 3 again (original created_at).
    expect((await mine(readers[1]!, book.id)).status).toBe('notified');
    expect(await mine(readers[2]!, book.id)).toMatchObject({ status: 'waiting', queue_position: 2 });
    expect((await requeue(readers[0]!, first.id)).json().code).toBe('PREBOOK_NOT_REQUEUEABLE');

    // The next free copy is held for the re-queued reader, who is told again (a second alert).
    await setStock(book.id, 2);
    expect(await mine(readers[0]!, book.id)).toMatchObject({
      status: 'notified',
      hold_expires_at: expect.any(String),
    });
    await emailsDrained();
    expect(mailsTo(readers[0]!.email)).toHaveLength(2);
    // One alert per pre-booking and wave: two waves, two causes.
    const causes = await t.deps.db.execute<{ cause: string }>(
      sql`SELECT cause FROM email_deliveries WHERE cause LIKE ${`restock:${first.id}:%`} ORDER BY cause`,
    );
    expect(new Set(causes.rows.map((r) => r.cause)).size).toBe(2);
    expect(await notificationsOf(readers[0]!)).toHaveLength(2);
  });

  it('re-queue answers 409 PREBOOK_DUPLICATE when the reader already waits for the book again', async () => {
    const book = await createBook(t, { stock: 0 });
    const reader = await createUser(t);
    const first = (await preBook(reader, book.id)).json().id as number;
    await setStock(book.id, 1);
    await setStock(book.id, 0);
    expect((await preBook(reader, book.id)).statusCode).toBe(201);
    // On broadcast, a notified pre-booking of a book out of stock again may be re-queued: not while another waits.
    const dup = await t.app.inject({
      method: 'POST',
      url: `/prebooks/${first}/requeue`,
      headers: reader.auth,
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toEqual({
      detail: 'You already have an active pre-booking for this book',
      code: 'PREBOOK_DUPLICATE',
      field: 'book_id',
    });
  });

  it('on broadcast, re-queues a notified pre-booking once the book is out of stock again, not before', async () => {
    const book = await createBook(t, { stock: 0 });
    const reader = await createUser(t);
    const id = (await preBook(reader, book.id)).json().id as number;
    await setStock(book.id, 2);
    const inStock = await t.app.inject({
      method: 'POST',
      url: `/prebooks/${id}/requeue`,
      headers: reader.auth,
    });
    expect(inStock.json().code).toBe('PREBOOK_NOT_REQUEUEABLE');
    await setStock(book.id, 0);
    const res = await t.app.inject({ method: 'POST', url: `/prebooks/${id}/requeue`, headers: reader.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'waiting', queue_position: 1, notified_at: null });
    // The next restock tells the reader again (a second alert, a second in-app notification).
    expect((await setStock(book.id, 1)).statusCode).toBe(200);
    expect((await notificationsOf(reader)).filter((n) => n.pre_booking_id === id)).toHaveLength(2);
  });
});

describe('fifo under concurrency', () => {
  it('truly concurrent checkouts by strangers never eat into held copies: 0 oversell', async () => {
    const { book, readers } = await fifoBookWithQueue(2);
    await setStock(book.id, 5);
    const strangers = await Promise.all(Array.from({ length: 10 }, () => createUser(t)));
    for (const s of strangers) {
      await t.app.inject({
        method: 'POST',
        url: '/cart/items',
        headers: json(s),
        payload: { book_id: book.id, quantity: 1 },
      });
    }
    const results = await Promise.all(
      strangers.map((s) =>
        t.app.inject({ method: 'POST', url: '/orders/checkout', headers: json(s), payload: {} }),
      ),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(3);
    expect(codes.filter((c) => c === 409)).toHaveLength(7);
    for (const r of results.filter((x) => x.statusCode === 409))
      expect(r.json().items).toEqual([{ book_id: book.id, requested: 1, available: 0 }]);
    expect(await availability(book.id)).toMatchObject({ stock_quantity: 2, held: 2, available: 0 });
    for (const reader of readers) expect((await buy(reader, book.id)).statusCode).toBe(201);
    expect(await availability(book.id)).toMatchObject({ stock_quantity: 0, held: 0 });
    await expectHeldWithinStock();
  });

  it("the expiry racing the holder's own checkout: exactly one of them wins, and the copy is never sold twice", async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const { book, readers } = await fifoBookWithQueue(2);
      await setStock(book.id, 1);
      const [holder, next] = readers as [TestUser, TestUser];
      await t.app.inject({
        method: 'POST',
        url: '/cart/items',
        headers: json(holder),
        payload: { book_id: book.id },
      });
      // The worker's clock has just passed the hold's end while the holder's request arrived just before it.
      const expiryClock = { now: () => new Date(clock.at + HOLD * 1000 + 1) };
      const [checkout] = await Promise.all([
        t.app.inject({ method: 'POST', url: '/orders/checkout', headers: json(holder), payload: {} }),
        settleBookNow({ ...t.deps, clock: expiryClock }, book.id),
      ]);
      const h = await mine(holder, book.id);
      const n = await mine(next, book.id);
      if (checkout.statusCode === 201) {
        outcomes.push('checkout');
        expect(h).toMatchObject({ converted_order_id: checkout.json().id, hold_expired_at: null });
        expect(n).toMatchObject({ status: 'waiting', hold_expires_at: null });
        expect(await availability(book.id)).toMatchObject({ stock_quantity: 0, held: 0 });
      } else {
        outcomes.push('expiry');
        expect(checkout.statusCode).toBe(409);
        expect(h).toMatchObject({ hold_expired_at: expect.any(String), converted_order_id: null });
        expect(n).toMatchObject({ status: 'notified', hold_expired_at: null });
        expect(await availability(book.id)).toMatchObject({ stock_quantity: 1, held: 1, available: 0 });
      }
      await expectHeldWithinStock();
    }
    expect(outcomes).toHaveLength(6);
  });

  it('expiries racing each other and a restock pass each copy on exactly once', async () => {
    const { book, readers } = await fifoBookWithQueue(6);
    await setStock(book.id, 2);
    advance(HOLD + 1);
    await Promise.all([
      settleBookNow(t.deps, book.id),
      settleBookNow(t.deps, book.id),
      holdSweepTask(t.deps)({}, undefined as never),
      setStock(book.id, 3),
      settleBookNow(t.deps, book.id),
    ]);
    const states = await Promise.all(readers.map((r) => mine(r, book.id)));
    expect(states.map((s) => (s.hold_expired_at ? 'expired' : s.status))).toEqual([
      'expired',
      'expired',
      'notified',
      'notified',
      'notified',
      'waiting',
    ]);
    expect(await availability(book.id)).toMatchObject({
      stock_quantity: 3,
      held: 3,
      available: 0,
      waiting: 1,
    });
    await emailsDrained();
    for (const r of readers.slice(2, 5)) expect(mailsTo(r.email)).toHaveLength(1);
    expect(mailsTo(readers[5]!.email)).toHaveLength(0);
    await expectHeldWithinStock();
  });
});

describe('one-click cancel from the restock e-mail', () => {
  it('GET shows a confirmation page and changes nothing; POST without login cancels and passes the copy on', async () => {
    const { book, readers } = await fifoBookWithQueue(2);
    await setStock(book.id, 1);
    await emailsDrained();
    const [mail] = mailsTo(readers[0]!.email);
    const link = unsubscribeLink(mail!);
    expect(mail!.parsed.text).toContain('unsubscribe button to cancel this pre-booking');
    const path = link.replace('http://127.0.0.1:8000', '');

    const page = await t.app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['origin-agent-cluster']).toBe('?1');
    expect(page.body).toContain('Cancel my pre-booking');
    expect(page.body).toContain('method="post"');
    expect((await mine(readers[0]!, book.id)).status).toBe('notified');

    const done = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('cancelled');
    expect((await mine(readers[0]!, book.id)).status).toBe('cancelled');
    expect(await mine(readers[1]!, book.id)).toMatchObject({
      status: 'notified',
      hold_expires_at: expect.any(String),
    });
    await emailsDrained();
    expect(mailsTo(readers[1]!.email)).toHaveLength(1);

    // Idempotent for mail clients that retry.
    const again = await t.app.inject({ method: 'POST', url: path });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('already');
    expect(await availability(book.id)).toMatchObject({ held: 1, waiting: 0 });
  });

  it("a wrong, truncated or another pre-booking's token cancels nothing (404), and is not a login", async () => {
    const { book, readers } = await fifoBookWithQueue(2);
    await setStock(book.id, 2);
    await emailsDrained();
    const [a, b] = [mailsTo(readers[0]!.email)[0]!, mailsTo(readers[1]!.email)[0]!].map(unsubscribeLink);
    const idA = Number(/prebooks\/(\d+)\//.exec(a!)![1]);
    const tokenB = new URL(b!).searchParams.get('token')!;
    for (const url of [
      `/prebooks/${idA}/one-click-cancel?token=${tokenB}`,
      `/prebooks/${idA}/one-click-cancel?token=${tokenB.slice(0, -2)}`,
      `/prebooks/${idA}/one-click-cancel?token=${'A'.repeat(43)}`,
    ]) {
      const post = await t.app.inject({ method: 'POST', url });
      expect(post.statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(404);
    }
    expect(
      (await t.app.inject({ method: 'POST', url: `/prebooks/${idA}/one-click-cancel` })).statusCode,
    ).toBe(422);
    expect((await mine(readers[0]!, book.id)).status).toBe('notified');
    // The token does not open the reader's account.
    const asBearer = await t.app.inject({
      method: 'GET',
      url: '/prebooks',
      headers: { authorization: `Bearer ${tokenB}` },
    });
    expect(asBearer.statusCode).toBe(401);
  });

  it('DELETE /prebooks/{id} of a holder also passes the copy on', async () => {
    const { book, readers } = await fifoBookWithQueue(2);
    await setStock(book.id, 1);
    const first = await mine(readers[0]!, book.id);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/prebooks/${first.id}`, headers: readers[0]!.auth }))
        .statusCode,
    ).toBe(204);
    expect((await mine(readers[1]!, book.id)).status).toBe('notified');
    expect(await availability(book.id)).toMatchObject({ held: 1, available: 0, waiting: 0 });
  });
});

describe('broadcast stays as the contract says', () => {
  it('availability of a broadcast book: nothing held, everything available; switching to broadcast tells waiting readers', async () => {
    const { book, readers } = await fifoBookWithQueue(3);
    await setStock(book.id, 1);
    expect((await setPolicy(book.id, 'broadcast')).statusCode).toBe(200);
    // The two readers queued behind the held copy are told at once; the hold already granted runs on.
    expect((await mine(readers[1]!, book.id)).status).toBe('notified');
    expect((await mine(readers[2]!, book.id)).hold_expires_at).toBeNull();
    expect(await availability(book.id)).toEqual({
      book_id: book.id,
      stock_quantity: 1,
      held: 1,
      available: 0,
      waiting: 0,
      policy: 'broadcast',
    });
    const plain = await createBook(t, { stock: 4 });
    expect(await availability(plain.id)).toEqual({
      book_id: plain.id,
      stock_quantity: 4,
      held: 0,
      available: 4,
      waiting: 0,
      policy: 'broadcast',
    });
    expect((await t.app.inject({ method: 'GET', url: '/books/987654/availability' })).statusCode).toBe(404);
  });
});
