import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/helpers.js';

const t = useTestApp({
  env: {
    HTTP_REQUEST_TIMEOUT_MS: '1500',
    HTTP_HEADERS_TIMEOUT_MS: '800',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
    HTTP_IDLE_TIMEOUT_MS: '3000',
    HTTP_MAX_CONNECTIONS: '5',
  },
});
let port: number;
beforeAll(async () => {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});

/** Opens a socket, runs `script` on it, and resolves with what the server sent and when it closed it. */
function session(script: (socket: net.Socket) => void): Promise<{ data: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => script(socket));
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('close', () => resolve({ data, closedAfterMs: Date.now() - started }));
    socket.on('error', () => {}); // a reset after the server gave up is a close too
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`socket still open after 10 s; received ${JSON.stringify(data)}`));
    }, 10_000);
  });
}

describe('HTTP server timeouts', () => {
  it('cuts a request whose body stalls after the headers (408) within the request timeout', async () => {
    const { data, closedAfterMs } = await session((s) => {
      s.write(
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"em',
      );
    });
    expect(data.split('\r\n', 1)[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(closedAfterMs).toBeGreaterThanOrEqual(1400);
    expect(closedAfterMs).toBeLessThan(4000);
  });

  it('cuts a body trickled one byte at a time', async () => {
    let timer: NodeJS.Timeout | undefined;
    const result = await session((s) => {
      s.write(
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
      timer = setInterval(() => s.writable && s.write(' '), 100);
    });
    clearInterval(timer);
    expect(result.data.split('\r\n', 1)[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(result.closedAfterMs).toBeLessThan(4000);
  });

  it('cuts a client that never finishes its headers (slowloris) within the headers timeout', async () => {
    let timer: NodeJS.Timeout | undefined;
    const { data, closedAfterMs } = await session((s) => {
      s.write('GET /health HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => s.writable && s.write('X-a: b\r\n'), 100);
    });
    clearInterval(timer);
    expect(data.split('\r\n', 1)[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(closedAfterMs).toBeLessThan(3000);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { data, closedAfterMs } = await session((s) => {
      s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(data.split('\r\n', 1)[0]).toBe('HTTP/1.1 200 OK');
    expect(closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(closedAfterMs).toBeLessThan(3000);
  });

  it('refuses connections beyond the connection cap', async () => {
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        await new Promise((r) => s.once('connect', r));
        s.write('GET /health HTTP/1.1\r\nHost: x\r\n'); // an unfinished request keeps the connection busy
        held.push(s);
      }
      await new Promise((r) => setTimeout(r, 100));
      const extra = await session((s) => s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
      expect(extra.data).toBe('');
      expect(extra.closedAfterMs).toBeLessThan(1000);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
