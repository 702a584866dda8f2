import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { vi } from 'vitest';
import { createLogger, maskUrl, requestLoggerFactory } from './logger.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('createLogger', () => {
  it('prints one readable line per entry in development', () => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'development' }, out.stream);
    log
      .child({ reqId: 'abc-123' })
      .info({ method: 'GET', url: '/books', statusCode: 200, responseTime: 1.5 }, 'GET /books 200 1.5ms');
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/books 200 1\.5ms \{"reqId":"abc-123"\}$/,
    );
  });

  it('prints JSON lines in production and test', () => {
    for (const NODE_ENV of ['production', 'test'] as const) {
      const out = capture();
      createLogger({ LOG_LEVEL: 'info', NODE_ENV }, out.stream).warn({ a: 1 }, 'hello');
      expect(JSON.parse(out.text())).toMatchObject({ level: 40, a: 1, msg: 'hello' });
    }
  });

  it('masks stream tickets and tokens in URLs', () => {
    expect(maskUrl('/notifications/stream?ticket=abc&x=1')).toBe(
      '/notifications/stream?ticket=[REDACTED]&x=1',
    );
    expect(maskUrl('/a?x=1&token=t')).toBe('/a?x=1&token=[REDACTED]');
  });
});

describe('requestLoggerFactory', () => {
  it('writes with the request binding, and makes the pino child only when something is logged', () => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'warn', NODE_ENV: 'production' }, out.stream);
    const child = vi.spyOn(log, 'child');
    const request = requestLoggerFactory(log, { reqId: 'r-1' }, {});
    request.info('not written');
    request.debug({ a: 1 }, 'not written either');
    expect(child).not.toHaveBeenCalled();
    expect(request.level).toBe('warn');
    request.warn({ a: 2 }, 'written %s', 'once');
    expect(child).toHaveBeenCalledTimes(1);
    request.error(new Error('boom'));
    expect(child).toHaveBeenCalledTimes(1);
    const lines = out
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, reqId: 'r-1', a: 2, msg: 'written once' });
    expect(lines[1]).toMatchObject({ level: 50, reqId: 'r-1', err: { message: 'boom' } });
  });

  it('passes level changes and grandchildren to the real child', () => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'warn', NODE_ENV: 'production' }, out.stream);
    const request = requestLoggerFactory(log, { reqId: 'r-2' }, {});
    request.level = 'info';
    request.info('now written');
    request.child({ job: 'x' }).info('with both bindings');
    expect(log.level).toBe('warn');
    const lines = out
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'r-2', msg: 'now written' }),
      expect.objectContaining({ reqId: 'r-2', job: 'x', msg: 'with both bindings' }),
    ]);
  });

  it("makes pino's child at once for a route with its own log level", () => {
    const log = createLogger({ LOG_LEVEL: 'warn', NODE_ENV: 'production' });
    const request = requestLoggerFactory(log, { reqId: 'r-3' }, { level: 'debug' });
    expect(request.level).toBe('debug');
    expect((request as unknown as Logger).isLevelEnabled('debug')).toBe(true);
  });
});
