import { z } from 'zod';
import {
  CreateSourceInput,
  createIngestSource,
  removeIngestSource,
  SourceName,
  UpdateSourceInput,
  updateIngestSourceSettings,
} from '../../app/ingest/ingest-sources.js';
import { actorOf } from '../../governance/principal.js';
import { keyringLoader } from '../../governance/secrets/master-key-file.js';
import { listIngestSources } from '../../store/alerts/ingest-source.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import { SourceView, SourceWithCredentials } from './alert.schemas.js';

/** Ingest sources: who may send alerts, through which mapper. Tokens and HMAC secrets are shown once. */
export const sourcesRoutes: RoutePlugin = async (app, ctx) => {
  // HMAC secrets are sealed with the master key; it is loaded when the first one is made.
  const keyring = keyringLoader(ctx.config);
  app.get(
    '/sources',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags: ['alerts'],
        summary: 'List ingest sources',
        response: { 200: z.object({ sources: z.array(SourceView) }) },
      },
    },
    async () => ({ sources: await listIngestSources(ctx.store.db) }),
  );
  app.post(
    '/sources',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Create an ingest source (its token and HMAC secret are returned once)',
        description:
          'A source has a token (`X-Riposte-Token`, made unless `token: false`), an HMAC secret for signed ' +
          'webhooks (`hmac: true`), or both: `hmac: true` alone makes both, as it always has; ' +
          '`{ "hmac": true, "token": false }` makes a source that takes signed calls only. A source with ' +
          'neither is refused. `requireTimestamp` (default true) refuses signatures that do not cover ' +
          '`X-Riposte-Timestamp`. Unknown fields are refused.',
        body: CreateSourceInput,
        response: { 201: SourceWithCredentials },
      },
    },
    async (request, reply) => {
      const { source, credentials } = await createIngestSource(
        ctx,
        request.body,
        actorOf(principalOf(request)),
        keyring,
      );
      return reply.status(201).send({ source, ...credentials });
    },
  );
  app.patch(
    '/sources/:name',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Change, enable/disable an ingest source, or rotate or remove its credentials',
        description:
          '`rotateToken` / `rotateHmacSecret` make a new credential (returned once) in place of the old ' +
          'one, or add one the source lacked; `removeToken` / `removeHmacSecret` remove one. A change that ' +
          'would leave the source with neither is refused (disable it with `enabled: false` instead). ' +
          'With `previousValidForMs` (at most 7 days) a rotated credential keeps working beside the new one ' +
          'for that long, so senders can be moved without a gap; without it, it stops at once, and so does ' +
          'any credential still in an earlier grace. ' +
          'Unknown fields are refused.',
        params: z.object({ name: SourceName }),
        body: UpdateSourceInput,
        response: { 200: SourceWithCredentials },
      },
    },
    async (request) => {
      const { source, credentials } = await updateIngestSourceSettings(
        ctx,
        request.params.name,
        request.body,
        actorOf(principalOf(request)),
        keyring,
      );
      return { source, ...credentials };
    },
  );
  app.delete(
    '/sources/:name',
    {
      config: { access: 'settings:admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Delete an ingest source',
        params: z.object({ name: SourceName }),
      },
    },
    async (request, reply) => {
      await removeIngestSource(ctx, request.params.name, actorOf(principalOf(request)));
      return reply.status(204).send();
    },
  );
};
