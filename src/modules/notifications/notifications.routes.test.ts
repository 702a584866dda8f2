import { createHash } from 'node:crypto';
import http from 'node:http';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { closeDeps, createDeps } from '../../deps.js';
import {
  createBook,
  createUser,
  type TestApp,
  testConfig,
  type TestUser,
  useAdmin,
  useTestApp,
} from '../../../test/helpers.js';
import { patchStock, postPreBooking } from '../../../test/requests.js';

const t = useTestApp();
const admin = useAdmin(t);
let baseUrl: string;

beforeAll(async () => {
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

interface SseEvent {
  event: string;
  id?: string;
  data: unknown;
}

/** A real HTTP client reading a Server-Sent Events stream. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let buffer = '';
  let ended = false;
  const listeners: (() => void)[] = [];
  const notify = () => {
    for (const l of listeners.splice(0)) l();
  };
  let request!: http.ClientRequest;
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request = http.get(url, { headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const i = line.indexOf(':');
            fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
          }
          if (fields.event)
            events.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data ?? 'null') });
        }
        notify();
      });
      res.on('end', () => {
        ended = true;
        notify();
      });
      res.on('error', () => {});
      resolve(res);
    });
    request.on('error', reject);
  });
  return {
    response,
    events,
    ended: () => ended,
    async waitFor(predicate: (e: SseEvent[]) => boolean, timeoutMs = 3000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (ended) throw new Error('stream ended');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out; events: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          listeners.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async waitForEnd(timeoutMs = 3000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!ended) {
        if (Date.now() > deadline) throw new Error('stream did not end');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => request.destroy(),
  };
}

const notificationEvents = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'notification').map((e) => e.data as { id: number; title: string });

const preBook = (app: TestApp, user: TestUser, bookId: number) => postPreBooking(app, user, bookId);

const restock = (app: TestApp, bookId: number, quantity = 5) => patchStock(app, admin, bookId, quantity);

/** A second API process on the same database, as when several instances run behind a load balancer. */
async function startSecondProcess() {
  const deps = createDeps(testConfig(), pino({ level: 'silent' }), t.databaseUrl);
  const app = await buildApp(deps);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url,
    close: async () => {
      await app.close();
      await closeDeps(deps);
    },
  };
}

describe('GET /notifications and marking read', () => {
  it('lists the restock notification with the unread count, filters unread, marks one and all read', async () => {
    const reader = await createUser(t);
    const stranger = await createUser(t);
    const first = await createBook(t, { stock: 0, title: 'First Light' });
    const second = await createBook(t, { stock: 0, title: 'Second Wind' });
    await preBook(t.app, reader, first.id);
    await preBook(t.app, reader, second.id);
    await restock(t.app, first.id);
    await restock(t.app, second.id);

    const list = await t.app.inject({ method: 'GET', url: '/notifications', headers: reader.auth });
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body).toMatchObject({ total: 2, page: 1, size: 20, unread_count: 2 });
    expect(body.items[0]).toEqual({
      id: expect.any(Number),
      type: 'restock',
      title: "'Second Wind' is back in stock",
      body: expect.stringContaining('Second Wind'),
      book_id: second.id,
      pre_booking_id: expect.any(Number),
      data: {
        book_id: second.id,
        stock_change_id: expect.any(Number),
        url: `http://store.test.local/books/${second.id}`,
      },
      created_at: expect.any(String),
      read_at: null,
      is_read: false,
    });
    const [newest, oldest] = body.items as { id: number }[];

    const foreign = await t.app.inject({
      method: 'POST',
      url: `/notifications/${newest!.id}/read`,
      headers: stranger.auth,
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ detail: 'Notification not found', code: 'NOTIFICATION_NOT_FOUND' });

    const read = await t.app.inject({
      method: 'POST',
      url: `/notifications/${newest!.id}/read`,
      headers: reader.auth,
    });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: newest!.id, is_read: true, read_at: expect.any(String) });
    const again = await t.app.inject({
      method: 'POST',
      url: `/notifications/${newest!.id}/read`,
      headers: reader.auth,
    });
    expect(again.json().read_at).toBe(read.json().read_at);

    const unread = await t.app.inject({
      method: 'GET',
      url: '/notifications?unread=true',
      headers: reader.auth,
    });
    expect(unread.json()).toMatchObject({ total: 1, unread_count: 1 });
    expect(unread.json().items.map((i: { id: number }) => i.id)).toEqual([oldest!.id]);

    const all = await t.app.inject({ method: 'POST', url: '/notifications/read-all', headers: reader.auth });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ updated: 1, unread_count: 0 });

    const others = await t.app.inject({ method: 'GET', url: '/notifications', headers: stranger.auth });
    expect(others.json()).toMatchObject({ items: [], total: 0, unread_count: 0 });
  });

  it('requires an active account and validates the query', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/notifications' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/notifications/read-all' })).statusCode).toBe(401);
    const user = await createUser(t);
    const bad = await t.app.inject({ method: 'GET', url: '/notifications?size=0', headers: user.auth });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0].loc).toEqual(['query', 'size']);
    const badId = await t.app.inject({ method: 'POST', url: '/notifications/x/read', headers: user.auth });
    expect(badId.statusCode).toBe(422);
  });
});

describe('GET /notifications/stream', () => {
  it('pushes the restock notification to the connected reader within a second of the commit', async () => {
    const reader = await createUser(t);
    const bystander = await createUser(t);
    const book = await createBook(t, { stock: 0, title: 'Live Wire' });
    await preBook(t.app, reader, book.id);

    const stream = openStream(`${baseUrl}/notifications/stream`, reader.auth);
    const other = openStream(`${baseUrl}/notifications/stream`, bystander.auth);
    const res = await stream.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await stream.waitFor((e) => e.some((x) => x.event === 'ready'));
    await other.waitFor((e) => e.some((x) => x.event === 'ready'));
    expect(stream.events[0]).toEqual({ event: 'ready', id: undefined, data: { unread_count: 0 } });

    const committed = Date.now();
    expect((await restock(t.app, book.id)).statusCode).toBe(200);
    await stream.waitFor((e) => notificationEvents(e).length === 1, 1000);
    expect(Date.now() - committed).toBeLessThan(1000);
    const [pushed] = notificationEvents(stream.events);
    expect(pushed).toMatchObject({ title: "'Live Wire' is back in stock", book_id: book.id, is_read: false });
    expect(stream.events.at(-1)!.id).toBe(String(pushed!.id));

    await new Promise((r) => setTimeout(r, 200));
    expect(notificationEvents(other.events)).toEqual([]);
    stream.close();
    other.close();
  });

  it('reaches a reader connected to another API process sharing the database', async () => {
    const second = await startSecondProcess();
    try {
      const reader = await createUser(t);
      const book = await createBook(t, { stock: 0 });
      await preBook(t.app, reader, book.id);
      const stream = openStream(`${second.url}/notifications/stream`, reader.auth);
      await stream.waitFor((e) => e.some((x) => x.event === 'ready'));

      await restock(t.app, book.id);
      await stream.waitFor((e) => notificationEvents(e).length === 1, 1000);
      stream.close();
    } finally {
      await second.close();
    }
  });

  it('keeps pushing after its listening connection to PostgreSQL is lost', async () => {
    const reader = await createUser(t);
    const books = [await createBook(t, { stock: 0 }), await createBook(t, { stock: 0 })];
    for (const b of books) await preBook(t.app, reader, b.id);
    const stream = openStream(`${baseUrl}/notifications/stream`, reader.auth);
    await stream.waitFor((e) => e.some((x) => x.event === 'ready'));

    const killed = await t.deps.db.execute<{ ok: boolean }>(sql`
      SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`);
    expect(killed.rows.length).toBeGreaterThan(0);

    // Committed while the listener is down: delivered by the catch-up after the reconnect.
    await restock(t.app, books[0]!.id);
    await stream.waitFor((e) => notificationEvents(e).length === 1, 5000);
    // And heard live again afterwards.
    await restock(t.app, books[1]!.id);
    await stream.waitFor((e) => notificationEvents(e).length === 2, 2000);
    expect(new Set(notificationEvents(stream.events).map((n) => n.id)).size).toBe(2);
    stream.close();
  });

  it('replays the notifications after Last-Event-ID', async () => {
    const reader = await createUser(t);
    const book = await createBook(t, { stock: 0 });
    await preBook(t.app, reader, book.id);
    await restock(t.app, book.id);
    const stream = openStream(`${baseUrl}/notifications/stream`, { ...reader.auth, 'Last-Event-ID': '0' });
    await stream.waitFor((e) => notificationEvents(e).length === 1);
    stream.close();
  });

  it('answers 401 without a bearer header or ticket', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/notifications/stream' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('HTTP_401');
  });

  it('ends its streams when the app closes, so that shutdown is not blocked', async () => {
    const second = await startSecondProcess();
    const reader = await createUser(t);
    const stream = openStream(`${second.url}/notifications/stream`, reader.auth);
    await stream.waitFor((e) => e.some((x) => x.event === 'ready'));
    const started = Date.now();
    await second.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await stream.waitForEnd();
  });
});

describe('limits on open streams', () => {
  // Two servers, so that the streams one test leaves closing cannot count against the next one's limit.
  const limited = useTestApp({ env: { NOTIFICATION_STREAMS_PER_USER: '2' } });
  const small = useTestApp({ env: { NOTIFICATION_STREAMS_MAX: '3' } });
  let url: string;
  let smallUrl: string;
  beforeAll(async () => {
    url = `${await limited.app.listen({ port: 0, host: '127.0.0.1' })}/notifications/stream`;
    smallUrl = `${await small.app.listen({ port: 0, host: '127.0.0.1' })}/notifications/stream`;
  });

  /** A request expected to be refused: its status, Retry-After and JSON body. */
  const refusal = async (headers: Record<string, string>, at = url) => {
    const res = await fetch(at, { headers });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: await res.json(),
    };
  };

  /** Opens until one is accepted (a closed stream frees its slot once the server sees the socket close). */
  async function openWhenFree(headers: Record<string, string>, at = url) {
    const deadline = Date.now() + 3000;
    for (;;) {
      const stream = openStream(at, headers);
      const res = await stream.response;
      if (res.statusCode === 200) return stream;
      if (Date.now() > deadline) throw new Error(`still refused: ${res.statusCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('refuses a third stream of one account with 429 until one of its streams closes', async () => {
    const reader = await createUser(limited);
    const other = await createUser(limited);
    const first = openStream(url, reader.auth);
    const second = openStream(url, reader.auth);
    expect((await first.response).statusCode).toBe(200);
    expect((await second.response).statusCode).toBe(200);

    expect(await refusal(reader.auth)).toEqual({
      status: 429,
      retryAfter: '10',
      body: {
        detail: 'Too many open notification streams for this account (at most 2); close one first',
        code: 'STREAM_LIMIT_REACHED',
      },
    });
    // Another account is not affected.
    const others = openStream(url, other.auth);
    expect((await others.response).statusCode).toBe(200);

    first.close();
    const again = await openWhenFree(reader.auth);
    await again.waitFor((e) => e.some((x) => x.event === 'ready'));
    for (const s of [second, again, others]) s.close();
  });

  it('lets at most the per-account limit through when one account opens many streams at once', async () => {
    const reader = await createUser(limited);
    const streams = Array.from({ length: 6 }, () => openStream(url, reader.auth));
    const statuses = await Promise.all(streams.map(async (s) => (await s.response).statusCode));
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    for (const s of streams) s.close();
  });

  it('answers 503 past the limit of the whole process, and serves again when streams close', async () => {
    const readers = await Promise.all([1, 2, 3, 4].map(() => createUser(small)));
    const open = [];
    for (const reader of readers.slice(0, 3)) open.push(await openWhenFree(reader.auth, smallUrl));
    expect(await refusal(readers[3]!.auth, smallUrl)).toEqual({
      status: 503,
      retryAfter: '10',
      body: {
        detail: 'Too many open notification streams on this server; retry later',
        code: 'SERVICE_UNAVAILABLE',
      },
    });
    open[0]!.close();
    const admitted = await openWhenFree(readers[3]!.auth, smallUrl);
    for (const s of [...open.slice(1), admitted]) s.close();
  });
});

describe('POST /notifications/stream-ticket', () => {
  it('issues a 60-second ticket, stored hashed, that opens the stream exactly once', async () => {
    const reader = await createUser(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/notifications/stream-ticket',
      headers: reader.auth,
    });
    expect(res.statusCode).toBe(201);
    const { ticket, expires_at, expires_in } = res.json();
    expect(expires_in).toBe(60);
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(55_000);
    const stored = await t.deps.db.execute<{ token_hash: string }>(
      sql`SELECT token_hash FROM notification_stream_tickets WHERE user_id = ${reader.id}`,
    );
    expect(stored.rows.map((r) => r.token_hash)).toEqual([createHash('sha256').update(ticket).digest('hex')]);

    const book = await createBook(t, { stock: 0 });
    await preBook(t.app, reader, book.id);
    const stream = openStream(`${baseUrl}/notifications/stream?ticket=${encodeURIComponent(ticket)}`);
    expect((await stream.response).statusCode).toBe(200);
    await stream.waitFor((e) => e.some((x) => x.event === 'ready'));
    await restock(t.app, book.id);
    await stream.waitFor((e) => notificationEvents(e).length === 1, 1000);
    stream.close();

    const reused = await t.app.inject({ method: 'GET', url: `/notifications/stream?ticket=${ticket}` });
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toEqual({
      detail: 'Invalid or expired stream ticket',
      code: 'NOTIFICATION_TICKET_INVALID',
    });
  });

  it('refuses an expired ticket, an unknown ticket and a ticket of a deactivated account', async () => {
    const reader = await createUser(t);
    const issue = async () =>
      (
        await t.app.inject({ method: 'POST', url: '/notifications/stream-ticket', headers: reader.auth })
      ).json().ticket as string;
    const expired = await issue();
    await t.deps.db.execute(
      sql`UPDATE notification_stream_tickets SET expires_at = now() - interval '1 second' WHERE user_id = ${reader.id}`,
    );
    const late = await t.app.inject({ method: 'GET', url: `/notifications/stream?ticket=${expired}` });
    expect(late.statusCode).toBe(401);
    const unknown = await t.app.inject({ method: 'GET', url: '/notifications/stream?ticket=not-a-ticket' });
    expect(unknown.statusCode).toBe(401);

    const valid = await issue();
    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${reader.id}`);
    const deactivated = await t.app.inject({ method: 'GET', url: `/notifications/stream?ticket=${valid}` });
    expect(deactivated.statusCode).toBe(403);
    expect(deactivated.json().code).toBe('AUTH_ACCOUNT_DEACTIVATED');
  });

  it('purges spent and expired tickets when a new one is issued', async () => {
    const reader = await createUser(t);
    const other = await createUser(t);
    const issue = async (user: TestUser) =>
      (await t.app.inject({ method: 'POST', url: '/notifications/stream-ticket', headers: user.auth })).json()
        .ticket as string;
    const spent = await issue(reader);
    const stream = openStream(`${baseUrl}/notifications/stream?ticket=${encodeURIComponent(spent)}`);
    expect((await stream.response).statusCode).toBe(200);
    stream.close();
    await issue(other);
    await t.deps.db.execute(
      sql`UPDATE notification_stream_tickets SET expires_at = now() - interval '1 second' WHERE user_id = ${other.id}`,
    );

    const fresh = await issue(reader);
    const left = await t.deps.db.execute<{ token_hash: string }>(
      sql`SELECT token_hash FROM notification_stream_tickets WHERE user_id IN (${reader.id}, ${other.id})`,
    );
    expect(left.rows.map((r) => r.token_hash)).toEqual([createHash('sha256').update(fresh).digest('hex')]);
  });

  it('requires an active account', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/notifications/stream-ticket' })).statusCode).toBe(
      401,
    );
  });
});
