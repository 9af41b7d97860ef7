import type { ApiInstance, RoutePlugin } from '../route-plugin.js';
import { alertIngestRoutes } from './alert-ingest.routes.js';
import { alertQueryRoutes } from './alert-query.routes.js';
import { ingestSettingsRoutes } from './ingest-settings.routes.js';
import { sourcesRoutes } from './sources.routes.js';
import { webhookRoutes } from './webhook.routes.js';

/** Alerts: ingest (API, NDJSON, per-source webhooks), query, ingest sources and the dedup/correlation rules. */
export const alertsRoutes: RoutePlugin = async (app, ctx) => {
  // Each part registers its own body parsers, so each gets its own scope.
  await app.register(async (scope) => alertIngestRoutes(scope as ApiInstance, ctx));
  await app.register(async (scope) => webhookRoutes(scope as ApiInstance, ctx));
  await alertQueryRoutes(app, ctx);
  await sourcesRoutes(app, ctx);
  await ingestSettingsRoutes(app, ctx);
};
