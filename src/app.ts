import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from './deps.js';
import { bodyParsers } from './http/body-parsers.js';
import { docs } from './http/docs.js';
import { errorHandler } from './http/error-handler.js';
import { rateLimits } from './http/rate-limit.js';
import { requestHooks } from './http/request-hooks.js';
import { routes } from './http/routes.js';
import { serializerCompiler } from './http/serializer.js';
import { serverOptions } from './http/server-options.js';
import { validatorCompiler } from './http/validation.js';
import { createServices, type Services } from './services.js';

/** The HTTP app on the process's deps, with the services built from them unless the caller built them already. */
export async function buildApp(deps: Deps, services: Services = createServices(deps)) {
  const { config } = deps;
  const app = Fastify(serverOptions(deps)).withTypeProvider<ZodTypeProvider>();
  app.server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  app.server.maxHeadersCount = 100;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(bodyParsers);
  await app.register(requestHooks, { deps });
  await app.register(rateLimits, { deps });
  await app.register(docs, { config });
  await app.register(errorHandler);
  await app.register(routes, { deps, services });
  return app;
}
