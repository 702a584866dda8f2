import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUser, useAdmin, useTestApp } from '../../../test/helpers.js';

const t = useTestApp();
const admin = useAdmin(t);
const mailboxDir = () => path.join(t.deps.config.DATA_DIR, 'mailbox');

interface Entry {
  id: string;
  to: string;
  subject: string;
}

const list = async (query = '') => {
  const res = await t.app.inject({ method: 'GET', url: `/dev/mailbox${query}`, headers: admin.auth });
  expect(res.statusCode).toBe(200);
  return res.json<{
    items: Entry[];
    total_count: number;
    page: number;
    per_page: number;
    total_pages: number;
  }>();
};

describe('GET /dev/mailbox', () => {
  it('pages through the messages newest first in the admin envelope', async () => {
    for (let i = 1; i <= 5; i++) {
      await t.deps.mailer.send({
        to: `reader${i}@example.com`,
        subject: `Message ${i}`,
        html: `<p>Message ${i} <a href="http://store.test.local/books/${i}">book</a></p>`,
        text: `Message ${i}`,
      });
      // Ids carry the millisecond: one apart, the order is the order of sending.
      await new Promise((r) => setTimeout(r, 2));
    }

    const first = await list('?per_page=2');
    expect(first).toMatchObject({ total_count: 5, page: 1, per_page: 2, total_pages: 3 });
    expect(first.items.map((e) => e.subject)).toEqual(['Message 5', 'Message 4']);
    expect(first.items[0]).toEqual({
      id: expect.stringMatching(/^\d{13}-[0-9a-f]{8}$/),
      to: 'reader5@example.com',
      subject: 'Message 5',
      date: expect.any(String),
      message_id: expect.any(String),
      links: ['http://store.test.local/books/5'],
    });
    expect((await list('?per_page=2&page=3')).items.map((e) => e.subject)).toEqual(['Message 1']);
    expect((await list('?per_page=2&page=4')).items).toEqual([]);
    expect((await list()).per_page).toBe(20);

    const view = await t.app.inject({
      method: 'GET',
      url: `/dev/mailbox/${first.items[1]!.id}`,
      headers: admin.auth,
    });
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('Message 4');

    const bad = await t.app.inject({ method: 'GET', url: '/dev/mailbox?per_page=101', headers: admin.auth });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0].loc).toEqual(['query', 'per_page']);
  });

  it('keeps the bodies out of the metadata the list reads, and still shows messages stored the old way', async () => {
    const names = await readdir(mailboxDir());
    const metadata = names.filter((n) => /^\d{13}-[0-9a-f]{8}\.json$/.test(n));
    expect(metadata.length).toBeGreaterThan(0);
    for (const n of metadata) expect(names).toContain(n.replace('.json', '.body.json'));

    const id = '0000000000001-0000beef';
    await writeFile(
      path.join(mailboxDir(), `${id}.json`),
      JSON.stringify({
        id,
        to: 'old@example.com',
        subject: 'Stored before the split',
        date: '2020-01-01T00:00:00.000Z',
        message_id: '<old@bookstore.local>',
        links: [],
        html: '<p>Old body <img src="cid:logo"></p>',
        text: 'Old body',
        inline: { logo: 'data:image/png;base64,AAAA' },
      }),
    );
    const last = await list(`?per_page=1&page=${metadata.length + 1}`);
    expect(last.total_count).toBe(metadata.length + 1);
    expect(last.items.map((e) => e.subject)).toEqual(['Stored before the split']);
    const view = await t.app.inject({ method: 'GET', url: `/dev/mailbox/${id}`, headers: admin.auth });
    expect(view.statusCode).toBe(200);
    expect(view.body).toBe('<p>Old body <img src="data:image/png;base64,AAAA"></p>');
  });
});

describe('who may read the development mailbox', () => {
  it('answers 401 without a token and 403 to a non-admin on every mailbox route, showing nothing', async () => {
    await t.deps.mailer.send({
      to: 'secret.reader@example.com',
      subject: 'Private message',
      html: '<p>Private body</p>',
      text: 'Private body',
    });
    const listed = await list();
    const id = listed.items.find((e) => e.to === 'secret.reader@example.com')!.id;
    const user = await createUser(t);

    for (const url of ['/dev/mailbox', `/dev/mailbox/${id}`, `/dev/mailbox/${id}/raw`]) {
      const anonymous = await t.app.inject({ method: 'GET', url });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toEqual({ detail: 'Not authenticated', code: 'HTTP_401' });
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');

      const nonAdmin = await t.app.inject({ method: 'GET', url, headers: user.auth });
      expect(nonAdmin.statusCode).toBe(403);
      expect(nonAdmin.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
      expect(nonAdmin.body).not.toContain('secret.reader');

      const allowed = await t.app.inject({ method: 'GET', url, headers: admin.auth });
      expect(allowed.statusCode).toBe(200);
      expect(allowed.body).toMatch(/secret\.reader|Private body/);
    }
  });
});
