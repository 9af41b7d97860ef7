import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { RiposteError } from '../domain/shared/errors.js';
import { lazyChild, type Logger } from '../observability/logger.js';
import { registerAuthorization, type Authenticator, type RefusalRecorder } from './auth/authorize.js';
import { sendProblem } from './errors.js';
import { registerNulGuard } from './nul-guard.js';
import { healthRoutes } from './health/health.routes.js';
import { prometheusRootRoutes } from './metrics/metrics.routes.js';
import type { ApiContext, ApiInstance, RoutePlugin } from './route-plugin.js';
import { API_ROUTES } from './routes.js';
import { findWebRoot, registerWebUi } from './web/web-ui.js';

/** Fastify's `trustProxy` from ours: a hop count trusts that many proxies nearest the server. */
const trustedProxies = (
  trusted: number | string[] | undefined,
): { trustProxy?: string[] | ((address: string, hop: number) => boolean) } =>
  trusted === undefined
    ? {}
    : { trustProxy: typeof trusted === 'number' ? (_address, hop) => hop < trusted : trusted };

export interface ServerOptions {
  authenticate: Authenticator;
  onRefused?: RefusalRecorder;
  /** Capability routes under /api/v1 (or their own `prefix`); the built-in list when omitted. */
  routes?: ReadonlyArray<{ name: string; plugin: RoutePlugin; prefix?: string }>;
  /** The built web UI to serve at `/`; found in dist/web when omitted, none when false. */
  webRoot?: string | false;
}

/** Builds the HTTP API (not listening yet): schemas, errors, authorisation, OpenAPI and every capability. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export async function buildServer(ctx: ApiContext, options: ServerOptions): Promise<ApiInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimitBytes,
    genReqId: () => ctx.newId(),
    // Made when a request first writes a line: most never do (see lazyChild). Fastify hands the factory its
    // own pino child of ctx.log, which carries its request and reply serializers (ctx.log itself would log
    // whole request objects, headers included).
    childLoggerFactory: (logger, bindings, childOptions) =>
      lazyChild(logger as Logger, bindings, childOptions),
    requestIdHeader: false,
    // The client's address (request.ip) from X-Forwarded-For only when sent through a proxy we were told of.
    ...trustedProxies(ctx.config.trustProxy),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    // The router's own refusals (a URL with a malformed %-escape) answer as problems too: the error handler
    // never sees them.
    frameworkErrors: (error, request, reply) =>
      sendProblem(
        reply,
        request,
        new RiposteError('RIPOSTE_VALIDATION', `the URL cannot be read: ${error.message}`, {
          details: [{ path: 'url', message: error.message }],
        }),
      ),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendProblem(reply, request, error));
  registerNulGuard(app);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      new RiposteError('RIPOSTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
  const hsts = ctx.config.publicUrl?.startsWith('https:');
  app.addHook('onSend', async (_request, reply) => {
    // Scripts only from Riposte itself; inline styles are allowed because React style attributes use them.
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Riposte API',
        version: '1',
        description: 'Incident response orchestration: alerts, cases, playbooks, governance.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // The docs routes are public; everything else declares its permission.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), access: 'public' };
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  registerAuthorization(app, options.authenticate, options.onRefused);
  await app.register(async (scope) => healthRoutes(scope as ApiInstance, ctx));
  // Prometheus scrapes /metrics by convention; it needs metrics:read like the API copy under /api/v1.
  await app.register(async (scope) => prometheusRootRoutes(scope as ApiInstance, ctx));
  const webRoot = options.webRoot === undefined ? findWebRoot() : options.webRoot;
  if (webRoot) await registerWebUi(app, webRoot);
  for (const { plugin, prefix = '/api/v1' } of options.routes ?? API_ROUTES) {
    await app.register(async (scope) => plugin(scope as ApiInstance, ctx), { prefix });
  }
  return app;
}
