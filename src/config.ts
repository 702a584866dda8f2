import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const bool = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(', ')})` },
  );

const origins = optionalString.transform((v, ctx) => {
  if (v === undefined) return ['http://localhost:3000', 'http://127.0.0.1:3000'];
  if (v.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((o) => typeof o === 'string')) return parsed;
    } catch {
      // fall through to the issue below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list or a JSON list of strings' });
    return z.NEVER;
  }
  return v
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
});

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
/** TRUST_PROXY: addresses, CIDRs or proxy-addr's names (loopback, linklocal, uniquelocal); unset = none. */
const trustedProxies = optionalString.transform((v, ctx) => {
  if (v === undefined) return [];
  const entries = v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (PROXY_NAMES.includes(entry)) continue;
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const validPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !validPrefix || rest.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not an IP address, a CIDR or one of ${PROXY_NAMES.join(', ')}`,
      });
      return z.NEVER;
    }
  }
  return entries;
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(8000, 0, 65535),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  MIGRATE_ON_START: bool('MIGRATE_ON_START', true),
  SECRET_KEY: optionalString,
  ACCESS_TOKEN_EXPIRE_MINUTES: int(15, 1, 7 * 24 * 60),
  REFRESH_TOKEN_EXPIRE_DAYS: int(7, 1, 30),
  IDEMPOTENCY_KEY_TTL_HOURS: int(24, 1, 8760),
  ALLOWED_ORIGINS: origins,
  PUBLIC_BASE_URL: url(['http:', 'https:']),
  STORE_URL: url(['http:', 'https:']).transform((v) => (v ?? 'http://localhost:3000').replace(/\/+$/, '')),
  SMTP_URL: url(['smtp:', 'smtps:']),
  MAIL_SERVER: optionalString,
  MAIL_PORT: int(587, 1, 65535),
  MAIL_USERNAME: optionalString,
  MAIL_PASSWORD: optionalString,
  MAIL_STARTTLS: bool('MAIL_STARTTLS', true),
  MAIL_FROM: z.string().trim().min(3).default('noreply@bookstore.local'),
  MAIL_FROM_NAME: z.string().trim().min(1).default('Bookstore'),
  MAIL_SUPPRESS_SEND: bool('MAIL_SUPPRESS_SEND', false),
  SMTP_ALLOW_PLAIN: bool('SMTP_ALLOW_PLAIN', false),
  MOCK_PAYMENT_DECLINE_RATE: optionalString.transform((v, ctx) => {
    if (v === undefined) return 0;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      ctx.addIssue({ code: 'custom', message: 'must be a number between 0 and 1' });
      return z.NEVER;
    }
    return n;
  }),
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_ISSUER: url(['http:', 'https:']).transform((v) =>
    (v ?? 'https://accounts.google.com').replace(/\/+$/, ''),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER: z.enum(['embedded', 'off']).default('embedded'),
  WORKER_CONCURRENCY: int(10, 1, 100),
  WORKER_LOCAL_QUEUE: int(0, 0, 10_000),
  WORKER_HEARTBEAT_INTERVAL_MS: int(15_000, 100, 600_000),
  WORKER_HEARTBEAT_TIMEOUT_MS: int(60_000, 500, 3_600_000),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  TRUST_PROXY: trustedProxies,
  AUTH_RATE_LIMIT_PER_MINUTE: int(30, 1, 1_000_000),
  REGISTER_RATE_LIMIT_PER_HOUR: int(10, 1, 1_000_000),
  ACCOUNT_EMAIL_RATE_LIMIT_PER_HOUR: int(5, 1, 1_000_000),
  LOGIN_MAX_FAILURES: int(10, 1, 10_000),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(100, 1, 1_000_000),
  DB_POOL_MAX: int(10, 1, 500),
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 3_600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(5_000, 100, 3_600_000),
  HTTP_IDLE_TIMEOUT_MS: int(60_000, 100, 3_600_000),
  HTTP_MAX_CONNECTIONS: int(2_000, 1, 1_000_000),
  HTTP_MAX_REQUESTS_PER_SOCKET: int(0, 0, 1_000_000),
  DB_STATEMENT_TIMEOUT_MS: int(5000, 0, 3_600_000),
  DB_LOCK_TIMEOUT_MS: int(3000, 0, 3_600_000),
  DB_CONNECT_TIMEOUT_MS: int(5000, 1, 600_000),
  DB_LONG_STATEMENT_TIMEOUT_MS: int(120_000, 0, 3_600_000),
  METRICS_TOKEN: optionalString,
  NOTIFICATION_STREAMS_PER_USER: int(5, 1, 1000),
  NOTIFICATION_STREAMS_MAX: int(1000, 1, 1_000_000),
  RESTOCK_POLICY: z.enum(['broadcast', 'fifo']).default('broadcast'),
  RESTOCK_HOLD_SECONDS: int(86_400, 10, 604_800),
});

type Env = z.infer<typeof envSchema>;

export type Config = Readonly<
  Omit<Env, 'SECRET_KEY' | 'PUBLIC_BASE_URL' | 'DATA_DIR'> & {
    SECRET_KEY: string;
    PUBLIC_BASE_URL: string;
    DATA_DIR: string;
    isProduction: boolean;
  }
>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads the dev secret kept in DATA_DIR, creating it on first use. */
function devSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret_key');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 32) return kept;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Parses and validates the environment once; every bad variable is named in the error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  if (e.SECRET_KEY !== undefined && Buffer.byteLength(e.SECRET_KEY) < 32) {
    problems.push('SECRET_KEY: must be at least 32 bytes');
  }
  if (isProduction && e.SECRET_KEY === undefined) {
    problems.push('SECRET_KEY: required when NODE_ENV=production');
  }
  if (e.METRICS_TOKEN !== undefined && e.METRICS_TOKEN.length < 16) {
    problems.push('METRICS_TOKEN: must be at least 16 characters');
  }
  if (e.MAIL_SERVER !== undefined && e.SMTP_URL !== undefined) {
    problems.push('SMTP_URL: give either SMTP_URL or MAIL_SERVER, not both');
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (e.WORKER_HEARTBEAT_TIMEOUT_MS < 3 * e.WORKER_HEARTBEAT_INTERVAL_MS) {
    problems.push('WORKER_HEARTBEAT_TIMEOUT_MS: must be at least 3 times WORKER_HEARTBEAT_INTERVAL_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(e.DATA_DIR);
  const publicHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return Object.freeze({
    ...e,
    DATA_DIR: dataDir,
    SECRET_KEY: e.SECRET_KEY ?? devSecret(dataDir),
    PUBLIC_BASE_URL: (e.PUBLIC_BASE_URL ?? `http://${publicHost}:${e.PORT}`).replace(/\/+$/, ''),
    isProduction,
  });
}
