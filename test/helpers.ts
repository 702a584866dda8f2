import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { closeDeps, createDeps, type Deps } from '../src/deps.js';
import { createServices, type Services } from '../src/services.js';
import type { Role } from '../src/modules/auth/auth.tokens.js';
import { endAllSessions } from '../src/modules/auth/auth.service.js';
import { bookCreateBody } from '../src/modules/books/books.schemas.js';
import { createBooksService } from '../src/modules/books/books.service.js';
import { createReviewsService } from '../src/modules/reviews/reviews.service.js';
import { books } from '../src/modules/books/books.table.js';
import { insertUser } from '../src/modules/users/users.accounts.js';
import { createUsersService } from '../src/modules/users/users.service.js';
import { startWorker } from '../src/jobs/queue.js';
import { taskList } from '../src/jobs/tasks.js';

export const TEST_SECRET = 'test-secret-key-that-is-long-enough-0123456789';

/** Creates a database for one test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  const name = `${template.replace('tpl', 't')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (err) {
      // Two files cloning the template at the same instant: PostgreSQL asks the second to wait.
      if (attempt > 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    SECRET_KEY: TEST_SECRET,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-test-data-')),
    LOG_LEVEL: 'silent',
    WORKER: 'off',
    PUBLIC_BASE_URL: 'http://127.0.0.1:8000',
    STORE_URL: 'http://store.test.local',
    ...env,
  });
}

export type TestApp = Awaited<ReturnType<typeof buildApp>>;

export interface TestContext {
  app: TestApp;
  deps: Deps;
  /** The services the app's routes use (built from `deps` after its overrides). */
  services: Services;
  databaseUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  deps?: Partial<Deps>;
  /** Test-only routes, added before the app is ready (e.g. to exercise the auth guards). */
  extraRoutes?: (app: TestApp, deps: Deps) => void;
}

/**
 * A fresh database and an app on it:
 *   const t = await startTestApp();  ...  await t.close();
 * A test file that wants one for all its tests uses `useTestApp` instead.
 */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestContext> {
  const database = await createTestDatabase();
  const config = testConfig(opts.env);
  const log = pino({ level: config.LOG_LEVEL });
  const deps = createDeps(config, log, database.url, opts.deps);
  const services = createServices(deps);
  const app = await buildApp(deps, services);
  opts.extraRoutes?.(app, deps);
  await app.ready();
  return {
    app,
    deps,
    services,
    databaseUrl: database.url,
    close: async () => {
      await app.close();
      await closeDeps(deps);
      await database.drop();
    },
  };
}

/**
 * The one set-up of a test file: `const t = useTestApp();` at the top level starts a fresh database and an app
 * on it before the file's first test (before the file's own `beforeAll`s, which run in order after it) and
 * closes both after its last. `t` is filled in place, so it can be captured by helpers declared beside it.
 */
export function useTestApp(opts: TestAppOptions = {}): TestContext {
  const t = {} as TestContext;
  beforeAll(async () => {
    Object.assign(t, await startTestApp(opts));
  });
  afterAll(async () => {
    await t.close?.();
  });
  return t;
}

/**
 * For service-level tests: a fresh database and the dependencies on it (no HTTP app), before the file's first
 * test, closed after its last. Services are built from `t.deps` as the app builds them.
 */
export function useTestDeps(
  opts: Pick<TestAppOptions, 'env' | 'deps'> = {},
): Pick<TestContext, 'deps' | 'databaseUrl'> {
  const t = {} as Pick<TestContext, 'deps' | 'databaseUrl'>;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    const config = testConfig(opts.env);
    t.deps = createDeps(config, pino({ level: config.LOG_LEVEL }), database.url, opts.deps);
    t.databaseUrl = database.url;
  });
  afterAll(async () => {
    if (t.deps) await closeDeps(t.deps);
    await database?.drop();
  });
  return t;
}

/** A job worker on the test app's database running the app's own tasks (what `npm run worker` runs). */
export function startTestWorker(
  t: Pick<TestContext, 'deps'>,
  opts: Partial<Parameters<typeof startWorker>[3]> = {},
): ReturnType<typeof startWorker> {
  return startWorker(t.deps.pool, taskList(t.deps), t.deps.log, {
    concurrency: 2,
    pollInterval: 100,
    ...opts,
  });
}

/** An account created (through `createUser`) before the file's tests and filled in place, like `useTestApp`. */
export function useUser(t: Pick<TestContext, 'deps'>, opts: Parameters<typeof createUser>[1] = {}): TestUser {
  const user = {} as TestUser;
  beforeAll(async () => {
    Object.assign(user, await createUser(t, opts));
  });
  return user;
}

/** An administrator, like `useUser`. */
export const useAdmin = (t: Pick<TestContext, 'deps'>) => useUser(t, { role: 'admin' });

let counter = 0;
/** A unique e-mail address for a test user. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${Date.now().toString(36)}.${counter}.${randomBytes(3).toString('hex')}@example.com`;
}

/** Argon2id PHC hash of "password123" (m=19456,t=2,p=1), so that factories need not hash. */
export const PASSWORD = 'password123';
export const PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$sNO/JlGJIuBF6eIuRM+7cg$ctWQ+nf8ZHKzcy94g4TnsBSw98w7yvccOtul7T+OE1E';

export interface TestUser {
  id: number;
  email: string;
  role: Role;
  token: string;
  auth: { authorization: string };
}

/**
 * Creates an account through the users module's account entry point (`insertUser`, what registration and
 * `admin:create` call) with a fixed hash, and signs a token. Not through `auth.register`: that hashes the
 * password (argon2, a tenth of a second an account) and enqueues a verification e-mail, which the e-mail tests
 * would receive, and it cannot make an administrator or an account without a password. A deactivated account
 * is deactivated through the users service, as an administrator does it.
 */
export async function createUser(
  t: Pick<TestContext, 'deps'>,
  opts: { email?: string; role?: Role; isActive?: boolean; passwordHash?: string | null } = {},
): Promise<TestUser> {
  const email = opts.email ?? uniqueEmail(opts.role ?? 'user');
  const role = opts.role ?? 'user';
  const row = await insertUser(t.deps.db, {
    email,
    hashedPassword: opts.passwordHash === undefined ? PASSWORD_HASH : opts.passwordHash,
    role,
  });
  if (!row) throw new Error(`createUser: ${email} is taken`);
  if (opts.isActive === false)
    await createUsersService(t.deps, { endAll: endAllSessions }).deactivateUser(row.id);
  const token = await t.deps.tokens.sign(row.id, role);
  return { id: row.id, email, role, token, auth: { authorization: `Bearer ${token}` } };
}

export const createAdmin = (t: Pick<TestContext, 'deps'>) => createUser(t, { role: 'admin' });

/**
 * Creates a book as `POST /books` does (the create body's schema, then the books service), then puts the stock as
 * given on it directly: a stock change through the stock service would record a restock and notify readers,
 * which the tests that need a book with stock count on not happening.
 */
export async function createBook(
  t: Pick<TestContext, 'deps'>,
  opts: {
    title?: string;
    author?: string;
    price?: string;
    stock?: number;
    isbn?: string | null;
    genreId?: number | null;
  } = {},
): Promise<{ id: number; title: string; author: string; price: string; stock: number }> {
  counter += 1;
  const title = opts.title ?? `Book ${counter} ${randomBytes(2).toString('hex')}`;
  const author = opts.author ?? `Author ${counter}`;
  const price = opts.price ?? '10.00';
  const stock = opts.stock ?? 10;
  const body = bookCreateBody.parse({
    title,
    author,
    price,
    isbn: opts.isbn ?? null,
    genre_id: opts.genreId ?? null,
  });
  const { id } = await createBooksService(t.deps).createBook(body);
  if (stock !== 0) await t.deps.db.update(books).set({ stockQuantity: stock }).where(eq(books.id, id));
  return { id, title, author, price, stock };
}

/**
 * Inserts `n` books in one statement (for tests that need hundreds, where one service call a book would be most
 * of the test's time); ids ascending. Titles, authors and prices are valid for the create body.
 */
export async function createBooks(
  t: Pick<TestContext, 'deps'>,
  n: number,
  opts: { stock?: number } = {},
): Promise<number[]> {
  counter += 1;
  const prefix = `Bulk ${counter} ${randomBytes(2).toString('hex')}`;
  const rows = await t.deps.db
    .insert(books)
    .values(
      Array.from({ length: n }, (_, i) => ({
        title: `${prefix} #${i + 1}`,
        author: 'Bulk Author',
        price: '10.00',
        stockQuantity: opts.stock ?? 10,
      })),
    )
    .returning({ id: books.id });
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/**
 * Inserts an order with its items directly, bypassing checkout: for states checkout cannot produce (a
 * `payment_failed` order, one placed at a given past instant, lines of a deleted book, prices other than the
 * book's), as the analytics and history tests need.
 */
export async function insertOrder(
  t: Pick<TestContext, 'deps'>,
  opts: {
    userId: number;
    items: { bookId: number | null; quantity: number; unitPrice: string }[];
    status?: 'confirmed' | 'payment_failed';
    createdAt?: Date | string;
  },
): Promise<{ id: number }> {
  // A string is passed through as is, so that microsecond instants survive.
  const createdAt =
    typeof opts.createdAt === 'string' ? opts.createdAt : (opts.createdAt ?? new Date()).toISOString();
  const result = await t.deps.db.execute<{ id: number }>(
    sql`INSERT INTO orders (user_id, status, created_at)
        VALUES (${opts.userId}, ${opts.status ?? 'confirmed'}, ${createdAt})
        RETURNING id`,
  );
  const id = result.rows[0]!.id;
  for (const item of opts.items) {
    await t.deps.db.execute(
      sql`INSERT INTO order_items (order_id, book_id, quantity, unit_price)
          VALUES (${id}, ${item.bookId}, ${item.quantity}, ${item.unitPrice})`,
    );
  }
  return { id };
}

/**
 * A review of the book by a new reader, through the reviews service (as `POST /books/{id}/reviews`): the reader
 * first gets a confirmed order of the book (`insertOrder`), since only buyers may review. `deleted: true` then
 * deletes it through the service as its author does.
 */
export async function createReview(
  t: Pick<TestContext, 'deps'>,
  opts: { bookId: number; rating: number; text?: string; deleted?: boolean },
): Promise<{ id: number; user: TestUser }> {
  const user = await createUser(t);
  await insertOrder(t, {
    userId: user.id,
    items: [{ bookId: opts.bookId, quantity: 1, unitPrice: '10.00' }],
  });
  const reviews = createReviewsService(t.deps);
  const { id } = await reviews.createReview(user, opts.bookId, { rating: opts.rating, text: opts.text });
  if (opts.deleted) await reviews.deleteReview(user, id);
  return { id, user };
}

/** The recorded causes of the book's restock e-mails (`restock:<pre_booking_id>:<wave_id>`), sorted. */
export async function deliveredRestockCauses(
  t: Pick<TestContext, 'deps'>,
  bookId: number,
): Promise<string[]> {
  const r = await t.deps.db.execute<{ cause: string }>(sql`
    SELECT cause FROM email_deliveries
    WHERE cause IN (SELECT 'restock:' || id || ':' || wave_id FROM pre_bookings WHERE book_id = ${bookId})
    ORDER BY cause`);
  return r.rows.map((row) => row.cause);
}

/** True once some session of the test database waits for a row lock (within 5 seconds). */
export async function waitForLockWaiter(t: Pick<TestContext, 'deps'>): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const rows = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows.rows[0]!.n > 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
