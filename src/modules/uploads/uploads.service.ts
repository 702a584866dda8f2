import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Multipart } from '@fastify/multipart';
import type { Deps } from '../../deps.js';
import { RequestValidationError } from '../../http/errors.js';
import { invalidType, tooLarge } from './uploads.errors.js';

/** Exactly 5 MiB is allowed. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export const missingFile = () =>
  new RequestValidationError([
    { type: 'missing', loc: ['body', 'file'], msg: 'Field required', input: null },
  ]);

/** The image type told by the file's first bytes, whatever the client declared. */
export function sniffImageExtension(head: Buffer): 'jpg' | 'png' | 'webp' | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'webp';
  return undefined;
}

export function createUploadsService({ config }: Pick<Deps, 'config'>) {
  const dir = path.join(config.DATA_DIR, 'uploads');

  /** Streams one part to a temporary file, counting bytes; returns its path and first bytes. */
  async function receive(file: NodeJS.ReadableStream): Promise<{ tmp: string; head: Buffer }> {
    const tmp = path.join(dir, `.incoming-${randomUUID()}`);
    let size = 0;
    let head = Buffer.alloc(0);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > MAX_IMAGE_BYTES) return callback(tooLarge());
        if (head.length < 12) head = Buffer.concat([head, chunk.subarray(0, 12 - head.length)]);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(file, counter, createWriteStream(tmp, { flags: 'wx' }));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    return { tmp, head };
  }

  return {
    uploadDir: dir,

    /** Saves the `file` part as `<uuid hex>.<jpg|png|webp>` and answers its public URL. */
    async saveImage(parts: AsyncIterableIterator<Multipart>): Promise<{ url: string }> {
      let saved: { tmp: string; head: Buffer; declared: string } | undefined;
      let textField = false;
      try {
        for await (const part of parts) {
          if (part.type === 'file') {
            if (part.fieldname === 'file' && !saved) {
              saved = { ...(await receive(part.file)), declared: part.mimetype };
            } else {
              part.file.resume();
            }
          } else if (part.fieldname === 'file') {
            textField = true;
          }
        }
      } catch (err) {
        if (saved) await unlink(saved.tmp).catch(() => {});
        throw err;
      }
      if (!saved) {
        if (textField)
          throw new RequestValidationError([
            {
              type: 'value_error',
              loc: ['body', 'file'],
              msg: "Value error, Expected UploadFile, received: <class 'str'>",
              input: null,
              ctx: { error: "Expected UploadFile, received: <class 'str'>" },
            },
          ]);
        throw missingFile();
      }
      const extension = sniffImageExtension(saved.head);
      if (!extension) {
        await unlink(saved.tmp).catch(() => {});
        throw invalidType(saved.declared);
      }
      const name = `${randomUUID().replaceAll('-', '')}.${extension}`;
      await rename(saved.tmp, path.join(dir, name));
      return { url: `${config.PUBLIC_BASE_URL}/uploads/${name}` };
    },
  };
}
