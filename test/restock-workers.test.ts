import { type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createBook, useAdmin } from './helpers.js';
import { patchStock } from './requests.js';
import { useMailTestApp } from './mail.js';
import { spawnEntry } from './processes.js';

// The API with WORKER=off only commits restocks; separate `npm run worker` processes deliver the e-mails.
const t = useMailTestApp({ env: { WORKER: 'off' }, worker: false, sink: { parse: false } });
const admin = useAdmin(t);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** A worker process (src/worker.ts, as `npm run worker` starts it) whose envelope sender names it. */
function startWorkerProcess(name: string, env: NodeJS.ProcessEnv = {}) {
  const worker = spawnEntry('src/worker.ts', {
    ...process.env,
    DATABASE_URL: t.databaseUrl,
    SMTP_URL: t.sink.url,
    MAIL_FROM: `${name}@bookstore.test`,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-restock-worker-')),
    LOG_LEVEL: 'info',
    ...env,
  });
  children.push(worker.child);
  return worker;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `n` readers waiting for a new out-of-stock book, inserted in one statement; their addresses share a prefix. */
async function waitingReaders(n: number) {
  const book = await createBook(t, { stock: 0, title: 'Many Readers' });
  const prefix = `w${Date.now().toString(36)}`;
  await t.deps.db.execute(sql`
    WITH u AS (
      INSERT INTO users (email, hashed_password, role, is_active)
      SELECT ${prefix} || '.' || g || '@example.com', NULL, 'user', true FROM generate_series(1, ${n}) g
      RETURNING id
    )
    INSERT INTO pre_bookings (user_id, book_id, status) SELECT id, ${book.id}, 'waiting' FROM u`);
  return { book, prefix };
}

const restock = (bookId: number) => patchStock(t.app, admin, bookId, 5);

const recorded = async (bookId: number) =>
  (
    await t.deps.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM email_deliveries
      WHERE cause IN (SELECT 'restock:' || id || ':' || wave_id FROM pre_bookings WHERE book_id = ${bookId})`)
  ).rows[0]!.n;

/** Short heartbeats, so that a dead worker is found in seconds. */
const FAST_HEARTBEAT = { WORKER_HEARTBEAT_INTERVAL_MS: '300', WORKER_HEARTBEAT_TIMEOUT_MS: '3000' };

/** The workers holding job locks now. */
const lockedBy = async () =>
  (
    await t.deps.db.execute<{ id: string }>(sql`
      SELECT DISTINCT locked_by AS id FROM graphile_worker.jobs WHERE locked_by IS NOT NULL ORDER BY 1`)
  ).rows.map((r) => r.id);

const queued = async () =>
  (await t.deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM graphile_worker.jobs`)).rows[0]!
    .n;

/** Each recipient with the prefix and how many messages the sink accepted for it, and who sent them. */
function deliveries(prefix: string) {
  const mine = t.sink.accepted.filter((m) => m.to.every((to) => to.startsWith(prefix)));
  const perRecipient = new Map<string, number>();
  for (const m of mine) for (const to of m.to) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
  const bySender = new Map<string, number>();
  for (const m of mine) bySender.set(m.from, (bySender.get(m.from) ?? 0) + 1);
  return { total: mine.length, perRecipient, bySender };
}

describe('restock e-mail workers', () => {
  it('releases the jobs of a worker killed (SIGKILL) mid-batch within seconds, and resends nothing the relay accepted', async () => {
    const size = 600;
    const { book, prefix } = await waitingReaders(size);
    const first = startWorkerProcess('first', FAST_HEARTBEAT);
    expect((await restock(book.id)).statusCode).toBe(200);

    await until('the first e-mails', () => deliveries(prefix).total >= 150);
    // The relay stops answering: messages now in flight are read but not accepted. Once every accepted message
    // is recorded and some are waiting for their answer, the worker dies in the middle of its batches.
    t.sink.state.holding = true;
    await until(
      'the accepted e-mails to be recorded, with more in flight',
      async () => (await recorded(book.id)) === deliveries(prefix).total && t.sink.heldCount() > 0,
    );
    const acceptedBeforeKill = deliveries(prefix).total;
    expect(acceptedBeforeKill).toBeLessThan(size);
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await first.exited).signal).toBe('SIGKILL');
    t.sink.dropHeld();
    t.sink.state.holding = false;
    // Its jobs stay locked by the dead process (graphile-worker alone would wait 4 hours) ...
    expect(await lockedBy()).toHaveLength(1);

    // ... until the sweeper of another worker finds its heartbeat older than the timeout and unlocks them.
    const second = startWorkerProcess('second', FAST_HEARTBEAT);
    await until('every e-mail', () => deliveries(prefix).perRecipient.size === size);
    await until('the queue to drain', async () => (await queued()) === 0);
    const recoveredMs = Date.now() - killedAt;
    console.log(`SIGKILL to every e-mail delivered: ${recoveredMs} ms (heartbeat timeout 3000 ms)`);
    expect(recoveredMs).toBeLessThan(30_000);
    expect(second.output()).toContain('released the jobs of workers without a heartbeat');

    const { total, perRecipient, bySender } = deliveries(prefix);
    expect(total).toBe(size);
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
    expect(bySender.get('first@bookstore.test')).toBe(acceptedBeforeKill);
    expect(bySender.get('second@bookstore.test')).toBe(size - acceptedBeforeKill);
    expect(await recorded(book.id)).toBe(size);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 120_000);

  it('never declares a slow but alive worker dead, and a second run of its unlocked jobs sends none of its e-mails', async () => {
    const size = 400;
    const { book, prefix } = await waitingReaders(size);
    const slow = startWorkerProcess('slow', FAST_HEARTBEAT);
    await until('the slow worker to start', () => slow.output().includes('worker started'));
    // The relay holds every message: the slow worker's batches wait for answers far longer than the timeout.
    t.sink.state.holding = true;
    expect((await restock(book.id)).statusCode).toBe(200);
    await until('the batches to be under way', () => t.sink.heldCount() > 0);
    const [slowId] = await lockedBy();
    expect(slowId).toBeDefined();

    const other = startWorkerProcess('other', FAST_HEARTBEAT);
    await until('the other worker to start', () => other.output().includes('worker started'));
    // Over two heartbeat timeouts later the other worker's sweeper has run many times: the slow one is alive.
    await new Promise((r) => setTimeout(r, 7_000));
    expect(await lockedBy()).toEqual([slowId]);
    expect(other.output()).not.toContain('released the jobs of workers without a heartbeat');

    // Its jobs are unlocked anyway (an operator's force_unlock_workers, a lock expiry): the other worker runs
    // them again while the slow one is still sending, and finds every cause claimed.
    await t.deps.db.execute(sql`SELECT graphile_worker.force_unlock_workers(ARRAY[${slowId}]::text[])`);
    await until('the other worker to take the jobs', async () =>
      (await lockedBy()).some((id) => id !== slowId),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    t.sink.state.holding = false;
    t.sink.releaseHeld();

    await until('every e-mail', () => deliveries(prefix).perRecipient.size === size, 90_000);
    await until('the queue to drain', async () => (await queued()) === 0, 90_000);
    const { total, perRecipient, bySender } = deliveries(prefix);
    expect(total).toBe(size);
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
    expect(bySender.get('slow@bookstore.test')).toBe(size);
    expect(bySender.get('other@bookstore.test') ?? 0).toBe(0);
    expect(await recorded(book.id)).toBe(size);
    for (const w of [slow, other]) w.child.kill('SIGTERM');
    for (const w of [slow, other]) expect((await w.exited).code).toBe(0);
  }, 150_000);

  it('delivers every e-mail of a broadcast exactly once with two worker processes sharing its batches', async () => {
    const size = 2000;
    const { book, prefix } = await waitingReaders(size);
    // Two jobs at once each, so that neither can lock all ten batches before the other asks for one.
    const workers = [
      startWorkerProcess('alpha', { WORKER_CONCURRENCY: '2' }),
      startWorkerProcess('beta', { WORKER_CONCURRENCY: '2' }),
    ];
    await until('both workers to start', () => workers.every((w) => w.output().includes('worker started')));
    expect((await restock(book.id)).statusCode).toBe(200);

    await until('every e-mail', () => deliveries(prefix).perRecipient.size === size, 90_000);
    await until('the queue to drain', async () => (await queued()) === 0);
    const { total, perRecipient, bySender } = deliveries(prefix);
    expect(total).toBe(size);
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
    // Both took part.
    expect(bySender.get('alpha@bookstore.test')).toBeGreaterThan(0);
    expect(bySender.get('beta@bookstore.test')).toBeGreaterThan(0);
    expect(await recorded(book.id)).toBe(size);
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect((await w.exited).code).toBe(0);
  }, 150_000);
});
