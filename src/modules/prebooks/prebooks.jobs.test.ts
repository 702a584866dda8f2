import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  createBook,
  createUser,
  deliveredRestockCauses,
  startTestWorker,
  type TestUser,
  useAdmin,
} from '../../../test/helpers.js';
import { patchStock, postPreBooking } from '../../../test/requests.js';
import { useMailTestApp } from '../../../test/mail.js';
import type { ReceivedMail } from '../../../test/smtp-sink.js';

// With a local queue, as in production: a stop must hand back the jobs fetched but not started.
const WORKER = { concurrency: 8, pollInterval: 100, localQueueSize: 50 };

const t = useMailTestApp({ worker: WORKER });
const admin = useAdmin(t);

const setStock = (bookId: number, quantity: number) => patchStock(t.app, admin, bookId, quantity);

const preBook = (user: TestUser, bookId: number) => postPreBooking(t.app, user, bookId);

/** Waits until the job queue is empty: every e-mail job has run. */
async function queueDrained(timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM graphile_worker.jobs`,
    );
    if (r.rows[0]!.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${r.rows[0]!.n} jobs still queued`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mailsTo = (address: string): ReceivedMail[] =>
  t.sink.received.filter((m) => m.envelopeTo.includes(address));

async function notifiedIds(bookId: number): Promise<number[]> {
  const r = await t.deps.db.execute<{ id: number }>(
    sql`SELECT id FROM pre_bookings WHERE book_id = ${bookId} AND status = 'notified' ORDER BY id`,
  );
  return r.rows.map((row) => row.id);
}

const deliveredCauses = (bookId: number) => deliveredRestockCauses(t, bookId);

async function notifiedCauses(bookId: number): Promise<string[]> {
  const r = await t.deps.db.execute<{ cause: string }>(sql`
    SELECT 'restock:' || id || ':' || wave_id AS cause FROM pre_bookings
    WHERE book_id = ${bookId} AND status = 'notified' ORDER BY cause`);
  return r.rows.map((row) => row.cause);
}

describe('the restock e-mail', () => {
  it("reaches a real SMTP server: recipient, subject, title, author and the book's link in both parts", async () => {
    const book = await createBook(t, { stock: 0, title: 'Pride & <Prejudice>', author: 'Jane Austen' });
    const readers = [await createUser(t), await createUser(t)];
    const deactivated = await createUser(t);
    for (const r of [...readers, deactivated]) expect((await preBook(r, book.id)).statusCode).toBe(201);
    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${deactivated.id}`);

    expect((await setStock(book.id, 3)).statusCode).toBe(200);
    await queueDrained();

    const link = `http://store.test.local/books/${book.id}`;
    for (const reader of readers) {
      const mails = mailsTo(reader.email);
      expect(mails).toHaveLength(1);
      const { parsed } = mails[0]!;
      expect(parsed.subject).toBe("'Pride & <Prejudice>' is back in stock");
      expect(parsed.to && !Array.isArray(parsed.to) && parsed.to.value[0]?.address).toBe(reader.email);
      expect(parsed.text).toContain('Pride & <Prejudice>');
      expect(parsed.text).toContain('by Jane Austen');
      expect(parsed.text).toContain(link);
      expect(parsed.text).not.toContain('<p');
      expect(parsed.html).toContain('Pride &amp; &lt;Prejudice&gt;');
      expect(parsed.html).toContain('Jane Austen');
      expect(parsed.html).toContain(`href="${link}"`);
      expect(parsed.html).toContain('cid:bookstore-logo');
    }
    expect(mailsTo(deactivated.email)).toHaveLength(0);
    const ids = await notifiedIds(book.id);
    expect(ids).toHaveLength(3);
    expect(await deliveredCauses(book.id)).toHaveLength(2);
  });

  it('is sent once per pre-booking when two restocks 0 → 5 run concurrently', async () => {
    const book = await createBook(t, { stock: 0 });
    const readers = await Promise.all(Array.from({ length: 6 }, () => createUser(t)));
    for (const r of readers) await preBook(r, book.id);
    const results = await Promise.all([setStock(book.id, 5), setStock(book.id, 5)]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
    await queueDrained();
    for (const r of readers) expect(mailsTo(r.email)).toHaveLength(1);
    expect(await deliveredCauses(book.id)).toEqual(await notifiedCauses(book.id));
    expect(await notifiedCauses(book.id)).toHaveLength(6);
  });

  it('is delivered exactly once to every notified reader when pre-bookings race a restock, and none stay waiting', async () => {
    const book = await createBook(t, { stock: 0 });
    const readers = await Promise.all(Array.from({ length: 24 }, () => createUser(t)));
    for (const r of readers.slice(0, 4)) await preBook(r, book.id);
    const racers = readers.slice(4);
    await Promise.all([
      ...racers.slice(0, 10).map((r) => preBook(r, book.id)),
      setStock(book.id, 2),
      ...racers.slice(10).map((r) => preBook(r, book.id)),
    ]);
    const waiting = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM pre_bookings WHERE book_id = ${book.id} AND status = 'waiting'`,
    );
    expect(waiting.rows[0]!.n).toBe(0);
    await queueDrained();
    const ids = await notifiedIds(book.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(await deliveredCauses(book.id)).toEqual(await notifiedCauses(book.id));
    expect(await notifiedCauses(book.id)).toHaveLength(ids.length);
    const notifiedUsers = await t.deps.db.execute<{ email: string }>(sql`
      SELECT u.email FROM pre_bookings p JOIN users u ON u.id = p.user_id
      WHERE p.book_id = ${book.id} AND p.status = 'notified'`);
    for (const { email } of notifiedUsers.rows) expect(mailsTo(email)).toHaveLength(1);
  });

  it('is not sent when the restock transaction fails', async () => {
    const failing = await createBook(t, { stock: 0 });
    const marker = await createBook(t, { stock: 0 });
    const reader = await createUser(t);
    const witness = await createUser(t);
    await preBook(reader, failing.id);
    await preBook(witness, marker.id);
    await t.deps.db.execute(sql`
      CREATE FUNCTION fail_restock() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN IF NEW.book_id = ${sql.raw(String(failing.id))} THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`);
    await t.deps.db.execute(
      sql`CREATE TRIGGER fail_restock BEFORE UPDATE ON restock_waves FOR EACH ROW EXECUTE FUNCTION fail_restock()`,
    );
    try {
      expect((await setStock(failing.id, 5)).statusCode).toBe(500);
      // A later restock that succeeds: once its e-mail has arrived, the failed one would have too.
      expect((await setStock(marker.id, 5)).statusCode).toBe(200);
    } finally {
      await t.deps.db.execute(sql`DROP TRIGGER fail_restock ON restock_waves`);
      await t.deps.db.execute(sql`DROP FUNCTION fail_restock()`);
    }
    await queueDrained();
    expect(mailsTo(witness.email)).toHaveLength(1);
    expect(mailsTo(reader.email)).toHaveLength(0);
    expect(await notifiedIds(failing.id)).toEqual([]);
  });

  it('survives the worker stopping in the middle of a large broadcast: every e-mail delivered once, none lost', async () => {
    const size = 400;
    const book = await createBook(t, { stock: 0, title: 'Broadcast' });
    const prefix = `bulk${Date.now().toString(36)}`;
    await t.deps.db.execute(sql`
      WITH u AS (
        INSERT INTO users (email, hashed_password, role, is_active)
        SELECT ${prefix} || '.' || g || '@example.com', NULL, 'user', true FROM generate_series(1, ${size}) g
        RETURNING id
      )
      INSERT INTO pre_bookings (user_id, book_id, status) SELECT id, ${book.id}, 'waiting' FROM u`);
    const before = t.sink.state.count;

    expect((await setStock(book.id, 10)).statusCode).toBe(200);
    await t.sink.waitFor(before + 20, 20_000);
    await t.worker!.stop();
    const deliveredWhileRunning = t.sink.state.count - before;
    expect(deliveredWhileRunning).toBeLessThan(size);

    t.worker = await startTestWorker(t, WORKER);
    await t.sink.waitFor(before + size, 60_000);
    await queueDrained();

    expect(t.sink.state.count - before).toBe(size);
    const causes = await deliveredCauses(book.id);
    expect(causes).toHaveLength(size);
    expect(new Set(causes).size).toBe(size);
    const recipients = t.sink.received.slice(-size).flatMap((m) => m.envelopeTo);
    expect(new Set(recipients).size).toBe(size);
    expect(recipients.every((r) => r.startsWith(prefix))).toBe(true);
  }, 90_000);
});
