import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAdmin, useTestApp, useUser } from '../../../test/helpers.js';
import { MAX_IMAGE_BYTES } from './uploads.service.js';

const PUBLIC_BASE_URL = 'https://cdn.bookstore.test';
const t = useTestApp({ env: { PUBLIC_BASE_URL } });
const admin = useAdmin(t);
const user = useUser(t);

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('png body'),
]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg body')]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 body')]);

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

function multipart(parts: Part[]) {
  const boundary = '----bookstore-test-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function upload(parts: Part[], headers: Record<string, string> = admin.auth) {
  const { payload, contentType } = multipart(parts);
  return t.app.inject({
    method: 'POST',
    url: '/uploads/images',
    headers: { ...headers, 'content-type': contentType, host: 'evil.example' },
    payload,
  });
}

const image = (data: Buffer, filename = 'cover.png', contentType = 'image/png'): Part => ({
  name: 'file',
  filename,
  contentType,
  data,
});

const uploadDir = () => path.join(t.deps.config.DATA_DIR, 'uploads');

describe('POST /uploads/images', () => {
  it.each([
    ['PNG', PNG, 'png', 'image/png'],
    ['JPEG', JPEG, 'jpg', 'image/jpeg'],
    ['WebP', WEBP, 'webp', 'image/webp'],
  ])('stores a %s image under a random name and serves it back', async (_kind, bytes, ext, type) => {
    const res = await upload([image(bytes, `cover.${ext}`, type)]);
    expect(res.statusCode).toBe(200);
    const { url } = res.json<{ url: string }>();
    expect(url).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/uploads/[0-9a-f]{32}\\.${ext}$`));

    const served = await t.app.inject({ method: 'GET', url: new URL(url).pathname });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(bytes)).toBe(true);
    expect(served.headers['content-type']).toContain(type);
    const head = await t.app.inject({ method: 'HEAD', url: new URL(url).pathname });
    expect(head.statusCode).toBe(200);
  });

  it('judges the type by the bytes, not by the declared type or name', async () => {
    const declaredJpeg = await upload([image(PNG, 'photo.jpg', 'image/jpeg')]);
    expect(declaredJpeg.json<{ url: string }>().url).toMatch(/\.png$/);

    const text = await upload([image(Buffer.from('just some text, not an image'), 'cover.png', 'image/png')]);
    expect(text.statusCode).toBe(400);
    expect(text.json()).toEqual({
      detail: "Invalid image type 'image/png'. Allowed: JPEG, PNG, WebP.",
      code: 'HTTP_400',
    });
    const gif = await upload([image(Buffer.from('GIF89a....'), 'a.gif', 'image/gif')]);
    expect(gif.json()).toEqual({
      detail: "Invalid image type 'image/gif'. Allowed: JPEG, PNG, WebP.",
      code: 'HTTP_400',
    });
    const empty = await upload([image(Buffer.alloc(0))]);
    expect(empty.statusCode).toBe(400);
  });

  it('accepts exactly 5 MiB and rejects one byte more with 413, leaving no file behind', async () => {
    const before = readdirSync(uploadDir()).length;
    const exact = Buffer.alloc(MAX_IMAGE_BYTES, 0x41);
    PNG.copy(exact);
    const ok = await upload([image(exact)]);
    expect(ok.statusCode).toBe(200);
    expect(readdirSync(uploadDir())).toHaveLength(before + 1);

    const over = Buffer.alloc(MAX_IMAGE_BYTES + 1, 0x41);
    PNG.copy(over);
    const res = await upload([image(over)]);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: 'File too large. Max 5 MB.', code: 'HTTP_413' });
    const much = Buffer.alloc(MAX_IMAGE_BYTES * 2, 0x41);
    expect((await upload([image(much)])).statusCode).toBe(413);
    expect(readdirSync(uploadDir())).toHaveLength(before + 1);
  });

  it('answers 422 when the file part is missing', async () => {
    const res = await upload([{ name: 'other', filename: 'x.png', contentType: 'image/png', data: PNG }]);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      code: 'VALIDATION_ERROR',
      detail: [{ type: 'missing', loc: ['body', 'file'], msg: 'Field required', input: null }],
    });
    const noParts = await upload([]);
    expect(noParts.statusCode).toBe(422);
    const json = await t.app.inject({
      method: 'POST',
      url: '/uploads/images',
      headers: admin.auth,
      payload: { file: 'x' },
    });
    expect(json.statusCode).toBe(422);
    expect(json.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['body', 'file'] }] });
    const text = await upload([{ name: 'file', data: 'not a file' }]);
    expect(text.statusCode).toBe(422);
    expect(text.json()).toMatchObject({ detail: [{ type: 'value_error', loc: ['body', 'file'] }] });
  });

  it('takes the file part among other parts', async () => {
    const res = await upload([{ name: 'note', data: 'hello' }, image(JPEG, 'c.jpg', 'image/jpeg')]);
    expect(res.statusCode).toBe(200);
    expect(res.json<{ url: string }>().url).toMatch(/\.jpg$/);
  });

  it('answers 401 without a token and 403 for a non-admin', async () => {
    const anonymous = await upload([image(PNG)], {});
    expect(anonymous.statusCode).toBe(401);
    const forbidden = await upload([image(PNG)], user.auth);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
  });
});

describe('GET /uploads/<file>', () => {
  /** GET `url` answers the framework's 404, not the file. */
  async function expectNotFound(url: string) {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBe(404);
    expect(res.json(), url).toEqual({ detail: 'Not Found', code: 'HTTP_404' });
  }

  it('answers the framework 404 for a missing file and for temporary files', async () => {
    for (const url of [
      '/uploads/nothing.png',
      '/uploads/.incoming-x',
      '/uploads/../package.json',
      '/uploads/',
    ]) {
      await expectNotFound(url);
    }
  });

  it('answers 404, never 403 nor the file, to a path that climbs out of the folder, however encoded', async () => {
    for (const url of [
      '/uploads/../package.json',
      '/uploads/..%2Fpackage.json',
      '/uploads/..%2fpackage.json',
      '/uploads/%2e%2e/package.json',
      '/uploads/%2E%2E%2Fpackage.json',
      '/uploads/%2e%2e%2fpackage.json',
      '/uploads/..%5Cpackage.json',
      '/uploads/.',
      '/uploads/%00',
      '/uploads/a%00.png',
    ]) {
      await expectNotFound(url);
    }
    // The client resolves `/uploads/..` (and `%2e%2e`) to `/`: the root's pointer to the docs, never the folder.
    const root = await t.app.inject({ method: 'GET', url: '/' });
    for (const url of ['/uploads/..', '/uploads/%2e%2e']) {
      const up = await t.app.inject({ method: 'GET', url });
      expect(up.statusCode, url).toBe(200);
      expect(up.body, url).toBe(root.body);
      expect(up.json(), url).toHaveProperty('docs');
    }
  });
});
