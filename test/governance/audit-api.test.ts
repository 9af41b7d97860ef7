import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiInstance } from '../../src/api/route-plugin.js';
import { createApiToken } from '../../src/app/identity/api-tokens.service.js';
import { SYSTEM_PRINCIPAL } from '../../src/governance/principal.js';
import { recordAudit } from '../../src/store/audit/audit.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { buildGovernanceApi } from './governance-api.js';

describe.each(DIALECTS)('audit API on %s', (dialect) => {
  let handle: TestStoreHandle;
  let app: ApiInstance;
  let dataDir: string;
  let auditor: { authorization: string };
  let viewer: { authorization: string };

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-audit-api-'));
    const built = await buildGovernanceApi(handle.store, { config: { dataDir } });
    app = built.app;
    for (let i = 0; i < 25; i += 1) {
      await recordAudit(
        handle.store.db,
        handle.store,
        {
          actor: { type: 'user', id: i % 5 === 0 ? 'bob' : 'alice', name: 'x' },
          action: i % 2 ? 'case.updated' : 'auth.login',
          target: { type: 'case', id: `c${i}` },
          outcome: i === 3 ? 'failure' : 'success',
        },
        1_000 + i,
      );
    }
    auditor = {
      authorization: `Bearer ${(await createApiToken(built.ctx, SYSTEM_PRINCIPAL, { name: 'a', roles: ['admin'] })).token}`,
    };
    viewer = {
      authorization: `Bearer ${(await createApiToken(built.ctx, SYSTEM_PRINCIPAL, { name: 'v', roles: ['viewer'] })).token}`,
    };
  });
  afterAll(async () => {
    await app.close();
    await handle.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pages through the log with a cursor, oldest first', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/audit?limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await app.inject({ url, headers: auditor });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: Array<{ seq: number }>; nextCursor: string | null };
      seen.push(...body.items.map((e) => e.seq));
      cursor = body.nextCursor;
    } while (cursor);
    // 25 entries and the two token creations.
    expect(seen).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
  });

  it('filters by actor, action prefix, outcome and time', async () => {
    const get = async (q: string) =>
      (
        (await app.inject({ url: `/api/v1/audit?${q}`, headers: auditor })).json() as {
          items: Array<{ seq: number }>;
        }
      ).items;
    expect(await get('actor=bob')).toHaveLength(5);
    expect(await get('action=auth.')).toHaveLength(13);
    expect(await get('action=case.updated&outcome=failure')).toMatchObject([{ seq: 4 }]);
    expect(await get('from=1970-01-01T00:00:01.010Z&to=1970-01-01T00:00:01.012Z')).toMatchObject([
      { seq: 11 },
      { seq: 12 },
    ]);
    expect((await app.inject({ url: '/api/v1/audit?cursor=bogus', headers: auditor })).statusCode).toBe(400);
  });

  it('reads from and to as the alert list does, refusing what it would misread', async () => {
    const items = async (q: string) => {
      const res = await app.inject({ url: `/api/v1/audit?${q}`, headers: auditor });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { items: Array<{ seq: number }> }).items;
    };
    expect(await items('from=1970-01-01T00:00:01.010Z&to=1970-01-01T00:00:01.012Z')).toMatchObject([
      { seq: 11 },
      { seq: 12 },
    ]);
    // `from=` and `from=1e3` were read as 0 and 1000, and from after to answered an empty page.
    for (const [q, path] of [
      ['from=', 'querystring.from'],
      ['to=1e3', 'querystring.to'],
      ['from=1970-01-01T00:00:01.012Z&to=1970-01-01T00:00:01.010Z', 'querystring.from'],
      // Epoch seconds (digits below 1973 in ms) are refused rather than read as a day in January 1970.
      ['to=1012', 'querystring.to'],
    ] as const) {
      for (const url of [`/api/v1/audit?${q}`, `/api/v1/audit/export?${q}`]) {
        const res = await app.inject({ url, headers: auditor });
        expect(res.statusCode, url).toBe(400);
        expect(res.json(), url).toMatchObject({ details: [{ path }] });
      }
    }
  });

  it('needs audit:read', async () => {
    expect((await app.inject({ url: '/api/v1/audit', headers: viewer })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v1/audit' })).statusCode).toBe(401);
  });

  it('exports NDJSON, one entry a line, and records the export', async () => {
    const res = await app.inject({ url: '/api/v1/audit/export?action=auth.login', headers: auditor });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; hash: string });
    expect(lines).toHaveLength(13);
    expect(lines.every((l) => l.action === 'auth.login' && /^[0-9a-f]{64}$/.test(l.hash))).toBe(true);
    const last = await app.inject({ url: '/api/v1/audit?action=audit.exported', headers: auditor });
    expect(last.json().items).toHaveLength(1);
  });

  it('verifies the chain over HTTP', async () => {
    const res = await app.inject({ url: '/api/v1/audit/verify', headers: auditor });
    expect(res.json()).toMatchObject({ ok: true, problems: [] });
  });
});
