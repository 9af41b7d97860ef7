import { z } from 'zod';
import {
  loadIngestSettings,
  patchIngestSettings,
  updateIngestSettings,
} from '../../app/ingest/configure-ingest.js';
import {
  IngestSettings,
  IngestSettingsPatch,
  StoredIngestSettings,
} from '../../app/ingest/ingest-settings.js';
import { actorOf } from '../../governance/principal.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';

const SettingsView = z.object({
  // As stored: rules an earlier version took may be past today's bounds, and are shown as they apply.
  settings: StoredIngestSettings,
  configured: z.boolean(),
  updatedBy: z.string().nullable(),
  updatedAt: z.number().nullable(),
});

/** GET/PUT/PATCH /ingest/settings: the de-duplication and correlation rules every ingest path applies. */
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
        summary: 'Replace the de-duplication and correlation rules',
        description:
          'Replaces the whole rules document: a field left out takes its default, not the value in force ' +
          '(send back what GET gave, changed; or PATCH only what changes). An unknown field is refused.',
        body: IngestSettings,
        response: { 200: SettingsView },
      },
    },
    async (request) => updateIngestSettings(ctx, request.body, actorOf(principalOf(request))),
  );
  app.patch(
    '/ingest/settings',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Change some de-duplication and correlation rules',
        description:
          'Sets the fields given and keeps the others in force: dedup and correlation field by field, a ' +
          'list (fingerprintKeys, observableTypes, ignoreValues) as a whole. An unknown field is refused.',
        body: IngestSettingsPatch,
        response: { 200: SettingsView },
      },
    },
    async (request) => patchIngestSettings(ctx, request.body, actorOf(principalOf(request))),
  );
};
