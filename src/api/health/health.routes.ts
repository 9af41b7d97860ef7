import { z } from 'zod';
import type { RoutePlugin } from '../route-plugin.js';

const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  store: z.string().optional(),
  role: z.string().optional(),
});

/** Liveness and readiness, for load balancers and orchestrators. No credentials needed, nothing sensitive said. */
export const healthRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { hide: true, response: { 200: Health } } },
    async () => ({
      status: 'ok' as const,
    }),
  );
  app.get(
    '/readyz',
    { config: { access: 'public' }, schema: { hide: true, response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const ready = !ctx.lifecycle.draining && (await ctx.store.ping());
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ok' : 'unavailable',
        store: ctx.store.dialect.name,
        role: ctx.config.role,
      });
    },
  );
};
