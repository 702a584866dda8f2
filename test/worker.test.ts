import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBook, createUser } from './helpers.js';
import { useMailTestApp } from './mail.js';
import { spawnEntry } from './processes.js';

// The API with WORKER=off only enqueues; `npm run worker` (src/worker.ts) delivers, as a process of its own.
const t = useMailTestApp({ env: { WORKER: 'off' }, worker: false });

describe('the separate worker process', () => {
  it('delivers the e-mails the API enqueued, and stops cleanly on SIGTERM', async () => {
    const buyer = await createUser(t);
    const book = await createBook(t, { stock: 3, title: 'Worker Process Book' });
    const json = { 'content-type': 'application/json', ...buyer.auth };
    await t.app.inject({ method: 'POST', url: '/cart/items', headers: json, payload: { book_id: book.id } });
    const checkout = await t.app.inject({
      method: 'POST',
      url: '/orders/checkout',
      headers: json,
      payload: {},
    });
    expect(checkout.statusCode).toBe(201);

    const { child, exited, output } = spawnEntry('src/worker.ts', {
      ...process.env,
      DATABASE_URL: t.databaseUrl,
      SMTP_URL: t.sink.url,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-worker-test-')),
      LOG_LEVEL: 'info',
    });
    try {
      const [mail] = await t.sink.waitFor(1, 30_000);
      expect(mail!.envelopeTo).toEqual([buyer.email]);
      expect(mail!.parsed.subject).toBe('Your Bookstore order is confirmed');
      expect(mail!.parsed.text).toContain('Worker Process Book');
      child.kill('SIGTERM');
      const { code } = await exited;
      if (code !== 0) console.error(output());
      expect(code).toBe(0);
      expect(output()).toContain('worker started');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
