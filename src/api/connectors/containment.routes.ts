import { z } from 'zod';
import type { ActionExecutor } from '../../connectors/action-executor.js';
import { undoContainment } from '../../app/connectors/containment.service.js';
import {
  listContainmentBreakers,
  listProtected,
  protectAsset,
  ProtectedAssetInput,
  resetContainmentBreaker,
  unprotectAsset,
} from '../../app/connectors/safety.service.js';
import { listContainments } from '../../store/connectors/containment.repository.js';
import { actorOf } from '../../governance/principal.js';
import { principalOf } from '../auth/authorize.js';
import type { ApiContext, ApiInstance } from '../route-plugin.js';
import {
  BreakerBody,
  BreakerParams,
  ContainmentBody,
  ContainmentQuery,
  IdParams,
  ProtectedAssetBody,
} from './connector.schemas.js';

/** Containments in force and their undo, protected assets, and containment breakers. */
export async function registerContainmentRoutes(
  app: ApiInstance,
  ctx: ApiContext,
  executor: Pick<ActionExecutor, 'execute'>,
): Promise<void> {
  app.get(
    '/containments',
    {
      config: { access: 'containment:read' },
      schema: {
        tags: ['containment'],
        querystring: ContainmentQuery,
        response: { 200: z.array(ContainmentBody) },
      },
    },
    async (request) => listContainments(ctx.store.db, request.query),
  );
  app.post(
    '/containments/:id/undo',
    {
      config: { access: 'containment:undo' },
      schema: {
        tags: ['containment'],
        description: 'Runs the recorded undo action now',
        params: IdParams,
        response: { 200: ContainmentBody },
      },
    },
    async (request) => {
      const outcome = await undoContainment(
        ctx,
        executor,
        actorOf(principalOf(request)),
        request.params.id,
        AbortSignal.timeout(60_000),
      );
      return outcome.containment;
    },
  );
  app.get(
    '/protected-assets',
    {
      config: { access: 'containment:read' },
      schema: { tags: ['containment'], response: { 200: z.array(ProtectedAssetBody) } },
    },
    async () => listProtected(ctx),
  );
  app.post(
    '/protected-assets',
    {
      config: { access: 'connectors:write' },
      schema: { tags: ['containment'], body: ProtectedAssetInput, response: { 201: ProtectedAssetBody } },
    },
    async (request, reply) =>
      reply.status(201).send(await protectAsset(ctx, actorOf(principalOf(request)), request.body)),
  );
  app.delete(
    '/protected-assets/:id',
    {
      config: { access: 'connectors:write' },
      schema: { tags: ['containment'], params: IdParams, response: { 204: z.null() } },
    },
    async (request, reply) => {
      await unprotectAsset(ctx, actorOf(principalOf(request)), request.params.id);
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/containment-breakers',
    {
      config: { access: 'containment:read' },
      schema: { tags: ['containment'], response: { 200: z.array(BreakerBody) } },
    },
    async () => listContainmentBreakers(ctx),
  );
  app.delete(
    '/containment-breakers/:scope',
    {
      config: { access: 'containment:undo' },
      schema: {
        tags: ['containment'],
        description: 'Closes a tripped breaker after review',
        params: BreakerParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await resetContainmentBreaker(ctx, actorOf(principalOf(request)), request.params.scope);
      return reply.status(204).send(null);
    },
  );
}
