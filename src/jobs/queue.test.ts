import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/helpers.js';
import { addJob, releaseAllJobLocks, startWorker } from './queue.js';

const t = useTestApp();

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('the job queue', () => {
  it('runs a job only if the transaction that added it commits', async () => {
    const ran: string[] = [];
    await t.deps.db.transaction(async (tx) => {
      await addJob(tx, 'queue-test', { name: 'committed' }, { jobKey: 'queue-test:committed' });
    });
    await t.deps.db
      .transaction(async (tx) => {
        await addJob(tx, 'queue-test', { name: 'rolled-back' }, { jobKey: 'queue-test:rolled-back' });
        throw new Error('roll back');
      })
      .catch(() => {});
    const runner = await startWorker(
      t.deps.pool,
      { 'queue-test': async (payload) => void ran.push((payload as { name: string }).name) },
      t.deps.log,
      { concurrency: 1, pollInterval: 50 },
    );
    try {
      expect(await waitFor(() => ran.length > 0, 5000)).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(ran).toEqual(['committed']);
    } finally {
      await runner.stop();
    }
  });

  it('releases jobs left locked by a crashed worker so that they run without waiting for the lock timeout', async () => {
    const ran: string[] = [];
    await t.deps.db.transaction(async (tx) => {
      await addJob(tx, 'queue-test-crash', { name: 'orphan' }, { jobKey: 'queue-test:orphan' });
    });
    // What a worker killed mid-job leaves behind.
    await t.deps.pool.query(
      `UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'worker-that-crashed'
        WHERE key = 'queue-test:orphan'`,
    );
    const runner = await startWorker(
      t.deps.pool,
      { 'queue-test-crash': async (payload) => void ran.push((payload as { name: string }).name) },
      t.deps.log,
      { concurrency: 1, pollInterval: 50 },
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(ran).toEqual([]); // still held by the dead worker's lock
      expect(await releaseAllJobLocks(t.deps.pool)).toBe(1);
      expect(await waitFor(() => ran.length > 0, 5000)).toBe(true);
      expect(ran).toEqual(['orphan']);
    } finally {
      await runner.stop();
    }
  });
});
