import { PassThrough } from 'node:stream';
import pg from 'pg';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { isShuttingDown } from '../../lib/shutting-down.js';
import {
  activeUserIds,
  findNotificationsAfter,
  findWaveNotifications,
  latestNotificationId,
  materializeForUser,
  NOTIFICATION_CHANNEL,
  type NotificationRow,
} from './notifications.repository.js';
import { toNotificationResponse } from './notifications.schemas.js';
import { perUserLimit, processLimit } from './notifications.errors.js';

interface Subscriber {
  userId: number;
  stream: PassThrough;
  /** Highest id pushed (or present at connect time): where a catch-up after a lost listener starts. */
  lastId: number;
  sent: Set<number>;
  /** Gives its slot back (idempotent). */
  release: () => void;
}

const wavePayload = z.object({ wave_id: z.int() });

const CATCH_UP_LIMIT = 100;

function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Limits and seams of the notification hub (createNotificationHub). */
export interface NotificationHubOptions {
  heartbeatMs?: number;
  reconnectMs?: number;
  /** How often the accounts of the open streams are re-read; a deactivated account's streams end. */
  accountCheckMs?: number;
  /** Runs after a new stream has read where it starts and before it is registered (a seam for tests). */
  afterBaseline?: (userId: number) => Promise<void>;
  /** Open streams one account may have (429 beyond); each holds a socket and a share of every broadcast. */
  maxStreamsPerUser?: number;
  /** Open streams in this process (503 beyond). */
  maxStreams?: number;
}

/**
 * The live side of notifications in one API process: Server-Sent Event streams of the connected users, fed by one
 * dedicated PostgreSQL connection that LISTENs on the notification channel. A committed wave announces itself
 * with pg_notify; every process hears it and pushes the wave's notifications to its own connected users, so any
 * number of API processes can share the database. The listener starts with the first stream and reconnects
 * (then catches up from each stream's last id) if its connection is lost.
 */
export function createNotificationHub(
  deps: Pick<Deps, 'db' | 'pool' | 'log' | 'config'>,
  opts: NotificationHubOptions = {},
) {
  const { db, log } = deps;
  const storeUrl = deps.config.STORE_URL;
  /** The user's notifications after `afterId`, their pending restock notifications stored first. */
  async function notificationsAfter(userId: number, afterId: number) {
    await materializeForUser(db, { userId, storeUrl });
    return findNotificationsAfter(db, { userId, afterId, limit: CATCH_UP_LIMIT });
  }
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const reconnectMs = opts.reconnectMs ?? 1_000;
  const accountCheckMs = opts.accountCheckMs ?? 5_000;
  const maxStreamsPerUser = opts.maxStreamsPerUser ?? deps.config.NOTIFICATION_STREAMS_PER_USER;
  const maxStreams = opts.maxStreams ?? deps.config.NOTIFICATION_STREAMS_MAX;
  const byUser = new Map<number, Set<Subscriber>>();
  /** Streams open or being opened, in total and per account: the slots the limits count. */
  let slotsTaken = 0;
  const slotsByUser = new Map<number, number>();
  let listener: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let accountCheck: NodeJS.Timeout | undefined;
  let checkingAccounts = false;
  let closed = false;

  const subscribers = () => [...byUser.values()].flatMap((set) => [...set]);

  /** Takes a slot at once (before any await), so that concurrent opens cannot pass the limits together. */
  function takeSlot(userId: number): () => void {
    const mine = slotsByUser.get(userId) ?? 0;
    if (mine >= maxStreamsPerUser) throw perUserLimit(maxStreamsPerUser);
    if (slotsTaken >= maxStreams) throw processLimit();
    slotsByUser.set(userId, mine + 1);
    slotsTaken += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slotsTaken -= 1;
      const left = (slotsByUser.get(userId) ?? 1) - 1;
      if (left === 0) slotsByUser.delete(userId);
      else slotsByUser.set(userId, left);
    };
  }

  function push(sub: Subscriber, row: NotificationRow) {
    if (sub.sent.has(row.id) || sub.stream.writableEnded) return;
    sub.sent.add(row.id);
    sub.lastId = Math.max(sub.lastId, row.id);
    sub.stream.write(sseEvent('notification', toNotificationResponse(row), row.id));
  }

  function pushAll(rows: NotificationRow[]) {
    for (const row of rows) for (const sub of byUser.get(row.userId) ?? []) push(sub, row);
  }

  async function onWave(payload: string | undefined) {
    const parsed = wavePayload.safeParse(JSON.parse(payload ?? 'null'));
    if (!parsed.success || byUser.size === 0) return;
    pushAll(
      await findWaveNotifications(db, {
        waveId: parsed.data.wave_id,
        userIds: [...byUser.keys()],
        storeUrl,
      }),
    );
  }

  async function catchUp() {
    for (const sub of subscribers()) {
      const rows = await notificationsAfter(sub.userId, sub.lastId);
      for (const row of rows) push(sub, row);
    }
  }

  function lost(client: pg.Client, err?: Error) {
    if (listener !== client) return;
    listener = undefined;
    client.end().catch(() => {});
    if (closed) return;
    if (isShuttingDown()) {
      log.info(
        { reason: err?.message ?? 'connection ended' },
        'notification listener ended while shutting down',
      );
      return;
    }
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
      onWave(msg.payload).catch((err: unknown) => {
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

  /** Ends the streams of every connected account that is no longer active (one query for all of them). */
  async function dropInactiveAccounts() {
    if (checkingAccounts || byUser.size === 0) return;
    checkingAccounts = true;
    try {
      const checked = [...byUser.keys()];
      const active = new Set(await activeUserIds(db, checked));
      // Only the accounts the query looked at: one whose first stream opened meanwhile was not checked.
      for (const userId of checked) {
        if (active.has(userId)) continue;
        for (const sub of [...(byUser.get(userId) ?? [])]) {
          remove(sub);
          sub.stream.end();
        }
      }
    } finally {
      checkingAccounts = false;
    }
  }

  function startTimers() {
    if (!heartbeat) {
      heartbeat = setInterval(() => {
        for (const sub of subscribers()) if (!sub.stream.writableEnded) sub.stream.write(': heartbeat\n\n');
      }, heartbeatMs);
      heartbeat.unref();
    }
    if (!accountCheck) {
      accountCheck = setInterval(() => {
        dropInactiveAccounts().catch((err: unknown) => {
          log.warn(
            { reason: err instanceof Error ? err.message : String(err) },
            'could not re-check the accounts of the notification streams',
          );
        });
      }, accountCheckMs);
      accountCheck.unref();
    }
  }

  function stopTimers() {
    clearInterval(heartbeat);
    clearInterval(accountCheck);
    heartbeat = undefined;
    accountCheck = undefined;
  }

  function remove(sub: Subscriber) {
    sub.release();
    const set = byUser.get(sub.userId);
    set?.delete(sub);
    if (set?.size === 0) byUser.delete(sub.userId);
    if (byUser.size === 0) stopTimers();
  }

  return {
    /**
     * Opens a stream for the user. With `lastEventId` (the SSE reconnect header) the notifications after it are
     * replayed first; otherwise only new ones are pushed.
     */
    async subscribe(userId: number, o: { lastEventId?: number; unreadCount: number }): Promise<PassThrough> {
      const release = takeSlot(userId);
      let afterId: number;
      try {
        await ensureListening();
        // Pending restock notifications are stored before the start point is read: they are not new to this stream.
        if (o.lastEventId === undefined) await materializeForUser(db, { userId, storeUrl });
        afterId = o.lastEventId ?? (await latestNotificationId(db, userId));
        await opts.afterBaseline?.(userId);
      } catch (err) {
        release();
        throw err;
      }
      const stream = new PassThrough();
      const sub: Subscriber = { userId, stream, lastId: afterId, sent: new Set(), release };
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(sub);
      stream.on('close', () => remove(sub));
      stream.write(`retry: 2000\n${sseEvent('ready', { unread_count: o.unreadCount })}`);
      startTimers();
      // A wave committed after the start point was read but handled before the stream was registered would not
      // have been pushed to it: the catch-up after registering delivers it (`sent` drops what was pushed twice).
      try {
        const missed = await notificationsAfter(userId, afterId);
        for (const row of missed) push(sub, row);
      } catch (err) {
        remove(sub);
        stream.destroy();
        throw err;
      }
      return stream;
    },

    connectedStreams: () => subscribers().length,

    /** Ends every stream (so that the HTTP server can close) and the listening connection. */
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      stopTimers();
      for (const sub of subscribers()) {
        sub.release();
        sub.stream.end();
      }
      byUser.clear();
      await connecting?.catch(() => {});
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => {});
    },
  };
}

export type NotificationHub = ReturnType<typeof createNotificationHub>;
