import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAccess } from '../../src/api/auth/authorize.js';
import type { ApiInstance, RoutePlugin } from '../../src/api/route-plugin.js';
import { API_ROUTES } from '../../src/api/routes.js';
import { buildServer } from '../../src/api/server.js';
import { Roles, rolesAllow } from '../../src/governance/permissions.js';
import { renderPermissionsDoc, type RouteAccessRow } from '../../src/governance/permissions-doc.js';
import { asRole, buildTestApi, createTestContext, testAuthenticator } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

const DOC = fileURLToPath(new URL('../../docs/permissions.md', import.meta.url));

/** A path with its parameters and wildcards made concrete, so two spellings of one route compare equal. */
const concrete = (url: string): string => url.replace(/:[^/]+/g, 'x').replace(/\*/g, 'x');

/**
 * Every `METHOD path` a server answers, read from Fastify's own route tree (`printRoutes`), so nothing
 * registered anywhere (capabilities, health, docs, the web UI) can be missed. HEAD mirrors GET and is left out.
 */
function servedRoutes(app: ApiInstance): Set<string> {
  const served = new Set<string>();
  const segments: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    segments.length = depth;
    segments.push(match[2] ?? '');
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim())) {
      if (method && method !== 'HEAD') served.add(`${method} ${concrete(segments.join(''))}`);
    }
  }
  return served;
}

/**
 * Routes the server itself registers outside the capabilities, each public by design: liveness and readiness,
 * the OpenAPI document and its viewer, and the web UI's static files (they hold no data; the API they call
 * checks roles).
 */
const PUBLIC_SERVER_ROUTE = /^GET \/(healthz|readyz|openapi\.json|docs.*|index\.html|x)?$/;

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
    const wrapped = API_ROUTES.map(({ name, plugin, prefix }) => ({
      name,
      ...(prefix === undefined ? {} : { prefix }),
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

  it('enumerates every route of the real server: the rest are its own public routes, open to anyone', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'riposte-web-'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Riposte</title>');
    const real = await buildServer(createTestContext(handle.store), {
      authenticate: testAuthenticator,
      webRoot: `${webRoot}/`,
    });
    try {
      await real.ready();
      const served = servedRoutes(real);
      const enumerated = new Set(routes.map((r) => `${r.method} ${concrete(r.url)}`));
      expect(served.size).toBeGreaterThan(routes.length);
      expect([...enumerated].filter((r) => !served.has(r))).toEqual([]);
      const others = [...served].filter((r) => !enumerated.has(r));
      expect(others).toEqual(expect.arrayContaining(['GET /healthz', 'GET /openapi.json', 'GET /']));
      // The one guarded route outside /api/v1 is the Prometheus scrape endpoint, which needs metrics:read.
      expect(others.filter((r) => !PUBLIC_SERVER_ROUTE.test(r))).toEqual(['GET /metrics']);
      expect((await real.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      for (const role of Roles) {
        const res = await real.inject({ method: 'GET', url: '/metrics', headers: asRole(role) });
        expect(res.statusCode, `${role} GET /metrics`).toBe(rolesAllow([role], 'metrics:read') ? 200 : 403);
      }
      for (const route of others.filter((r) => PUBLIC_SERVER_ROUTE.test(r))) {
        const url = route.slice('GET '.length);
        const res = await real.inject({ method: 'GET', url });
        expect([401, 403], `${route} answered ${res.statusCode} without credentials`).not.toContain(
          res.statusCode,
        );
      }
    } finally {
      await real.close();
      rmSync(webRoot, { recursive: true, force: true });
    }
  });

  it('keeps docs/permissions.md generated from the same source', async () => {
    const rows: RouteAccessRow[] = routes.map((r) => ({
      method: r.method,
      // As served: under /api/v1, or a capability's own prefix (Splunk HEC at the root).
      url: r.url,
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
