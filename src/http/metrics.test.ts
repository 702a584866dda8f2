import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  createAdmin,
  createBook,
  createUser,
  type TestContext,
  uniqueEmail,
  useTestApp,
} from '../../test/helpers.js';
import { patchStock, postPreBooking } from '../../test/requests.js';
import { deliverEmail } from '../emails/delivery.js';
import { requestIdGenerator } from './metrics.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** Captures the app's JSON log lines. */
function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as never);
      cb();
    },
  });
  return { lines, log: pino({ level: 'info' }, stream) };
}

const capture = logCapture();
const t = useTestApp({
  deps: { log: capture.log },
  extraRoutes: (app) => {
    app.get('/test-only/boom', () => {
      throw new Error('boom');
    });
  },
});

async function scrape(ctx: TestContext = t, headers: Record<string, string> = {}) {
  const res = await ctx.app.inject({ method: 'GET', url: '/metrics', headers });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('answers Prometheus text format with request durations labelled by route pattern and status', async () => {
    const book = await createBook(t);
    await t.app.inject({ method: 'GET', url: `/books/${book.id}` });
    await t.app.inject({ method: 'GET', url: `/books/${book.id}` });
    await t.app.inject({ method: 'GET', url: '/books/987654321' });
    await t.app.inject({ method: 'GET', url: '/no/such/path/4711' });

    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    const ok = { method: 'GET', route: '/books/:book_id', status_code: '200' };
    expect(sample(text, 'http_request_duration_seconds_count', ok)).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_sum', ok)).toBeGreaterThan(0);
    expect(sample(text, 'http_request_duration_seconds_count', { ...ok, status_code: '404' })).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: 'unmatched',
        status_code: '404',
      }),
    ).toBe(1);
    // Never the raw URL: ids and unknown paths would make one time series per request.
    expect(text).not.toContain(`/books/${book.id}"`);
    expect(text).not.toContain('987654321');
    expect(text).not.toContain('4711');
    // Process metrics and the pool's gauges.
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(sample(text, 'bookstore_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'bookstore_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'bookstore_db_pool_connections', { state: 'waiting' })).toBe(0);
  });

  it('reports the job queue by state, read from the database at scrape time', async () => {
    await t.deps.db.execute(sql`SELECT graphile_worker.add_job('metrics_test_ready', '{}'::json)`);
    await t.deps.db.execute(sql`SELECT graphile_worker.add_job('metrics_test_ready', '{}'::json)`);
    await t.deps.db.execute(
      sql`SELECT graphile_worker.add_job('metrics_test_later', '{}'::json, run_at => now() + interval '1 hour')`,
    );
    const failed = await t.deps.db.execute<{ id: string }>(
      sql`SELECT id FROM graphile_worker.add_job('metrics_test_failed', '{}'::json, max_attempts => 1)`,
    );
    await t.deps.db.execute(
      sql`UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'x' WHERE id = ${failed.rows[0]!.id}`,
    );
    const text = await scrape();
    expect(sample(text, 'bookstore_job_queue_jobs', { state: 'ready' })).toBe(2);
    expect(sample(text, 'bookstore_job_queue_jobs', { state: 'scheduled' })).toBe(1);
    expect(sample(text, 'bookstore_job_queue_jobs', { state: 'failed' })).toBe(1);
    expect(sample(text, 'bookstore_job_queue_jobs', { state: 'locked' })).toBe(0);
    await t.deps.db.execute(sql`DELETE FROM graphile_worker._private_jobs`);
  });

  it('counts e-mails sent and failed', async () => {
    const before = await scrape();
    const sentBefore = sample(before, 'bookstore_emails_total', { outcome: 'sent' }) ?? 0;
    const failedBefore = sample(before, 'bookstore_emails_total', { outcome: 'failed' }) ?? 0;
    const message = { to: uniqueEmail('reader'), subject: 'Hello', html: '<p>Hi</p>', text: 'Hi' };

    expect(await deliverEmail(t.deps, `metrics-test:${Date.now()}`, async () => message)).toBe('sent');
    const failing = {
      ...t.deps,
      mailer: {
        ...t.deps.mailer,
        send: () => Promise.reject(new Error('relay refused')),
      },
    };
    await expect(
      deliverEmail(failing, `metrics-test-fail:${Date.now()}`, async () => message),
    ).rejects.toThrow('relay refused');

    const after = await scrape();
    expect(sample(after, 'bookstore_emails_total', { outcome: 'sent' })).toBe(sentBefore + 1);
    expect(sample(after, 'bookstore_emails_total', { outcome: 'failed' })).toBe(failedBefore + 1);
  });

  it('observes the size of each committed restock broadcast', async () => {
    const admin = await createAdmin(t);
    const book = await createBook(t, { stock: 0 });
    for (let i = 0; i < 3; i++) {
      const reader = await createUser(t);
      const res = await postPreBooking(t.app, reader, book.id);
      expect(res.statusCode).toBe(201);
    }
    const before = await scrape();
    const countBefore = sample(before, 'bookstore_restock_notified_readers_count') ?? 0;
    const sumBefore = sample(before, 'bookstore_restock_notified_readers_sum') ?? 0;
    const res = await patchStock(t.app, admin, book.id, 5);
    expect(res.statusCode).toBe(200);
    const after = await scrape();
    expect(sample(after, 'bookstore_restock_notified_readers_count')).toBe(countBefore + 1);
    expect(sample(after, 'bookstore_restock_notified_readers_sum')).toBe(sumBefore + 3);
    expect(sample(after, 'bookstore_restock_notified_readers_bucket', { le: '10' })).toBe(countBefore + 1);
  });

  it('is not in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: object }>();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
  });
});

describe('METRICS_TOKEN and production', () => {
  const guarded = useTestApp({ env: { METRICS_TOKEN: TOKEN } });
  const production = useTestApp({ env: { NODE_ENV: 'production', MAIL_SUPPRESS_SEND: 'true' } });
  const productionWithToken = useTestApp({
    env: { NODE_ENV: 'production', MAIL_SUPPRESS_SEND: 'true', METRICS_TOKEN: TOKEN },
  });

  it('with a token set, answers 401 without the right bearer token and 200 with it', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      TOKEN,
      'Basic x',
    ]) {
      const res = await guarded.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ detail: 'Not authenticated', code: 'HTTP_401' });
      expect(res.body).not.toContain('http_request_duration_seconds');
    }
    const text = await scrape(guarded, { authorization: `Bearer ${TOKEN}` });
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(await scrape(guarded, { authorization: `bearer ${TOKEN}` })).toContain('bookstore_db_pool');
  });

  it('in production without a token, is not mounted (404 like any unknown path)', async () => {
    const res = await production.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Not Found', code: 'HTTP_404' });
  });

  it('in production with a token, answers only that token', async () => {
    expect((await productionWithToken.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect(await scrape(productionWithToken, { authorization: `Bearer ${TOKEN}` })).toContain(
      'http_request_duration_seconds',
    );
  });
});

describe('X-Request-Id', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('echoes a well-formed incoming id on every kind of answer and logs it', async () => {
    const admin = await createAdmin(t);
    const cases = [
      { method: 'GET', url: '/health', status: 200 },
      { method: 'GET', url: '/nowhere', status: 404 },
      { method: 'GET', url: '/books/', status: 307 },
      { method: 'GET', url: '/books/abc', status: 422 },
      { method: 'GET', url: '/cart', status: 401 },
      { method: 'DELETE', url: '/health', status: 405 },
      { method: 'POST', url: '/genres', status: 422, auth: true },
      { method: 'GET', url: '/test-only/boom', status: 500 },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const id = `req-${i}.abc:DEF_${Date.now()}`;
      const res = await t.app.inject({
        method: c.method,
        url: c.url,
        headers: { 'x-request-id': id, ...('auth' in c ? admin.auth : {}) },
      });
      expect(res.statusCode, `${c.method} ${c.url}`).toBe(c.status);
      expect(res.headers['x-request-id'], `${c.method} ${c.url}`).toBe(id);
      expect(
        capture.lines.some((l) => l.reqId === id),
        JSON.stringify(capture.lines.slice(-3)),
      ).toBe(true);
    }
  });

  it('makes a UUID when none is given', async () => {
    const a = await t.app.inject({ method: 'GET', url: '/health' });
    const b = await t.app.inject({ method: 'GET', url: '/nowhere' });
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('makes ids that are version-4 UUIDs, distinct within a process and between processes', () => {
    const next = requestIdGenerator();
    const ids = Array.from({ length: 20_000 }, () => next());
    for (const id of ids.slice(0, 100)) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    // Another process (another generator) draws its own random part.
    const other = requestIdGenerator();
    expect(other().slice(0, 24)).not.toBe(ids[0]!.slice(0, 24));
  });

  it('replaces an over-long id or one with unsafe characters by a fresh UUID', async () => {
    for (const bad of ['a'.repeat(129), 'two words', '<script>', 'id\u00e9', 'a/b', 'x;y', '']) {
      const res = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
    const longest = 'a'.repeat(128);
    const res = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': longest } });
    expect(res.headers['x-request-id']).toBe(longest);
  });
});
