import { mkdir } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { errorResponses } from '../../http/schemas.js';
import { MAX_IMAGE_BYTES, missingFile } from './uploads.service.js';

const imageUploadResponse = z
  .object({ url: z.string().meta({ description: 'Absolute URL under /uploads/' }) })
  .meta({ id: 'ImageUploadResponse' });

export const uploadsRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { guards, services }) => {
  const service = services.uploads;
  await mkdir(service.uploadDir, { recursive: true });

  // The app parses JSON only; multipart is accepted in this plugin's scope alone. busboy stops one byte past
  // the limit, so the service sees the excess and answers 413.
  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: MAX_IMAGE_BYTES + 1, files: 5, fields: 20, parts: 30, fieldSize: 64 * 1024 },
  });

  // An upload refused before its end (413): close the connection after the answer, and read and discard the
  // rest meanwhile, so that the client sees the answer and no half-read request keeps the connection busy.
  app.addHook('onSend', async (request, reply) => {
    if (!request.raw.complete) void reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request) => {
    if (!request.raw.complete) {
      request.raw.unpipe();
      request.raw.resume();
    }
  });

  await app.register(fastifyStatic, {
    root: service.uploadDir,
    prefix: '/uploads/',
    decorateReply: false,
    index: false,
    dotfiles: 'ignore',
    // Uploads are flat files named by the server: anything else (the folder itself, sub-paths, dot names such as
    // "..", backslashes, which the file sender would refuse with 403) is simply not found. The pathname is
    // decoded here except for %2F, which stays literal and so cannot be a separator.
    allowedPath: (pathname) => /^\/[^/\\.%\0][^/\\%\0]*$/.test(pathname),
    cacheControl: false,
  });

  app.post(
    '/uploads/images',
    {
      preValidation: guards.admin,
      bodyLimit: MAX_IMAGE_BYTES + 1024 * 1024,
      // The body schema only documents the form; the parts are read and checked while streaming.
      validatorCompiler: () => (data: unknown) => ({ value: data }),
      schema: {
        tags: ['uploads'],
        operationId: 'uploadImage',
        summary: 'Upload a cover image (admin): JPEG, PNG or WebP, at most 5 MiB, judged by its bytes',
        description:
          'multipart/form-data with the image in the part `file`. Answers the public URL of the file.',
        consumes: ['multipart/form-data'],
        body: z.object({
          file: z.string().meta({ format: 'binary', description: 'JPEG, PNG or WebP image' }),
        }),
        security: [{ bearerAuth: [] }],
        response: { 200: imageUploadResponse, ...errorResponses(400, 401, 403, 413, 422) },
        responseDescriptions: {
          200: 'The public URL of the stored image',
          400: 'Not a JPEG, PNG or WebP image (HTTP_400)',
          413: 'The image is larger than 5 MiB (HTTP_413)',
          422: 'No `file` part',
        },
      },
    },
    async (request) => {
      if (!request.isMultipart()) throw missingFile();
      return service.saveImage(request.parts());
    },
  );
};
