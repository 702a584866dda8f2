import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { useAdmin, useTestApp } from '../../../test/helpers.js';
import { MAX_IMAGE_BYTES } from './uploads.service.js';

const t = useTestApp();
const admin = useAdmin(t);
let base: string;

beforeAll(async () => {
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function send(size: number) {
  const bytes = Buffer.alloc(size, 0x41);
  PNG_HEAD.copy(bytes);
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/png' }), 'cover.png');
  return fetch(`${base}/uploads/images`, { method: 'POST', headers: admin.auth, body: form });
}

describe('uploads over a real connection', () => {
  it('stores exactly 5 MiB and serves it back', async () => {
    const res = await send(MAX_IMAGE_BYTES);
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    const served = await fetch(`${base}${new URL(url).pathname}`);
    expect(served.status).toBe(200);
    expect((await served.arrayBuffer()).byteLength).toBe(MAX_IMAGE_BYTES);
  });

  it('answers 413 to a larger file, with the body the client can read', async () => {
    const res = await send(MAX_IMAGE_BYTES * 3);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ detail: 'File too large. Max 5 MB.', code: 'HTTP_413' });
  });

  it('answers 404 to a raw path that climbs out of the folder, as sent on the wire', async () => {
    const { port } = new URL(base);
    for (const target of [
      '/uploads/../package.json',
      '/uploads/..%2Fpackage.json',
      '/uploads/%2e%2e/package.json',
      '/uploads/%2e%2e%2fpackage.json',
      '/uploads/..\\package.json',
    ]) {
      const raw = await rawGet(Number(port), target);
      expect(raw.split('\r\n', 1)[0], target).toBe('HTTP/1.1 404 Not Found');
      expect(raw.slice(raw.indexOf('\r\n\r\n') + 4), target).toBe('{"detail":"Not Found","code":"HTTP_404"}');
    }
  });
});

/** One GET with the request target written byte for byte (fetch would normalise the dots away). */
function rawGet(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      // write, not end: Node's HTTP server aborts the request of a client that half-closes its socket
      // (httpAllowHalfOpen is off) unless the answer is synchronous, and @fastify/static 10 checks the path on disk.
      socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}
