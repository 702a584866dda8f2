import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { startEmbeddedPostgres } from './embedded.js';

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
  return server;
}

/** For a second process (worker, CLI) beside a running API: the embedded server it started, if any. */
export function runningEmbeddedUrl(config: Config): string | undefined {
  const pidFile = path.join(embeddedDir(config), 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return Number.isInteger(port) ? `postgres://postgres:postgres@127.0.0.1:${port}/bookstore` : undefined;
}
