import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { purgeExpiredEmailTokens } from './auth.jobs.js';
import { createUser, PASSWORD, startTestWorker, uniqueEmail } from '../../../test/helpers.js';
import { useMailTestApp } from '../../../test/mail.js';
import type { ReceivedMail } from '../../../test/smtp-sink.js';

const STORE_URL = 'http://store.test.local';
const HOUR_MS = 60 * 60 * 1000;
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

const t = useMailTestApp({
  env: {
    STORE_URL,
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    REGISTER_RATE_LIMIT_PER_HOUR: '10000',
    ACCOUNT_EMAIL_RATE_LIMIT_PER_HOUR: '10000',
  },
  deps: { clock },
  worker: { concurrency: 2, pollInterval: 50 },
});
beforeEach(() => {
  clock.offsetMs = 0;
});

const post = (url: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, payload });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The next message to `to` (waits for the worker), and the token of its link to `${STORE_URL}${page}`. */
async function mailTo(to: string, page: string): Promise<{ mail: ReceivedMail; token: string }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mail = t.sink.received.find((m) => m.envelopeTo.includes(to) && m.parsed.text?.includes(page));
    if (mail) {
      t.sink.received.splice(t.sink.received.indexOf(mail), 1);
      const match = new RegExp(`${STORE_URL}${page}\\?token=([A-Za-z0-9_-]+)`).exec(mail.parsed.text ?? '');
      expect(match).not.toBeNull();
      return { mail, token: match![1]! };
    }
    if (Date.now() > deadline) throw new Error(`no e-mail to ${to} with ${page}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lets the worker finish what is queued, then says how many messages went to `to`. */
async function settledCountTo(to: string): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pending = await t.deps.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier IN ('verify-email', 'password-reset-email')`,
    );
    if (pending.rows[0]!.n === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return t.sink.received.filter((m) => m.envelopeTo.includes(to)).length;
}

async function userRow(email: string) {
  const rows = await t.deps.db.execute<{
    id: number;
    email_verified_at: Date | null;
    hashed_password: string | null;
  }>(sql`SELECT id, email_verified_at, hashed_password FROM users WHERE email = ${email}`);
  return rows.rows[0]!;
}

describe('e-mail verification', () => {
  it('sends a verification link on registration; the link verifies the address once', async () => {
    const email = uniqueEmail('verify');
    const registered = await post('/auth/register', { email, password: PASSWORD });
    // The contract's answer is unchanged: 201 with a token pair.
    expect(registered.statusCode).toBe(201);
    expect(Object.keys(registered.json()).sort()).toEqual(['access_token', 'refresh_token', 'token_type']);
    expect((await userRow(email)).email_verified_at).toBeNull();
    // Login works before verification, as the contract says.
    expect((await post('/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);

    const { mail, token } = await mailTo(email, '/verify-email');
    expect(mail.parsed.subject).toBe('Confirm your e-mail address');
    expect(mail.parsed.html).toContain(`${STORE_URL}/verify-email?token=${token}`);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    // Only the SHA-256 of the token is stored.
    const stored = await t.deps.db.execute<{ token_hash: string; purpose: string }>(
      sql`SELECT token_hash, purpose FROM email_tokens WHERE user_id = ${(await userRow(email)).id}`,
    );
    expect(stored.rows).toEqual([{ token_hash: sha256(token), purpose: 'verify_email' }]);

    const ok = await post('/auth/verify-email', { token });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ detail: 'Email address verified' });
    expect((await userRow(email)).email_verified_at).not.toBeNull();

    const again = await post('/auth/verify-email', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({
      detail: 'Invalid or expired verification link',
      code: 'AUTH_VERIFY_TOKEN_INVALID',
      field: 'token',
    });
  });

  it('refuses an expired or unknown verification token', async () => {
    const email = uniqueEmail('verify-expired');
    expect((await post('/auth/register', { email, password: PASSWORD })).statusCode).toBe(201);
    const { token } = await mailTo(email, '/verify-email');
    clock.offsetMs = 48 * HOUR_MS + 1000;
    expect((await post('/auth/verify-email', { token })).json().code).toBe('AUTH_VERIFY_TOKEN_INVALID');
    expect((await post('/auth/verify-email', { token: 'x'.repeat(43) })).statusCode).toBe(400);
    expect((await post('/auth/verify-email', {})).statusCode).toBe(422);
    expect((await userRow(email)).email_verified_at).toBeNull();
  });

  it('resends to an unverified account only, with the same answer for every address', async () => {
    const unverified = (await createUser(t, { email: uniqueEmail('resend') })).email;
    const verified = (await createUser(t, { email: uniqueEmail('resend-verified') })).email;
    await t.deps.db.execute(sql`UPDATE users SET email_verified_at = now() WHERE email = ${verified}`);
    const answers = [];
    for (const email of [unverified, verified, uniqueEmail('nobody')]) {
      const res = await post('/auth/verify-email/resend', { email });
      expect(res.statusCode).toBe(202);
      answers.push(res.body);
    }
    expect(new Set(answers).size).toBe(1);
    const { token } = await mailTo(unverified, '/verify-email');
    expect((await post('/auth/verify-email', { token })).statusCode).toBe(200);
    expect(await settledCountTo(verified)).toBe(0);
  });

  it('sends at most 3 account e-mails per address and hour, whoever asks', async () => {
    const email = (await createUser(t, { email: uniqueEmail('bombed') })).email;
    for (let i = 0; i < 5; i++)
      expect((await post('/auth/verify-email/resend', { email })).statusCode).toBe(202);
    expect(await settledCountTo(email)).toBe(3);
  });
});

describe('password reset', () => {
  it('answers the same 202 for an existing and an unknown address, doing the same work for both', async () => {
    const existing = (await createUser(t, { email: uniqueEmail('reset-same') })).email;
    const unknown = uniqueEmail('reset-unknown');
    const jobs = async () =>
      (
        await t.deps.db.execute<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE task_id =
                (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'password-reset-email')`,
        )
      ).rows[0]!.n;
    // Hold the worker's hands off the jobs: the request path alone is compared.
    await t.worker!.stop();
    try {
      const before = await jobs();
      const a = await post('/auth/password-reset', { email: existing });
      const afterExisting = await jobs();
      const b = await post('/auth/password-reset', { email: unknown });
      const afterUnknown = await jobs();
      expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
      expect(a.body).toBe(b.body);
      expect(a.json()).toEqual({
        detail: 'If an account exists for this address, an e-mail with a password reset link is on its way.',
      });
      // One job each: whether the account exists is only looked at when the job runs.
      expect([afterExisting - before, afterUnknown - afterExisting]).toEqual([1, 1]);
    } finally {
      t.worker = await startTestWorker(t, { concurrency: 2, pollInterval: 50 });
    }
    await mailTo(existing, '/reset-password');
    expect(await settledCountTo(unknown)).toBe(0);
  });

  it('sets the new password once, ends every session, supersedes other links and verifies the address', async () => {
    const email = uniqueEmail('reset');
    const registered = await post('/auth/register', { email, password: PASSWORD });
    const session = registered.json<{ refresh_token: string }>().refresh_token;
    const other = (await post('/auth/login', { email, password: PASSWORD })).json<{ refresh_token: string }>()
      .refresh_token;

    expect((await post('/auth/password-reset', { email })).statusCode).toBe(202);
    const first = (await mailTo(email, '/reset-password')).token;
    expect((await post('/auth/password-reset', { email })).statusCode).toBe(202);
    const { mail, token } = await mailTo(email, '/reset-password');
    expect(mail.parsed.subject).toBe('Reset your Bookstore password');
    expect(token).not.toBe(first);

    const tooShort = await post('/auth/password-reset/confirm', { token, password: 'short' });
    expect(tooShort.statusCode).toBe(422);
    const res = await post('/auth/password-reset/confirm', { token, password: 'a brand new password' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ detail: 'Password changed; please log in again' });

    expect((await post('/auth/login', { email, password: PASSWORD })).statusCode).toBe(401);
    expect((await post('/auth/login', { email, password: 'a brand new password' })).statusCode).toBe(200);
    for (const refreshToken of [session, other]) {
      expect((await post('/auth/refresh', { refresh_token: refreshToken })).statusCode).toBe(401);
    }
    expect((await userRow(email)).email_verified_at).not.toBeNull();

    for (const used of [token, first]) {
      const again = await post('/auth/password-reset/confirm', {
        token: used,
        password: 'yet another password',
      });
      expect(again.statusCode).toBe(400);
      expect(again.json()).toEqual({
        detail: 'Invalid or expired password reset link',
        code: 'AUTH_RESET_TOKEN_INVALID',
        field: 'token',
      });
    }
  });

  it('refuses a reset link after one hour', async () => {
    const email = (await createUser(t, { email: uniqueEmail('reset-expired') })).email;
    await post('/auth/password-reset', { email });
    const { token } = await mailTo(email, '/reset-password');
    clock.offsetMs = HOUR_MS + 1000;
    const res = await post('/auth/password-reset/confirm', { token, password: 'a brand new password' });
    expect(res.json().code).toBe('AUTH_RESET_TOKEN_INVALID');
    clock.offsetMs = 0;
    expect((await post('/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);
  });

  it('gives a single winner when the same link is used twice at once', async () => {
    const email = (await createUser(t, { email: uniqueEmail('reset-race') })).email;
    await post('/auth/password-reset', { email });
    const { token } = await mailTo(email, '/reset-password');
    const results = await Promise.all(
      ['first password 1', 'second password 2', 'third password 3'].map((password) =>
        post('/auth/password-reset/confirm', { token, password }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400, 400]);
  });
});

describe('link tokens', () => {
  it('are deleted a day after they expired, used or not', async () => {
    const user = await createUser(t);
    const now = new Date();
    const at = (hours: number) => new Date(now.getTime() + hours * HOUR_MS).toISOString();
    await t.deps.db.execute(sql`
      INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at, used_at) VALUES
        (${user.id}, 'verify_email', ${sha256('old-unused')}, ${at(-25)}, NULL),
        (${user.id}, 'password_reset', ${sha256('old-used')}, ${at(-30)}, ${at(-31)}),
        (${user.id}, 'password_reset', ${sha256('recently-expired')}, ${at(-2)}, NULL),
        (${user.id}, 'verify_email', ${sha256('live')}, ${at(20)}, NULL)`);
    expect(await purgeExpiredEmailTokens(t.deps.db, now)).toBe(2);
    const left = await t.deps.db.execute<{ token_hash: string }>(
      sql`SELECT token_hash FROM email_tokens WHERE user_id = ${user.id} ORDER BY id`,
    );
    expect(left.rows.map((r) => r.token_hash)).toEqual([sha256('recently-expired'), sha256('live')]);
  });
});

describe('documentation', () => {
  it('lists the account e-mail endpoints in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { post?: { responses: Record<string, unknown> } }>;
    }>();
    expect(doc.paths['/auth/verify-email']?.post?.responses['200']).toBeDefined();
    expect(doc.paths['/auth/verify-email/resend']?.post?.responses['202']).toBeDefined();
    expect(doc.paths['/auth/password-reset']?.post?.responses['202']).toBeDefined();
    expect(doc.paths['/auth/password-reset/confirm']?.post?.responses['200']).toBeDefined();
  });
});
