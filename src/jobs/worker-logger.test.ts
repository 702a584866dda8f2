import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { markShuttingDown } from '../lib/shutting-down.js';
import { workerLogger } from './queue.js';

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as never);
      done();
    },
  });
  return { lines, log: pino({ level: 'trace' }, stream) };
}

const terminated = Object.assign(new Error('terminating connection due to administrator command'), {
  code: '57P01',
});

describe("graphile-worker's log lines", () => {
  afterEach(() => vi.useRealTimers());

  it('logs a connection the server ended as an error when no shutdown follows within the moment', async () => {
    vi.useFakeTimers();
    const { lines, log } = capture();
    const logger = workerLogger(log);
    logger.error('Listener connection error', { error: terminated });
    logger.error('Job failed', { error: new Error('boom') });
    await vi.advanceTimersByTimeAsync(0);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[50, 'Job failed']]);
    await vi.advanceTimersByTimeAsync(600);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'Job failed'],
      [50, 'Listener connection error'],
    ]);
  });

  it('logs it at info when the shutdown of the same Ctrl-C is marked a moment after the connection ended', async () => {
    vi.useFakeTimers();
    const { lines, log } = capture();
    const logger = workerLogger(log);
    logger.error('Listener connection error', { error: terminated });
    markShuttingDown();
    logger.error('Pool error', { error: terminated });
    await vi.advanceTimersByTimeAsync(600);
    expect(lines.map((l) => [l.level, l.msg]).sort()).toEqual([
      [30, 'Listener connection error (expected while shutting down)'],
      [30, 'Pool error (expected while shutting down)'],
    ]);
  });
});
