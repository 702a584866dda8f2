import type { FastifyError, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RequestValidationError } from './errors.js';
import { jsonDepthExceeded, locateJsonError, MAX_JSON_DEPTH } from './json-errors.js';

export const BODY_LIMIT = 1024 * 1024;

/** The contract's 422 entry for a body that is not acceptable JSON (§1.1). */
function jsonInvalid(pos: number, error: string): FastifyError {
  return new RequestValidationError([
    { type: 'json_invalid', loc: ['body', pos], msg: 'JSON decode error', input: {}, ctx: { error } },
  ]) as unknown as FastifyError;
}

function takesBody(request: FastifyRequest): boolean {
  return request.routeOptions.schema?.body !== undefined;
}

/** JSON only, and only with a JSON content type (contract §1.1, §7.6): no text/plain parsing. */
export const bodyParsers = fp(async (app) => {
  app.removeAllContentTypeParsers();
  const parseJson = (
    request: FastifyRequest,
    body: string | Buffer,
    done: (err: FastifyError | null, body?: unknown) => void,
  ) => {
    // Like the reference, a route that takes no body ignores whatever body is sent.
    if (!takesBody(request)) return done(null, undefined);
    const text = body.toString();
    if (text === '') return done(null, undefined);
    const tooDeep = jsonDepthExceeded(text);
    if (tooDeep >= 0) {
      done(jsonInvalid(tooDeep, `Nesting deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      const located = locateJsonError(text);
      done(jsonInvalid(located?.pos ?? 0, located?.msg ?? 'Expecting value'), undefined);
      return;
    }
    done(null, parsed);
  };
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, parseJson);
  // Any other content type: 415 for a route that takes a JSON body, ignored by a route that takes none.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, _body, done) => {
    if (!takesBody(request)) return done(null, undefined);
    const err = new Error('Unsupported Media Type') as FastifyError;
    err.statusCode = 415;
    done(err, undefined);
  });
  app.addContentTypeParser(
    /^application\/[\w.+-]+\+json$/,
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    parseJson,
  );
});
