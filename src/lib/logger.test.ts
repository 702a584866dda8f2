import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskUrl } from './logger.js';

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
