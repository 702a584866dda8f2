import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/helpers.js';
import { createLiveness, sweepDeadWorkers } from './liveness.js';
import { addJob, startWorker } from './queue.js';

const t = useTestApp();

const rows = async <T>(query: ReturnType<typeof sql>) =>
  (await t.deps.db.execute<T & Record<string, unknown>>(query)).rows;

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('worker liveness', () => {
  it('unlocks the jobs and claims of a worker whose heartbeat is stale, or that never had one, and no others', async () => {
    await t.deps.db.transaction(async (tx) => {
      for (const name of ['stale', 'fresh', 'orphan', 'young-orphan'])
        await addJob(tx, 'liveness-test', { name }, { jobKey: `liveness-test:${name}` });
    });
    await t.deps.db.execute(sql`
      UPDATE graphile_worker._private_jobs j
      SET locked_by = 'pool-' || (SELECT key FROM graphile_worker._private_jobs k WHERE k.id = j.id),
          locked_at = CASE WHEN key = 'liveness-test:young-orphan' THEN now() ELSE now() - interval '10 minutes' END
      WHERE key LIKE 'liveness-test:%'`);
    await t.deps.db.execute(sql`
      INSERT INTO worker_heartbeats (worker_id, host, pid, seen_at) VALUES
        ('pool-liveness-test:stale', 'h', 1, now() - interval '61 seconds'),
        ('pool-liveness-test:fresh', 'h', 2, now() - interval '30 seconds')`);
    await t.deps.db.execute(sql`
      INSERT INTO email_claims (cause, worker_id) VALUES
        ('liveness:a', 'pool-liveness-test:stale'), ('liveness:b', 'pool-liveness-test:fresh')`);

    const swept = await sweepDeadWorkers(t.deps.pool, 60_000);
    expect(swept.workerIds.sort()).toEqual(['pool-liveness-test:orphan', 'pool-liveness-test:stale']);
    expect(swept.claims).toBe(1);
    const locked = await rows<{ key: string }>(sql`
      SELECT key FROM graphile_worker._private_jobs WHERE key LIKE 'liveness-test:%' AND locked_by IS NOT NULL
      ORDER BY key`);
    expect(locked.map((r) => r.key)).toEqual(['liveness-test:fresh', 'liveness-test:young-orphan']);
    const claims = await rows<{ cause: string }>(
      sql`SELECT cause FROM email_claims WHERE cause LIKE 'liveness:%'`,
    );
    expect(claims.map((c) => c.cause)).toEqual(['liveness:b']);
    const heartbeats = await rows<{ id: string }>(sql`
      SELECT worker_id AS id FROM worker_heartbeats WHERE worker_id LIKE 'pool-liveness-test:%'`);
    expect(heartbeats.map((h) => h.id)).toEqual(['pool-liveness-test:fresh']);
    // A second sweeper at the same time finds nothing more to do.
    expect((await sweepDeadWorkers(t.deps.pool, 60_000)).workerIds).toEqual([]);
    await t.deps.db.execute(sql`DELETE FROM graphile_worker._private_jobs WHERE key LIKE 'liveness-test:%'`);
    await t.deps.db.execute(sql`DELETE FROM worker_heartbeats WHERE worker_id LIKE 'pool-liveness-test:%'`);
    await t.deps.db.execute(sql`DELETE FROM email_claims WHERE cause LIKE 'liveness:%'`);
  });

  it('stops sending once its heartbeat could not be refreshed for half the timeout', async () => {
    let failing = false;
    const pool = {
      query: (text: string, values?: unknown[]) =>
        failing ? Promise.reject(new Error('database unreachable')) : t.deps.pool.query(text, values),
    } as unknown as pg.Pool;
    const liveness = createLiveness(pool, pino({ level: 'silent' }), {
      intervalMs: 200,
      timeoutMs: 3_000,
      onDeclaredDead: () => {},
    });
    await liveness.register('pool-liveness-test:lease');
    try {
      await new Promise((r) => setTimeout(r, 2_000)); // past the 1.5 s lease: refreshed every 200 ms
      expect(liveness.guard.mayDeliver()).toBe(true);
      failing = true;
      const failedAt = Date.now();
      await until('the lease to run out', () => !liveness.guard.mayDeliver(), 5_000);
      expect(Date.now() - failedAt).toBeLessThan(1_500 + 1_000);
      failing = false;
      await until('the lease to come back', () => liveness.guard.mayDeliver(), 5_000);
    } finally {
      await liveness.stop({ clean: true });
    }
  });

  it('keeps its heartbeat while a job runs for longer than the timeout, and stops when declared dead', async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => (release = r));
    await t.deps.db.transaction((tx) => addJob(tx, 'liveness-slow', {}, { jobKey: 'liveness-slow' }));
    const worker = await startWorker(t.deps.pool, { 'liveness-slow': () => blocked }, t.deps.log, {
      concurrency: 1,
      pollInterval: 50,
      liveness: { intervalMs: 200, timeoutMs: 1_500 },
    });
    try {
      const seen = async () =>
        (
          await rows<{ age: number }>(sql`
            SELECT (extract(epoch FROM now() - seen_at) * 1000)::float8 AS age FROM worker_heartbeats
            WHERE worker_id = ${worker.workerId}`)
        )[0]?.age;
      await new Promise((r) => setTimeout(r, 3_500)); // over two timeouts, the job still running
      expect(await seen()).toBeLessThan(1_500);
      expect((await sweepDeadWorkers(t.deps.pool, 1_500)).workerIds).toEqual([]);
      // Declared dead by someone else (its row deleted): the pool stops instead of working on unseen.
      await t.deps.db.execute(sql`DELETE FROM worker_heartbeats WHERE worker_id = ${worker.workerId}`);
      let stopped = false;
      void worker.promise.then(() => (stopped = true));
      await new Promise((r) => setTimeout(r, 500));
      release();
      await until('the worker to stop', () => stopped, 10_000);
    } finally {
      release();
      await worker.stop().catch(() => {});
    }
  });
});
