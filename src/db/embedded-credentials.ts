import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

/**
 * The embedded server's logins, generated on the first start of a data folder and kept beside it in
 * `<dbDir>-credentials/credentials.json` (the folder 0700, the file 0600): the superuser, used only to set up roles
 * and ownership at start-up, and the application role, a plain login that owns the `bookstore` database and
 * everything in it, which the API, the worker, migrations and the command-line tools use.
 */
export interface EmbeddedCredentials {
  superuser: { user: string; password: string };
  app: { user: string; password: string };
  database: string;
}

export const SUPERUSER = 'postgres';
export const APP_ROLE = 'bookstore_app';
export const APP_DATABASE = 'bookstore';
/** The superuser password every data folder had before the credentials file existed. */
export const LEGACY_SUPERUSER_PASSWORD = 'postgres';

export const credentialsDir = (dbDir: string) => `${dbDir}-credentials`;
export const credentialsFile = (dbDir: string) => path.join(credentialsDir(dbDir), 'credentials.json');

const randomPassword = () => randomBytes(32).toString('base64url');

export function generateCredentials(): EmbeddedCredentials {
  return {
    superuser: { user: SUPERUSER, password: randomPassword() },
    app: { user: APP_ROLE, password: randomPassword() },
    database: APP_DATABASE,
  };
}

function isLogin(v: unknown): v is { user: string; password: string } {
  const o = v as { user?: unknown; password?: unknown } | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.user === 'string' &&
    /^[a-z_][a-z0-9_]*$/.test(o.user) &&
    typeof o.password === 'string' &&
    o.password.length >= 16
  );
}

/** The credentials of the data folder `dbDir`, or undefined when it has none yet. A damaged file is an error. */
export function readCredentials(dbDir: string): EmbeddedCredentials | undefined {
  const file = credentialsFile(dbDir);
  if (!existsSync(file)) return undefined;
  let parsed: Partial<EmbeddedCredentials>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<EmbeddedCredentials>;
  } catch (err) {
    throw new Error(`${file} is not readable JSON (${(err as Error).message}): restore it from a backup`);
  }
  if (!isLogin(parsed.superuser) || !isLogin(parsed.app) || typeof parsed.database !== 'string') {
    throw new Error(`${file} does not hold the embedded database's credentials: restore it from a backup`);
  }
  return { superuser: parsed.superuser, app: parsed.app, database: parsed.database };
}

/** Makes the folder 0700 and the file 0600 again, should anyone have widened them. */
export function restrictCredentials(dbDir: string): void {
  chmodSync(credentialsDir(dbDir), 0o700);
  chmodSync(credentialsFile(dbDir), 0o600);
}

/** Writes the file atomically (a crash leaves the old file or the new one, never half of one), mode 0600. */
export function writeCredentials(dbDir: string, credentials: EmbeddedCredentials): void {
  const dir = credentialsDir(dbDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = credentialsFile(dbDir);
  const tmp = `${file}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(credentials, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * A SCRAM-SHA-256 verifier of a password (RFC 7677, as PostgreSQL stores it), so that `ALTER ROLE … PASSWORD` never
 * carries the password itself: nothing readable ends up in a server log or in pg_stat_statements. The passwords
 * are ASCII (base64url), which SASLprep leaves as they are.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export function embeddedUrl(
  login: { user: string; password: string },
  port: number,
  database: string,
): string {
  return `postgres://${encodeURIComponent(login.user)}:${encodeURIComponent(login.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}
