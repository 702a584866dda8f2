import { type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createBook, createUser, useAdmin } from './helpers.js';
import { patchStock, postPreBooking } from './requests.js';
import { useMailTestApp } from './mail.js';
import { spawnEntry, type SpawnedProcess } from './processes.js';

// The API only enqueues (WORKER=off); hold expiries are run by `npm run worker` processes (src/worker.ts).
const t = useMailTestApp({ env: { WORKER: 'off' }, worker: false });
const admin = useAdmin(t);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function startWorkerProcess(): SpawnedProcess {
  const worker = spawnEntry('src/worker.ts', {
    ...process.env,
    DATABASE_URL: t.databaseUrl,
    SMTP_URL: t.sink.url,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-hold-worker-')),
    LOG_LEVEL: 'info',
  });
  children.push(worker.child);
  return worker;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const mailsTo = (email: string) => t.sink.received.filter((m) => m.envelopeTo.includes(email));

describe('hold expiry across worker processes', () => {
  it('passes the copy on exactly once when the worker is killed before the hold ends and two workers restart after it', async () => {
    const book = await createBook(t, { stock: 0, title: 'Held Over A Crash' });
    const put = await t.app.inject({
      method: 'PUT',
      url: `/admin/books/${book.id}/restock-policy`,
      headers: admin.auth,
      payload: { policy: 'fifo', hold_seconds: 75 },
    });
    expect(put.statusCode).toBe(200);
    const [first, second] = [await createUser(t), await createUser(t)];
    for (const r of [first, second]) {
      const res = await postPreBooking(t.app, r, book.id);
      expect(res.statusCode).toBe(201);
    }
    expect((await patchStock(t.app, admin, book.id, 1)).statusCode).toBe(200);
    const holdEnd = (
      await t.deps.db.execute<{ ms: number }>(
        sql`SELECT (extract(epoch FROM hold_expires_at) * 1000)::float8 AS ms
            FROM pre_bookings WHERE user_id = ${first.id} AND book_id = ${book.id}`,
      )
    ).rows[0]!.ms;

    // A worker delivers the first alert, then dies (SIGKILL: no graceful stop) before the hold ends.
    const crashed = startWorkerProcess();
    await until(
      async () => (mailsTo(first.email).length > 0 ? true : undefined),
      60_000,
      'the first alert',
    ).catch((err: unknown) => {
      console.error(crashed.output());
      throw err;
    });
    expect(Date.now()).toBeLessThan(holdEnd);
    crashed.child.kill('SIGKILL');
    await crashed.exited;

    // The hold ends while no worker runs: nothing can happen yet.
    await new Promise((r) => setTimeout(r, Math.max(0, holdEnd - Date.now()) + 500));
    const waiting = await t.deps.db.execute<{ status: string }>(
      sql`SELECT status FROM pre_bookings WHERE user_id = ${second.id} AND book_id = ${book.id}`,
    );
    expect(waiting.rows[0]!.status).toBe('waiting');

    // Two workers start at once: the expiry job is run, and the copy goes to the next reader, once.
    const restarted = [startWorkerProcess(), startWorkerProcess()];
    await until(
      async () => (mailsTo(second.email).length > 0 ? true : undefined),
      40_000,
      'the second alert',
    );
    const rows = await t.deps.db.execute<{
      user_id: number;
      status: string;
      expired: boolean;
      held: boolean;
    }>(sql`
      SELECT user_id, status, hold_expired_at IS NOT NULL AS expired,
             (hold_expires_at IS NOT NULL AND hold_expired_at IS NULL) AS held
      FROM pre_bookings WHERE book_id = ${book.id} ORDER BY id`);
    expect(rows.rows).toEqual([
      { user_id: first.id, status: 'notified', expired: true, held: false },
      { user_id: second.id, status: 'notified', expired: false, held: true },
    ]);
    // Give a duplicate every chance to show up before counting.
    await new Promise((r) => setTimeout(r, 2000));
    expect(mailsTo(second.email)).toHaveLength(1);
    expect(mailsTo(first.email)).toHaveLength(1);
    expect(mailsTo(second.email)[0]!.parsed.text).toContain('A copy is held for you until');
    const waves = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM restock_waves WHERE book_id = ${book.id}`,
    );
    expect(waves.rows[0]!.n).toBe(2);

    for (const w of restarted) w.child.kill('SIGTERM');
    const codes = (await Promise.all(restarted.map((w) => w.exited))).map((e) => e.code);
    if (codes.some((c) => c !== 0)) console.error(restarted.map((w) => w.output()).join('\n'));
    expect(codes).toEqual([0, 0]);
  }, 240_000);
});
