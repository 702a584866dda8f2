import { PassThrough } from 'node:stream';
import pg from 'pg';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import {
  findBatchNotifications,
  findNotificationsAfter,
  latestNotificationId,
  NOTIFICATION_CHANNEL,
  type NotificationRow,
} from './notifications.repository.js';
import { toNotificationResponse } from './notifications.schemas.js';

interface Subscriber {
  userId: number;
  stream: PassThrough;
  /** Highest id pushed (or present at connect time): where a catch-up after a lost listener starts. */
  lastId: number;
  sent: Set<number>;
}

const batchPayload = z.object({ stock_change_id: z.int() });

const CATCH_UP_LIMIT = 100;

function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The live side of notifications in one API process: Server-Sent Event streams of the connected users, fed by one
 * dedicated PostgreSQL connection that LISTENs on the notification channel. A committed batch announces itself
 * with pg_notify; every process hears it and pushes the batch's notifications to its own connected users, so any
 * number of API processes can share the database. The listener starts with the first stream and reconnects
 * (then catches up from each stream's last id) if its connection is lost.
 */
export function createNotificationHub(
  deps: Pick<Deps, 'db' | 'pool' | 'log'>,
  opts: { heartbeatMs?: number; reconnectMs?: number } = {},
) {
  const { db, log } = deps;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const reconnectMs = opts.reconnectMs ?? 1_000;
  const byUser = new Map<number, Set<Subscriber>>();
  let listener: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;

  const subscribers = () => [...byUser.values()].flatMap((set) => [...set]);

  function push(sub: Subscriber, row: NotificationRow) {
    if (sub.sent.has(row.id) || sub.stream.writableEnded) return;
    sub.sent.add(row.id);
    sub.lastId = Math.max(sub.lastId, row.id);
    sub.stream.write(sseEvent('notification', toNotificationResponse(row), row.id));
  }

  function pushAll(rows: NotificationRow[]) {
    for (const row of rows) for (const sub of byUser.get(row.userId) ?? []) push(sub, row);
  }

  async function onBatch(payload: string | undefined) {
    const parsed = batchPayload.safeParse(JSON.parse(payload ?? 'null'));
    if (!parsed.success || byUser.size === 0) return;
    pushAll(
      await findBatchNotifications(db, {
        stockChangeId: parsed.data.stock_change_id,
        userIds: [...byUser.keys()],
      }),
    );
  }

  async function catchUp() {
    for (const sub of subscribers()) {
      const rows = await findNotificationsAfter(db, {
        userId: sub.userId,
        afterId: sub.lastId,
        limit: CATCH_UP_LIMIT,
      });
      for (const row of rows) push(sub, row);
    }
  }

  function lost(client: pg.Client, err?: Error) {
    if (listener !== client) return;
    listener = undefined;
    client.end().catch(() => {});
    if (closed) return;
    log.warn({ reason: err?.message ?? 'connection ended' }, 'notification listener lost; reconnecting');
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (closed || reconnectTimer || byUser.size === 0) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      ensureListening()
        .then(catchUp)
        .catch((err: unknown) => {
          log.warn(
            { reason: err instanceof Error ? err.message : String(err) },
            'notification listener retry',
          );
          scheduleReconnect();
        });
    }, reconnectMs);
    reconnectTimer.unref();
  }

  async function connect() {
    const client = new pg.Client(deps.pool.options);
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== NOTIFICATION_CHANNEL) return;
      onBatch(msg.payload).catch((err: unknown) => {
        log.error({ err }, 'could not push notifications');
      });
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFICATION_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await client.end();
      return;
    }
    listener = client;
  }

  /** Starts the listener if it is not running (shared by concurrent callers). */
  function ensureListening(): Promise<void> {
    if (listener || closed) return Promise.resolve();
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  function startHeartbeat() {
    if (heartbeat) return;
    heartbeat = setInterval(() => {
      for (const sub of subscribers()) if (!sub.stream.writableEnded) sub.stream.write(': heartbeat\n\n');
    }, heartbeatMs);
    heartbeat.unref();
  }

  function remove(sub: Subscriber) {
    const set = byUser.get(sub.userId);
    set?.delete(sub);
    if (set?.size === 0) byUser.delete(sub.userId);
    if (byUser.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  return {
    /**
     * Opens a stream for the user. With `lastEventId` (the SSE reconnect header) the notifications after it are
     * replayed first; otherwise only new ones are pushed.
     */
    async subscribe(userId: number, o: { lastEventId?: number; unreadCount: number }): Promise<PassThrough> {
      await ensureListening();
      const stream = new PassThrough();
      const sub: Subscriber = {
        userId,
        stream,
        lastId: o.lastEventId ?? (await latestNotificationId(db, userId)),
        sent: new Set(),
      };
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(sub);
      stream.on('close', () => remove(sub));
      stream.write(`retry: 2000\n${sseEvent('ready', { unread_count: o.unreadCount })}`);
      startHeartbeat();
      if (o.lastEventId !== undefined) {
        const missed = await findNotificationsAfter(db, {
          userId,
          afterId: o.lastEventId,
          limit: CATCH_UP_LIMIT,
        });
        for (const row of missed) push(sub, row);
      }
      return stream;
    },

    connectedStreams: () => subscribers().length,

    /** Ends every stream (so that the HTTP server can close) and the listening connection. */
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      if (heartbeat) clearInterval(heartbeat);
      for (const sub of subscribers()) sub.stream.end();
      byUser.clear();
      await connecting?.catch(() => {});
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => {});
    },
  };
}

export type NotificationHub = ReturnType<typeof createNotificationHub>;
