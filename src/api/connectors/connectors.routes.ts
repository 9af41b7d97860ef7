import { z } from 'zod';
import {
  createConnectorDeps,
  createConnectorRuntime,
  type ConnectorDeps,
} from '../../app/connectors/connector-runtime.js';
import {
  createConnectorInstance,
  describeConnector,
  getConnectorInstance,
  listConnectorInstanceViews,
  removeConnectorInstance,
  updateConnectorInstance,
} from '../../app/connectors/connector-instances.service.js';
import { notFound } from '../../domain/shared/errors.js';
import { actorOf } from '../../governance/principal.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import {
  ConnectorTypeBody,
  CreateInstanceBody,
  InstanceBody,
  InstanceParams,
  TestResultBody,
  UpdateInstanceBody,
} from './connector.schemas.js';
import { registerContainmentRoutes } from './containment.routes.js';
import { registerSlackInteractionRoutes } from './slack-interactions.routes.js';

/**
 * Connector catalogue and instances (credentials go in, never out), the connection test, and the
 * containment routes. `deps` is injectable for tests (a registry with extra connectors, a test keyring).
 */
export function createConnectorRoutes(
  depsFor: (ctx: Parameters<RoutePlugin>[1]) => ConnectorDeps = (ctx) => createConnectorDeps(ctx),
): RoutePlugin {
  return async (app, ctx) => {
    const deps = depsFor(ctx);
    const runtime = createConnectorRuntime(ctx, { deps });
    app.addHook('onClose', () => runtime.close());

    app.get(
      '/connector-types',
      {
        config: { access: 'connectors:read' },
        schema: {
          tags: ['connectors'],
          description: 'Built-in connectors with config and action schemas',
          response: { 200: z.array(ConnectorTypeBody) },
        },
      },
      async () => deps.registry.connectors().map(describeConnector),
    );
    app.get(
      '/connector-types/:name',
      {
        config: { access: 'connectors:read' },
        schema: { tags: ['connectors'], params: InstanceParams, response: { 200: ConnectorTypeBody } },
      },
      async (request) => {
        const connector = deps.registry.connector(request.params.name);
        if (!connector) throw notFound('connector', request.params.name);
        return describeConnector(connector);
      },
    );
    app.get(
      '/connectors',
      {
        config: { access: 'connectors:read' },
        schema: {
          tags: ['connectors'],
          description: 'Configured instances (credentials redacted)',
          querystring: z.object({ connector: z.string().optional() }),
          response: { 200: z.array(InstanceBody) },
        },
      },
      async (request) => listConnectorInstanceViews(ctx, deps, request.query.connector),
    );
    app.post(
      '/connectors',
      {
        config: { access: 'connectors:write' },
        schema: { tags: ['connectors'], body: CreateInstanceBody, response: { 201: InstanceBody } },
      },
      async (request, reply) => {
        const view = await createConnectorInstance(ctx, deps, actorOf(principalOf(request)), request.body);
        return reply.status(201).send(view);
      },
    );
    app.get(
      '/connectors/:name',
      {
        config: { access: 'connectors:read' },
        schema: { tags: ['connectors'], params: InstanceParams, response: { 200: InstanceBody } },
      },
      async (request) => getConnectorInstance(ctx, deps, request.params.name),
    );
    app.patch(
      '/connectors/:name',
      {
        config: { access: 'connectors:write' },
        schema: {
          tags: ['connectors'],
          params: InstanceParams,
          body: UpdateInstanceBody,
          response: { 200: InstanceBody },
        },
      },
      async (request) =>
        updateConnectorInstance(ctx, deps, actorOf(principalOf(request)), request.params.name, request.body),
    );
    app.delete(
      '/connectors/:name',
      {
        config: { access: 'connectors:write' },
        schema: { tags: ['connectors'], params: InstanceParams, response: { 204: z.null() } },
      },
      async (request, reply) => {
        await removeConnectorInstance(ctx, actorOf(principalOf(request)), request.params.name);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/connectors/:name/test',
      {
        config: { access: 'connectors:test' },
        schema: {
          tags: ['connectors'],
          description: 'Checks the instance against its real endpoint',
          params: InstanceParams,
          response: { 200: TestResultBody },
        },
      },
      async (request) => {
        await getConnectorInstance(ctx, deps, request.params.name);
        return runtime.testInstance(request.params.name, AbortSignal.timeout(60_000));
      },
    );

    await registerContainmentRoutes(app, ctx, runtime);
    await registerSlackInteractionRoutes(app, ctx, deps, runtime);
  };
}

export const connectorRoutes: RoutePlugin = createConnectorRoutes();
