import type { CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { caseRoutes } from '../../src/api/cases/cases.routes.js';
import { ROLE_PERMISSIONS } from '../../src/governance/permissions.js';
import type { Store } from '../../src/store/store.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

interface IngestAnswer {
  items: Array<{ alertId?: string; caseId?: string | null }>;
}
interface ListedAlert {
  id: string;
  title: string;
  caseId: string | null;
  case?: Record<string, unknown>;
}

/** Statements that read the cases table: `from "cases"` (the alerts list's own query reads `alerts`). */
const readsCases = (q: CompiledQuery): boolean => /\bfrom "cases"/i.test(q.sql);

// The web console's alerts list showed each alert's case number and status by reading every case on the page,
// one GET /cases/{id} each (30 requests for a page of alerts in 30 cases). The list now carries each alert's
// case, read for the whole page in one statement, and only for a caller who may read cases.
describe.each(DIALECTS)('GET /alerts with its cases on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  /** Statements the API sent while `watching`. */
  const sent: CompiledQuery[] = [];
  let watching = false;
  const viewerPermissions = ROLE_PERMISSIONS.viewer;

  beforeEach(async () => {
    handle = await openTestStore(dialect);
    const db = handle.store.db;
    const watched = db.withPlugin({
      transformQuery: ({ node, queryId }) => {
        if (watching) sent.push(db.getExecutor().compileQuery(node, queryId));
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    const store: Store = { ...handle.store, db: watched };
    api = await buildTestApi(store, [
      { name: 'alerts', plugin: alertsRoutes },
      { name: 'cases', plugin: caseRoutes },
    ]);
  });
  afterEach(async () => {
    ROLE_PERMISSIONS.viewer = viewerPermissions;
    watching = false;
    sent.length = 0;
    await api.app.close();
    await handle.cleanup();
  });

  const ingest = async (alerts: Array<Record<string, unknown>>): Promise<IngestAnswer> => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts?source=edr',
      payload: JSON.stringify(alerts),
      headers: { 'content-type': 'application/json', ...asRole('ingest') },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as IngestAnswer;
  };
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown, role = asRole('analyst')) =>
    api.app.inject({ method, url: `/api/v1${url}`, headers: role, ...(payload ? { payload } : {}) });
  /** A page of alerts, and the statements that read cases while it was answered. */
  const listWatched = async (query: string, role = asRole('analyst')) => {
    sent.length = 0;
    watching = true;
    const res = await call('GET', `/alerts?${query}`, undefined, role);
    watching = false;
    expect(res.statusCode, res.body).toBe(200);
    return { alerts: (res.json() as { alerts: ListedAlert[] }).alerts, caseReads: sent.filter(readsCases) };
  };

  /** Seven alerts in five cases (two pairs share an address), one case closed. */
  const seed = async () => {
    const answer = await ingest([
      { title: 'a1', id: 'e1', src_ip: '45.35.1.1', severity: 'high' },
      { title: 'a2', id: 'e2', src_ip: '45.35.1.1' },
      { title: 'b1', id: 'e3', src_ip: '45.35.2.2' },
      { title: 'c1', id: 'e4', src_ip: '45.35.3.3' },
      { title: 'c2', id: 'e5', src_ip: '45.35.3.3' },
      { title: 'd1', id: 'e6', src_ip: '45.35.4.4' },
      { title: 'e1', id: 'e7', src_ip: '45.35.5.5' },
    ]);
    const caseIds = answer.items.map((i) => i.caseId ?? '');
    expect(new Set(caseIds).size).toBe(5);
    const closed = caseIds[3] ?? '';
    expect((await call('POST', `/cases/${closed}/transitions`, { to: 'triage' })).statusCode).toBe(200);
    const closing = await call('POST', `/cases/${closed}/transitions`, {
      to: 'closed',
      resolution: 'benign',
    });
    expect(closing.statusCode, closing.body).toBe(200);
    return { caseIds, closed };
  };

  it('carries each alert’s case (number, title, status, severity), read in one statement for the page', async () => {
    const { caseIds, closed } = await seed();
    const { alerts, caseReads } = await listWatched('limit=50');
    expect(alerts).toHaveLength(7);
    expect(caseReads).toHaveLength(1);
    for (const a of alerts) {
      const kase = (await call('GET', `/cases/${a.caseId}`)).json() as Record<string, unknown>;
      expect(a.case, a.title).toEqual({
        id: a.caseId,
        number: kase.number,
        title: kase.title,
        status: kase.status,
        severity: kase.severity,
      });
      expect(typeof a.case?.number).toBe('number');
    }
    expect(alerts.find((a) => a.caseId === closed)?.case?.status).toBe('closed');
    expect(new Set(alerts.map((a) => a.case?.number)).size).toBe(new Set(caseIds).size);
    // A smaller page reads its own cases, still in one statement.
    const small = await listWatched('limit=2');
    expect(small.alerts.every((a) => a.case?.id === a.caseId)).toBe(true);
    expect(small.caseReads).toHaveLength(1);
  });

  it('reads the cases of a full page of many cases in one statement too', async () => {
    const answer = await ingest(
      Array.from({ length: 120 }, (_, i) => ({
        title: `spread ${i}`,
        id: `s${i}`,
        src_ip: `45.36.${Math.floor(i / 100)}.${i % 100}`,
      })),
    );
    expect(new Set(answer.items.map((i) => i.caseId)).size).toBe(120);
    const { alerts, caseReads } = await listWatched('limit=500');
    expect(alerts).toHaveLength(120);
    expect(alerts.every((a) => a.case?.id === a.caseId)).toBe(true);
    expect(caseReads).toHaveLength(1);
    // The page, and with it the cases read at once, is bounded: past 500 is refused, naming the parameter.
    const over = await call('GET', '/alerts?limit=501');
    expect(over.statusCode).toBe(400);
    expect(over.json()).toMatchObject({
      code: 'RIPOSTE_VALIDATION',
      details: [{ path: 'querystring.limit' }],
    });
  });

  it('carries the case on one alert’s answer, beside its raw event', async () => {
    const { caseIds } = await seed();
    const listed = (await listWatched('limit=50')).alerts.find((a) => a.title === 'a1');
    const res = await call('GET', `/alerts/${listed?.id}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as ListedAlert & { raw: unknown };
    expect(body.case).toMatchObject({ id: caseIds[0], status: 'new', severity: 'high' });
    expect(body.raw).toMatchObject({ title: 'a1', id: 'e1' });
  });

  it('names cases by id only to a caller who may list alerts but not read cases', async () => {
    await seed();
    // No role has alerts:read without cases:read today; a viewer made so stands for one that would.
    ROLE_PERMISSIONS.viewer = viewerPermissions.filter((p) => p !== 'cases:read');
    const viewer = asRole('viewer');
    const { alerts, caseReads } = await listWatched('limit=50', viewer);
    expect(alerts).toHaveLength(7);
    expect(alerts.every((a) => a.caseId !== null && !('case' in a))).toBe(true);
    expect(caseReads).toHaveLength(0);
    const one = await call('GET', `/alerts/${alerts[0]?.id}`, undefined, viewer);
    expect(one.statusCode).toBe(200);
    expect(one.json()).not.toHaveProperty('case');
    expect((await call('GET', `/cases/${alerts[0]?.caseId}`, undefined, viewer)).statusCode).toBe(403);
    // With cases:read back, the same caller sees them.
    ROLE_PERMISSIONS.viewer = viewerPermissions;
    expect((await listWatched('limit=50', viewer)).alerts.every((a) => a.case?.id === a.caseId)).toBe(true);
  });

  it('declares the case in the OpenAPI document', async () => {
    type Schema = { properties: Record<string, Schema>; items: Schema; description?: string };
    const doc = (await api.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        { get: { responses: Record<string, { content: Record<string, { schema: Schema }> }> } }
      >;
    };
    const page = doc.paths['/api/v1/alerts']?.get.responses['200']?.content['application/json']?.schema;
    expect(page?.properties.alerts?.items.properties.case).toMatchObject({
      type: 'object',
      required: ['id', 'number', 'title', 'status', 'severity'],
      properties: { number: { type: 'integer' }, status: { enum: expect.arrayContaining(['closed']) } },
      description: expect.stringContaining('cases:read'),
    });
  });
});
