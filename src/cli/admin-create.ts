import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { destination, pino } from 'pino';
import { createDb, createPool } from '../db/client.js';
import { openDatabase, runningEmbeddedUrl, type Database } from '../db/database.js';
import { migrateDatabase } from '../db/migrate.js';
import { configFromEnvironment } from '../lib/env.js';
import { CliError, parseCommandLine, runCommand } from './args.js';
import { normalizeEmail } from '../modules/auth/auth.email.js';
import { ensureAdmin } from '../modules/auth/auth.service.js';

/**
 * npm run admin:create -- --email <e> --password <p>
 * Creates an admin account, or promotes an existing account to admin. Prints one line; exit 0 on success.
 */

const USAGE = 'usage: npm run admin:create -- --email <address> --password <password>';

async function ask(question: string, hidden: boolean): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stdout.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    process.stdout.write(question);
    muted = hidden;
    return await rl.question('');
  } finally {
    muted = false;
    if (hidden) process.stdout.write('\n');
    rl.close();
  }
}

async function valueOf(given: string | undefined, flag: string, question: string, hidden: boolean) {
  if (given !== undefined) return given;
  if (!process.stdin.isTTY) throw new CliError(`--${flag} is required (${USAGE})`);
  return ask(question, hidden);
}

async function connect(): Promise<Database> {
  const config = configFromEnvironment();
  const log = pino({ level: 'warn' }, destination(2));
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => {} };
  const running = runningEmbeddedUrl(config);
  if (running) return { url: running, stop: async () => {} };
  return openDatabase(config, log);
}

async function main(): Promise<string> {
  const args = parseCommandLine({
    command: 'npm run admin:create',
    usage: `${USAGE}

Creates an admin account, or promotes an existing account (matched regardless of case) to admin, keeping its
password. In a terminal, prompts for what is missing (the password without echo). Prints one line.
Database: DATABASE_URL; unset, the running API's embedded database in DATA_DIR, or an embedded one of its own.`,
    options: { email: { type: 'string' }, password: { type: 'string' } },
  }).values;

  const rawEmail = (await valueOf(args.email, 'email', 'Admin email: ', false)).trim();
  if (rawEmail === '') throw new CliError('the e-mail address is empty');
  const email = normalizeEmail(rawEmail);
  if (!email.ok) throw new CliError(`not a valid e-mail address: ${email.reason}`);

  const password = async () => {
    const value = await valueOf(args.password, 'password', 'Admin password: ', true);
    if (value.length < 8) throw new CliError('the password must be at least 8 characters');
    if (value.length > 256) throw new CliError('the password must be at most 256 characters');
    return value;
  };

  const database = await connect();
  const pool = createPool(database.url, 2);
  try {
    await migrateDatabase(database.url);
    const { outcome, user } = await ensureAdmin(createDb(pool), email.email, password);
    const who = `${user.email} (id=${user.id})`;
    const inactive = user.isActive ? '' : '; the account is deactivated';
    if (outcome === 'created') return `Admin created: ${who}`;
    if (outcome === 'promoted') return `Promoted to admin: ${who}, password unchanged${inactive}`;
    return `Already an admin: ${who}${inactive}`;
  } finally {
    await pool.end();
    await database.stop();
  }
}

await runCommand(async () => {
  console.log(await main());
});
