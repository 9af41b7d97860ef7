import { z } from 'zod';
import { loadIngestSettings, updateIngestSettings } from '../../app/ingest/configure-ingest.js';
import { IngestSettings } from '../../app/ingest/ingest-settings.js';
import { actorOf } from '../../governance/principal.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';

const SettingsView = z.object({
  settings: IngestSettings,
  configured: z.boolean(),
  updatedBy: z.string().nullable(),
  updatedAt: z.number().nullable(),
});

/** GET/PUT /ingest/settings: the de-duplication and correlation rules every ingest path applies. */
export const ingestSettingsRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/ingest/settings',
    {
      config: { access: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'The de-duplication and correlation rules in force',
        response: { 200: SettingsView },
      },
    },
    async () => loadIngestSettings(ctx),
  );
  app.put(
    '/ingest/settings',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Replace the de-duplication and correlation rules (fields left out take their defaults)',
        body: IngestSettings,
        response: { 200: SettingsView },
      },
    },
    async (request) => updateIngestSettings(ctx, request.body, actorOf(principalOf(request))),
  );
};
