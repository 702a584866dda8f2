import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * PostgreSQL refuses to run as root, so a root process runs the embedded server as the `postgres` OS user. That user
 * must be able to enter every folder above the data folder and reach the server's binaries. Only folders inside
 * DATA_DIR are ever changed (the cluster folder is given to `postgres`, DATA_DIR itself may get o+x); a folder
 * above DATA_DIR that `postgres` cannot enter stops start-up with a message saying what to do, it is never chmod'ed.
 */

export const POSTGRES_OS_USER = 'postgres';

export interface OsUser {
  uid: number;
  gid: number;
}

/** The file-system operations root's preparation performs, injectable so that a test can see every one. */
export interface RootFsOps {
  mode(dir: string): number;
  chmod(dir: string, mode: number): void;
  chown(dir: string, uid: number, gid: number): void;
  mkdir(dir: string): void;
  /** The first of `paths` that `user` cannot search (folders) or execute (files), tried as that user. */
  firstInaccessible(user: OsUser, paths: string[]): string | undefined;
}

export class RootAccessError extends Error {}

/** Every folder from `/` down to `dir`, outermost first. */
export function foldersDownTo(dir: string): string[] {
  const chain: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (path.dirname(d) === d) return chain;
  }
}

/**
 * Makes `dbDir` (a folder directly inside `dataDir`) usable by the unprivileged `user`, changing nothing outside
 * `dataDir`. `binaries` are the server programs that user will execute.
 */
export function prepareDataDirForUser(
  dataDir: string,
  dbDir: string,
  user: OsUser,
  binaries: string[],
  ops: RootFsOps,
  log: { warn(msg: string): void },
): void {
  const data = path.resolve(dataDir);
  const above = foldersDownTo(path.dirname(data));
  const blocked = ops.firstInaccessible(user, above);
  if (blocked !== undefined) {
    throw new RootAccessError(
      `running as root, the embedded PostgreSQL runs as the OS user ${POSTGRES_OS_USER}, who cannot enter ${blocked} ` +
        `(above DATA_DIR=${data}, which is not changed): choose a DATA_DIR that ${POSTGRES_OS_USER} can reach ` +
        `(e.g. /var/lib/bookstore), make ${blocked} traversable yourself (chmod o+x), run as another user, or set DATABASE_URL`,
    );
  }
  const binary = ops.firstInaccessible(
    user,
    binaries.flatMap((b) => [...foldersDownTo(path.dirname(b)), b]),
  );
  if (binary !== undefined) {
    throw new RootAccessError(
      `running as root, the embedded PostgreSQL runs as the OS user ${POSTGRES_OS_USER}, who cannot reach ${binary}: ` +
        `install the project where ${POSTGRES_OS_USER} can read it, run as another user, or set DATABASE_URL`,
    );
  }
  ops.mkdir(data);
  if (ops.firstInaccessible(user, [data]) !== undefined) {
    log.warn(`making DATA_DIR ${data} traversable (o+x) so that the embedded PostgreSQL can reach its data`);
    ops.chmod(data, ops.mode(data) | 0o001);
  }
  ops.mkdir(dbDir);
  ops.chown(dbDir, user.uid, user.gid);
  ops.chmod(dbDir, 0o700);
}

export const realRootFsOps: RootFsOps = {
  mode: (dir) => statSync(dir).mode & 0o7777,
  chmod: (dir, mode) => chmodSync(dir, mode),
  chown: (dir, uid, gid) => chownSync(dir, uid, gid),
  mkdir: (dir) => mkdirSync(dir, { recursive: true }),
  firstInaccessible(user, paths) {
    if (paths.length === 0) return undefined;
    // Asked of the kernel as that user (ACLs and groups included), the way the server itself is spawned: Node
    // drops supplementary groups when it switches uid, as it does for the postgres process.
    const r = spawnSync(
      'sh',
      ['-c', 'for p in "$@"; do test -x "$p" || { printf %s "$p"; exit 1; }; done', 'sh', ...paths],
      { uid: user.uid, gid: user.gid, cwd: '/', encoding: 'utf8' },
    );
    if (r.error) throw r.error;
    return r.status === 0 ? undefined : r.stdout || paths[0];
  },
};

/** The `postgres` OS user, created (a system user, no home) when missing. */
export function ensurePostgresOsUser(): OsUser {
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', POSTGRES_OS_USER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', POSTGRES_OS_USER]).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--user-group', POSTGRES_OS_USER]);
    return lookup();
  }
}
