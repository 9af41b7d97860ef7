import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { ApiInstance } from '../route-plugin.js';

/** Where `npm run build` puts the web UI (dist/web), found from this file in src/ or in dist/src/. */
export function findWebRoot(): string | undefined {
  for (const candidate of ['../../../dist/web/', '../../../web/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}index.html`)) return path;
  }
  return undefined;
}

/**
 * Serves the single-page UI at `/`. Its files are public (they hold no data: every call they make goes to the
 * API, which checks a role); a path that is not a file gets index.html so client-side routes survive a reload.
 */
export async function registerWebUi(app: ApiInstance, root: string): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { access: 'public', ...(route.config ?? {}) };
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      maxAge: '1h',
    });
    scope.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (path.startsWith('/api/') || path.includes('.')) return reply.callNotFound();
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    });
  });
}
