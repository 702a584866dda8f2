import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * Jobs of a dead worker, released in seconds rather than after graphile-worker's 4-hour lock expiry, without an
 * e-mail ever being sent by two workers at once.
 *
 * - **Heartbeat.** Each worker pool has a row in worker_heartbeats keyed by its graphile-worker id (the
 *   `locked_by` of its jobs), refreshed every `intervalMs` by a timer of its own — not by the jobs, so a job that
 *   takes an hour (a stalled relay, a huge batch) does not make its live process look dead.
 * - **Sweeper.** Every worker process, every 2 × `intervalMs`, runs one statement: delete the heartbeats older
 *   than `timeoutMs` (database clock on both sides), delete those workers' e-mail claims and
 *   `force_unlock_workers` their jobs and queues; also locks and claims older than `timeoutMs` whose worker has
 *   no heartbeat at all (it died before its first one). Several sweepers at once are safe: a heartbeat row is
 *   deleted by one of them, and unlocking is idempotent. A dead worker's jobs are free at most
 *   `timeoutMs` + 2 × `intervalMs` after its last heartbeat (90 s by default), and run again at once.
 * - **Lease (self-fencing).** A process that cannot refresh its heartbeat (database unreachable, event loop
 *   blocked) may be declared dead while it still runs. It therefore starts no new send once `timeoutMs / 2` have
 *   passed since the start of its last successful refresh (its own monotonic clock): the sweeper needs
 *   `timeoutMs` past the refresh's commit, so the sends already under way have `timeoutMs / 2` (30 s, the
 *   transport's socket timeout) to end first. A refresh that finds its row gone (declared dead) stops the pool.
 * - **Claims.** Every send is guarded by a row in email_claims (cause → worker id), inserted before the message
 *   leaves and checked against the ledger after it is committed (src/emails/delivery.ts): a job run twice at
 *   once — unlocked by an operator, a lock expiry, or a dead-worker sweep — sends a cause only from the one run
 *   whose claim was inserted. A claim is freed only after its cause is recorded, by its worker's clean stop, or
 *   by the sweep that declares its worker dead.
 */
export interface LivenessOptions {
  intervalMs: number;
  timeoutMs: number;
}

export const DEFAULT_LIVENESS: LivenessOptions = { intervalMs: 15_000, timeoutMs: 60_000 };

/** What the e-mail delivery of a job needs to know about the worker running it. */
export interface DeliveryGuard {
  workerId: string;
  /** False once this process might be considered dead by the others: start no new send. */
  mayDeliver(): boolean;
}

/**
 * The guard of each running job, keyed by the job's helpers object (graphile-worker makes one per job run). Not an
 * AsyncLocalStorage: on Node 20 the first run() installs a promise hook for the whole process, which then taxes every
 * promise of an API process with an in-process worker (~1-2 µs per catalog read).
 */
const guards = new WeakMap<object, DeliveryGuard>();

/** Gives a job run (its helpers) its worker's delivery guard, read back by deliveryGuardOf. */
export function attachDeliveryGuard(helpers: object, guard: DeliveryGuard): void {
  guards.set(helpers, guard);
}

/** The guard of a job run, or undefined outside a worker (a handler called directly, in tests). */
export function deliveryGuardOf(helpers: object | undefined): DeliveryGuard | undefined {
  return helpers === undefined ? undefined : guards.get(helpers);
}

const SWEEP_SQL = `
  WITH dead AS (
    DELETE FROM worker_heartbeats WHERE seen_at < now() - $1 * interval '1 millisecond' RETURNING worker_id
  ), orphans AS (
    SELECT locked_by AS worker_id FROM graphile_worker._private_jobs j
    WHERE locked_by IS NOT NULL AND locked_at < now() - $1 * interval '1 millisecond'
      AND NOT EXISTS (SELECT 1 FROM worker_heartbeats h WHERE h.worker_id = j.locked_by)
    UNION
    SELECT locked_by FROM graphile_worker._private_job_queues q
    WHERE locked_by IS NOT NULL AND locked_at < now() - $1 * interval '1 millisecond'
      AND NOT EXISTS (SELECT 1 FROM worker_heartbeats h WHERE h.worker_id = q.locked_by)
    UNION
    SELECT worker_id FROM email_claims c
    WHERE claimed_at < now() - $1 * interval '1 millisecond'
      AND NOT EXISTS (SELECT 1 FROM worker_heartbeats h WHERE h.worker_id = c.worker_id)
  ), gone AS (
    SELECT worker_id FROM dead UNION SELECT worker_id FROM orphans
  ), unclaimed AS (
    DELETE FROM email_claims WHERE worker_id IN (SELECT worker_id FROM gone) RETURNING 1
  )
  SELECT coalesce(array_agg(worker_id), '{}') AS ids,
         graphile_worker.force_unlock_workers(coalesce(array_agg(worker_id), '{}')),
         (SELECT count(*) FROM unclaimed)::int AS claims
  FROM gone`;

/**
 * Unlocks the jobs, queues and e-mail claims of every worker whose heartbeat is older than `timeoutMs` (or that
 * never had one and has held its locks that long). Returns the workers it declared dead.
 */
export async function sweepDeadWorkers(
  pool: pg.Pool,
  timeoutMs: number,
): Promise<{ workerIds: string[]; claims: number }> {
  const result = await pool.query<{ ids: string[]; claims: number }>(SWEEP_SQL, [timeoutMs]);
  const row = result.rows[0];
  return { workerIds: row?.ids ?? [], claims: row?.claims ?? 0 };
}

export interface Liveness {
  /** Writes the first heartbeat of the pool and starts the heartbeat and sweep timers. */
  register(workerId: string): Promise<void>;
  guard: DeliveryGuard;
  /**
   * Stops the timers. `clean` (every job finished or was handed back): the heartbeat row and the pool's claims
   * are deleted at once. Otherwise (jobs force-released while their sends may still be under way) they are left
   * to expire, so that nobody else sends those causes before this process is surely gone.
   */
  stop(opts: { clean: boolean }): Promise<void>;
}

export function createLiveness(
  pool: pg.Pool,
  log: Logger,
  opts: LivenessOptions & { onDeclaredDead: () => void },
): Liveness {
  let workerId = '';
  let leaseFrom = Number.NEGATIVE_INFINITY;
  let fenced = false;
  let beating = false;
  let sweeping = false;
  const timers: NodeJS.Timeout[] = [];

  const beat = async () => {
    if (beating || fenced) return;
    beating = true;
    const started = performance.now();
    try {
      const result = await pool.query(
        'UPDATE worker_heartbeats SET seen_at = now() WHERE worker_id = $1 RETURNING worker_id',
        [workerId],
      );
      if (result.rowCount === 0) {
        fenced = true;
        log.error({ workerId }, 'this worker was declared dead by another (heartbeat missed): stopping it');
        opts.onDeclaredDead();
      } else leaseFrom = started;
    } catch (err) {
      log.warn({ err, workerId }, 'worker heartbeat failed');
    } finally {
      beating = false;
    }
  };
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      const { workerIds, claims } = await sweepDeadWorkers(pool, opts.timeoutMs);
      if (workerIds.length > 0)
        log.warn({ workerIds, claims }, 'released the jobs of workers without a heartbeat');
    } catch (err) {
      log.warn({ err }, 'sweep for dead workers failed');
    } finally {
      sweeping = false;
    }
  };

  return {
    async register(id) {
      workerId = id;
      const started = performance.now();
      await pool.query(
        `INSERT INTO worker_heartbeats (worker_id, host, pid) VALUES ($1, $2, $3)
         ON CONFLICT (worker_id) DO UPDATE SET seen_at = now()`,
        [id, hostname().slice(0, 255), process.pid],
      );
      leaseFrom = started;
      timers.push(setInterval(() => void beat(), opts.intervalMs).unref());
      timers.push(setInterval(() => void sweep(), 2 * opts.intervalMs).unref());
      void sweep();
    },
    guard: {
      get workerId() {
        return workerId;
      },
      mayDeliver: () => !fenced && performance.now() - leaseFrom < opts.timeoutMs / 2,
    },
    async stop({ clean }) {
      for (const t of timers.splice(0)) clearInterval(t);
      if (!clean || !workerId || fenced) return;
      await pool.query(
        `WITH c AS (DELETE FROM email_claims WHERE worker_id = $1)
         DELETE FROM worker_heartbeats WHERE worker_id = $1`,
        [workerId],
      );
    },
  };
}
