import type { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createBook, createUser, useAdmin, useTestApp, waitForLockWaiter } from '../../../test/helpers.js';
import { patchStock, postPreBooking } from '../../../test/requests.js';
import { createNotificationHub, type NotificationHubOptions } from './notifications.live.js';

const t = useTestApp();
const admin = useAdmin(t);
const hubs: ReturnType<typeof createNotificationHub>[] = [];
// Before the app closes (after-hooks run last registered first).
afterAll(async () => {
  for (const hub of hubs) await hub.close();
});

function hub(opts: NotificationHubOptions = {}) {
  const h = createNotificationHub(t.deps, opts);
  hubs.push(h);
  return h;
}

/** Reads a hub stream as a client would: the text so far and whether it has ended. */
function read(stream: PassThrough) {
  const state = { text: '', ended: false };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (state.text += chunk));
  stream.on('end', () => (state.ended = true));
  stream.on('close', () => (state.ended = true));
  return state;
}

async function until(what: string, check: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitingReader(title: string) {
  const reader = await createUser(t);
  const book = await createBook(t, { stock: 0, title });
  const res = await postPreBooking(t.app, reader, book.id);
  expect(res.statusCode).toBe(201);
  return { reader, book };
}

const restock = (bookId: number) => patchStock(t.app, admin, bookId, 3);

describe('notification hub', () => {
  it('pushes a notification committed while a new stream is being opened', async () => {
    const { reader, book } = await waitingReader('Between The Steps');
    const live = hub({
      // The notification is committed, and its batch announcement handled, after the stream has read where it
      // starts and before it is registered.
      afterBaseline: async () => {
        expect((await restock(book.id)).statusCode).toBe(200);
        await new Promise((r) => setTimeout(r, 300));
      },
    });
    const stream = read(await live.subscribe(reader.id, { unreadCount: 0 }));
    await until('the notification', () => stream.text.includes('event: notification'));
    expect(stream.text).toContain("'Between The Steps' is back in stock");
    expect(stream.text.match(/event: notification/g)).toHaveLength(1);
  });

  it('removes the stream when its catch-up query fails, leaving nothing behind', async () => {
    const reader = await createUser(t);
    const live = hub({ heartbeatMs: 20 });
    // Beyond int4: PostgreSQL rejects the comparison with the id column.
    await expect(live.subscribe(reader.id, { lastEventId: 2 ** 40, unreadCount: 0 })).rejects.toThrow();
    expect(live.connectedStreams()).toBe(0);
  });

  it('ends the streams of an account deactivated while they are open, and only those', async () => {
    const reader = await createUser(t);
    const other = await createUser(t);
    const live = hub({ accountCheckMs: 50 });
    const first = read(await live.subscribe(reader.id, { unreadCount: 0 }));
    const second = read(await live.subscribe(reader.id, { unreadCount: 0 }));
    const bystander = read(await live.subscribe(other.id, { unreadCount: 0 }));
    expect(live.connectedStreams()).toBe(3);

    await t.deps.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${reader.id}`);
    await until('the streams to end', () => first.ended && second.ended, 1000);
    expect(live.connectedStreams()).toBe(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(bystander.ended).toBe(false);
  });

  it('keeps the stream of an account that connected while the accounts were being checked', async () => {
    const reader = await createUser(t);
    const latecomer = await createUser(t);
    const live = hub({ accountCheckMs: 50 });
    read(await live.subscribe(reader.id, { unreadCount: 0 }));
    // Hold the next account check on a lock while the latecomer's first stream opens (which reads no users).
    const locker = await t.deps.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      expect(await waitForLockWaiter(t)).toBe(true);
      const stream = read(await live.subscribe(latecomer.id, { unreadCount: 0 }));
      await locker.query('COMMIT');
      await new Promise((r) => setTimeout(r, 300));
      expect(stream.ended).toBe(false);
      expect(live.connectedStreams()).toBe(2);
    } finally {
      locker.release();
    }
  });

  it('ends the stream of an account deactivated by an administrator', async () => {
    const reader = await createUser(t);
    const live = hub({ accountCheckMs: 50 });
    const stream = read(await live.subscribe(reader.id, { unreadCount: 0 }));
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/admin/users/${reader.id}/deactivate`,
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(200);
    await until('the stream to end', () => stream.ended, 1000);
    expect(live.connectedStreams()).toBe(0);
  });
});
