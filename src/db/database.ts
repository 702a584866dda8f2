import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { embeddedUrl, readCredentials } from './embedded-credentials.js';
import { startEmbeddedPostgres } from './embedded.js';
import { canVerifyProcesses, isPostmasterOf, readPostmasterLock } from './process-identity.js';

export interface Database {
  url: string;
  /** Stops the embedded server when this process started one. */
  stop(): Promise<void>;
}

export const embeddedDir = (config: Config) => path.join(config.DATA_DIR, 'db');

/** DATABASE_URL when set; otherwise an embedded PostgreSQL whose data lives under DATA_DIR. */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => {} };
  const server = await startEmbeddedPostgres(embeddedDir(config), {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  return { url: server.url, stop: () => server.stop() };
}

/**
 * For a second process (worker, CLI) beside a running API: the embedded server it started, if any, as the
 * application role of the data folder's credentials file. Only a verified postmaster of DATA_DIR's database folder
 * counts (a stale pid file could name any process, and the port it records could be anyone's server).
 */
export function runningEmbeddedUrl(config: Config): string | undefined {
  const dir = embeddedDir(config);
  const lock = readPostmasterLock(path.join(dir, 'postmaster.pid'));
  if (!lock || !canVerifyProcesses() || !isPostmasterOf(lock, dir)) return undefined;
  if (!Number.isInteger(lock.port) || lock.port <= 0) return undefined;
  const credentials = readCredentials(dir);
  return credentials ? embeddedUrl(credentials.app, lock.port, credentials.database) : undefined;
}
