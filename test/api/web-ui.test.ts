import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findWebRoot } from '../../src/api/web/web-ui.js';
import { buildServer } from '../../src/api/server.js';
import type { ApiInstance } from '../../src/api/route-plugin.js';
import { createTestContext, testAuthenticator } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

describe('web UI serving', () => {
  let handle: TestStoreHandle;
  let app: ApiInstance;
  const root = findWebRoot();
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
    app = await buildServer(createTestContext(handle.store), {
      authenticate: testAuthenticator,
      routes: [],
      webRoot: root ?? false,
    });
  });
  afterAll(async () => {
    await app.close();
    await handle.cleanup();
  });

  it('finds the built UI (npm test builds it first)', () => {
    expect(root).toBeDefined();
  });

  it('serves index.html at / and for client-side routes, and assets by name', async () => {
    const index = await app.inject({ url: '/' });
    expect(index.statusCode, index.body).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.body).toContain('<div id="root">');
    const deep = await app.inject({ url: '/cases/0190-abc' });
    expect(deep.statusCode, deep.body).toBe(200);
    expect(deep.body).toContain('<div id="root">');
    const asset = readdirSync(`${root}assets`).find((f) => f.endsWith('.js'));
    const js = await app.inject({ url: `/assets/${asset}` });
    expect(js.statusCode, js.body).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
  });

  it('keeps unknown API paths and missing files as 404 problems', async () => {
    const api = await app.inject({ url: '/api/v1/nope' });
    expect(api.statusCode).toBe(404);
    expect(api.json().code).toBe('RIPOSTE_NOT_FOUND');
    expect((await app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404);
  });
});
