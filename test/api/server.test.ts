import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { firstNulPath } from '../../src/api/nul-guard.js';
import type { RoutePlugin } from '../../src/api/route-plugin.js';
import { RiposteError } from '../../src/domain/shared/errors.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

const probe: RoutePlugin = async (app) => {
  app.post(
    '/probe',
    {
      config: { access: 'cases:write' },
      schema: { body: z.object({ title: z.string().min(1), severity: z.enum(['low', 'high']) }).strict() },
    },
    async (request) => ({ ok: true, title: request.body.title }),
  );
  app.get('/probe/conflict', { config: { access: 'cases:read' } }, async () => {
    throw new RiposteError('RIPOSTE_ILLEGAL_TRANSITION', 'cannot go from closed to containment');
  });
  app.get('/probe/busy', { config: { access: 'cases:read' } }, async () => {
    throw new RiposteError('RIPOSTE_RATE_LIMITED', 'too many', { retryAfterMs: 1_500 });
  });
  app.get('/probe/crash', { config: { access: 'cases:read' } }, async () => {
    throw new Error('secret internal detail');
  });
  app.get('/probe/undeclared', async () => ({ leaked: true }));
  app.get('/probe/item/:id', { config: { access: 'cases:read' } }, async () => ({ ok: true }));
};

describe('HTTP API edge', () => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
    api = await buildTestApi(handle.store, [{ name: 'probe', plugin: probe }]);
  });
  afterAll(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  it('answers health and readiness without credentials', async () => {
    expect((await api.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await api.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', store: 'sqlite' });
  });

  it('reports not ready while draining', async () => {
    api.ctx.lifecycle.draining = true;
    try {
      expect((await api.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    } finally {
      api.ctx.lifecycle.draining = false;
    }
  });

  it('refuses anonymous callers with 401 and the wrong role with 403', async () => {
    const payload = { title: 'x', severity: 'low' };
    const anon = await api.app.inject({ method: 'POST', url: '/api/v1/probe', payload });
    expect(anon.statusCode).toBe(401);
    expect(anon.json()).toMatchObject({ code: 'RIPOSTE_UNAUTHENTICATED' });
    const viewer = await api.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: asRole('viewer'),
      payload,
    });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json().message).toMatch(/cases:write/);
    const ok = await api.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: asRole('analyst'),
      payload,
    });
    expect(ok.statusCode).toBe(200);
  });

  it('refuses a route that declares no access rule (deny by default)', async () => {
    const res = await api.app.inject({ url: '/api/v1/probe/undeclared', headers: asRole('admin') });
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('leaked');
  });

  it('names the failing field of an invalid body in a problem document', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: asRole('admin'),
      payload: { title: '', severity: 'urgent', extra: 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.code).toBe('RIPOSTE_VALIDATION');
    expect(body.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['body.title', 'body.severity']),
    );
  });

  it('rejects malformed JSON and oversized bodies with 4xx, not 500', async () => {
    const bad = await api.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { ...asRole('admin'), 'content-type': 'application/json' },
      payload: '{"title":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('RIPOSTE_VALIDATION');
    const big = await api.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: asRole('admin'),
      payload: { title: 'x'.repeat(11 * 1024 * 1024), severity: 'low' },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('RIPOSTE_PAYLOAD_TOO_LARGE');
  });

  it('refuses NUL characters in the URL and in JSON bodies with a 400 naming where (PostgreSQL cannot store them)', async () => {
    const body = await api.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { ...asRole('admin'), 'content-type': 'application/json' },
      payload: '{"title":"a\\u0000b","severity":"low"}',
    });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toMatchObject({ code: 'RIPOSTE_VALIDATION', details: [{ path: 'body.title' }] });
    const url = await api.app.inject({ url: '/api/v1/probe/conflict?x=%00', headers: asRole('admin') });
    expect(url.statusCode).toBe(400);
    expect(url.json().details[0].path).toBe('url');
    expect(firstNulPath({ a: [1, { b: 'ok' }, { c: 'x\u0000' }] })).toBe('body.a.2.c');
    expect(firstNulPath({ 'k\u0000': 1 })).toBe('body.k\\u0000');
    expect(firstNulPath({ a: ['fine'] })).toBeUndefined();
    expect(firstNulPath(Buffer.from([0]))).toBeUndefined();
  });

  it('answers a URL the router cannot decode (a malformed %-escape in a path parameter) with a problem naming it', async () => {
    const res = await api.app.inject({ url: '/api/v1/probe/item/%ff', headers: asRole('admin') });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'RIPOSTE_VALIDATION', details: [{ path: 'url' }] });
    expect(res.json().message).toMatch(/^the URL cannot be read: /);
  });

  it('maps catalogue errors to their status and hides internal errors', async () => {
    const conflict = await api.app.inject({ url: '/api/v1/probe/conflict', headers: asRole('viewer') });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('RIPOSTE_ILLEGAL_TRANSITION');
    const busy = await api.app.inject({ url: '/api/v1/probe/busy', headers: asRole('viewer') });
    expect(busy.statusCode).toBe(429);
    expect(busy.headers['retry-after']).toBe('2');
    const crash = await api.app.inject({ url: '/api/v1/probe/crash', headers: asRole('viewer') });
    expect(crash.statusCode).toBe(500);
    expect(crash.body).not.toContain('secret internal detail');
    expect(crash.body).not.toContain('at ');
    expect(api.logs.join('')).toContain('secret internal detail');
  });

  it('never logs credentials', async () => {
    await api.app.inject({
      url: '/api/v1/probe/conflict',
      headers: { authorization: 'Bearer test:viewer', cookie: 'riposte_session=abc123' },
    });
    const all = api.logs.join('');
    expect(all).not.toContain('abc123');
    expect(all).not.toContain('Bearer test:viewer');
  });

  it('publishes an OpenAPI document and interactive docs', async () => {
    const doc = (await api.app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/probe');
    expect((await api.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('sets security headers', async () => {
    const res = await api.app.inject({ url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});
