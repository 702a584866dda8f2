import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createUser, PASSWORD, TEST_SECRET, uniqueEmail, useTestApp } from '../../test/helpers.js';

const t = useTestApp();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function adminCreate(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.resolve('src/cli/admin-create.ts'), ...args],
      {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          SECRET_KEY: TEST_SECRET,
          DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-cli-')),
          DATABASE_URL: t.databaseUrl,
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const login = (email: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });

async function roleOf(email: string) {
  const rows = await t.deps.db.execute<{ role: string }>(
    sql`SELECT role FROM users WHERE lower(email) = lower(${email})`,
  );
  return rows.rows.map((r) => r.role);
}

describe('npm run admin:create', () => {
  it('creates an admin account that can log in with an admin token, and prints one line', async () => {
    const email = uniqueEmail('admin');
    const run = await adminCreate(['--email', email, '--password', 'admin-password-1']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toMatch(
      new RegExp(`^Admin created: ${email.replace(/[.+]/g, '\\$&')} \\(id=\\d+\\)\\n$`),
    );
    const res = await login(email, 'admin-password-1');
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json<{ access_token: string }>().access_token).role).toBe('admin');
  });

  it('promotes an existing account matched regardless of case, keeping its password', async () => {
    const user = await createUser(t);
    const run = await adminCreate([`--email=${user.email.toUpperCase()}`, '--password', 'ignored-password']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Promoted to admin: .* \(id=\d+\), password unchanged\n$/);
    expect(await roleOf(user.email)).toEqual(['admin']);
    expect((await login(user.email, PASSWORD)).statusCode).toBe(200);
  });

  it('promotes an existing account without asking for a password', async () => {
    const user = await createUser(t);
    const run = await adminCreate(['--email', user.email]);
    expect(run.code).toBe(0);
    expect(await roleOf(user.email)).toEqual(['admin']);
  });

  it('reports an account that is already an admin and succeeds', async () => {
    const user = await createUser(t, { role: 'admin' });
    const run = await adminCreate(['--email', user.email]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Already an admin: /);
  });

  it('refuses a short password with a one-line reason and creates nothing', async () => {
    const email = uniqueEmail('admin');
    const run = await adminCreate(['--email', email, '--password', 'short']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toBe('Error: the password must be at least 8 characters\n');
    expect(await roleOf(email)).toEqual([]);
  });

  it('refuses an invalid e-mail address', async () => {
    const run = await adminCreate(['--email', 'admin@localhost', '--password', 'admin-password-1']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^Error: not a valid e-mail address: .*\n$/);
  });

  it('fails with a one-line reason when a value is missing and stdin is not a terminal', async () => {
    const run = await adminCreate(['--password', 'admin-password-1']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^Error: --email is required \(usage: .*\)\n$/);
    const noPassword = await adminCreate(['--email', uniqueEmail('admin')]);
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toMatch(/^Error: --password is required/);
  });

  it('fails with a one-line reason when the database cannot be reached', async () => {
    const run = await adminCreate(['--email', uniqueEmail('admin'), '--password', 'admin-password-1'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^Error: cannot reach the database .*\n$/);
  });
});
