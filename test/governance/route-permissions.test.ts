import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAccess } from '../../src/api/auth/authorize.js';
import type { ApiInstance, RoutePlugin } from '../../src/api/route-plugin.js';
import { API_ROUTES } from '../../src/api/routes.js';
import { Roles, rolesAllow } from '../../src/governance/permissions.js';
import { renderPermissionsDoc, type RouteAccessRow } from '../../src/governance/permissions-doc.js';
import { asRole, buildTestApi } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

const DOC = fileURLToPath(new URL('../../docs/permissions.md', import.meta.url));

/**
 * Builds the server with every capability in API_ROUTES, each wrapped so that its routes are collected as they
 * register and every request that passes authorisation is answered 204 before any handler runs. What a role may
 * reach is then exactly what the authorisation hook lets through.
 */
describe('every route, every role', () => {
  let handle: TestStoreHandle;
  let app: ApiInstance;
  const routes: Array<{ method: string; url: string; access: RouteAccess | undefined }> = [];

  beforeAll(async () => {
    handle = await openTestStore('sqlite');
    const wrapped = API_ROUTES.map(({ name, plugin }) => ({
      name,
      plugin: (async (scope, ctx) => {
        scope.addHook('onRoute', (route) => {
          const methods = Array.isArray(route.method) ? route.method : [route.method];
          for (const method of methods) {
            if (method === 'HEAD') continue;
            routes.push({ method, url: route.url, access: route.config?.access });
          }
        });
        scope.addHook('onRequest', async (_request, reply) => reply.code(204).send());
        await plugin(scope, ctx);
      }) satisfies RoutePlugin,
    }));
    ({ app } = await buildTestApi(handle.store, wrapped));
  });
  afterAll(async () => {
    await app.close();
    await handle.cleanup();
  });

  it('finds the capability routes, and every one declares its access', () => {
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it('lets each role reach exactly what ROLE_PERMISSIONS grants', async () => {
    const mismatches: string[] = [];
    for (const route of routes) {
      const url = route.url.replace(/:[A-Za-z0-9_]+/g, 'x').replace(/\*/g, 'x');
      const method = route.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
      for (const role of Roles) {
        const res = await app.inject({ method, url, headers: asRole(role) });
        const allowed =
          route.access === 'public' || rolesAllow([role], route.access as Exclude<RouteAccess, 'public'>);
        const expected = allowed ? 204 : 403;
        if (res.statusCode !== expected) {
          mismatches.push(
            `${role} ${route.method} ${route.url} (${route.access}): ${res.statusCode}, expected ${expected}`,
          );
        }
      }
      if (route.access !== 'public') {
        const anonymous = await app.inject({ method, url });
        if (anonymous.statusCode !== 401)
          mismatches.push(`anonymous ${route.method} ${route.url}: ${anonymous.statusCode}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('keeps docs/permissions.md generated from the same source', async () => {
    const rows: RouteAccessRow[] = routes.map((r) => ({
      method: r.method,
      url: `/api/v1${r.url.replace(/^\/api\/v1/, '')}`,
      access: r.access as RouteAccessRow['access'],
    }));
    // Formatted as `npm run lint` expects the file to be.
    const expected = await format(renderPermissionsDoc(rows), {
      ...(await resolveConfig(DOC)),
      filepath: DOC,
    });
    if (process.env.UPDATE_PERMISSIONS_DOC === '1') writeFileSync(DOC, expected);
    let current = '';
    try {
      current = readFileSync(DOC, 'utf8');
    } catch {
      // Missing counts as stale.
    }
    expect(current, 'docs/permissions.md is stale: regenerate it (see the comment at its top)').toBe(
      expected,
    );
  });

  it('sends no CORS headers: cross-origin browsers are refused by default', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/auth/me',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const get = await app.inject({
      url: '/api/v1/auth/me',
      headers: { origin: 'https://evil.example', ...asRole('viewer') },
    });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect(get.headers['x-frame-options']).toBe('DENY');
    expect(get.headers['x-content-type-options']).toBe('nosniff');
  });
});
