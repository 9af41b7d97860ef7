import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { caseRoutes } from '../../src/api/cases/cases.routes.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

interface IngestAnswer {
  items: Array<{ alertId?: string; caseId?: string | null }>;
}

// What the web console's case page reads about a case's alerts and observables: why each alert joined the
// case, how often it was seen, how many alerts the case holds past the 500 it lists, and sightings that count
// alerts rather than (alert, role) rows.
describe.each(DIALECTS)('a case’s alerts and observables over HTTP on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const analyst = asRole('analyst');

  beforeEach(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [
      { name: 'alerts', plugin: alertsRoutes },
      { name: 'cases', plugin: caseRoutes },
    ]);
  });
  afterEach(async () => {
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
  const get = (url: string) => api.app.inject({ url: `/api/v1${url}`, headers: analyst });

  it('lists each alert with its grouping decision and repeats, and how many the case holds', async () => {
    const answer = await ingest([
      { title: 'first', id: 'e1', src_ip: '45.35.1.97' },
      { title: 'second', id: 'e2', src_ip: '45.35.1.97' },
    ]);
    const caseId = answer.items[0]?.caseId ?? '';
    expect(answer.items[1]?.caseId).toBe(caseId);
    // A repeat of the second (same fingerprint) is counted on it.
    await ingest([{ title: 'second', id: 'e2-again', src_ip: '45.35.1.97' }]);

    const res = await get(`/cases/${caseId}/alerts`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-total-count']).toBe('2');
    const [second, first] = res.json() as Array<Record<string, unknown>>;
    expect(first).toMatchObject({
      title: 'first',
      count: 1,
      correlation: { decision: 'new_case', rule: 'none' },
    });
    expect(second).toMatchObject({
      title: 'second',
      count: 2,
      correlation: {
        decision: 'joined_case',
        rule: 'shared_observable',
        matched: [{ type: 'ipv4', value: '45.35.1.97' }],
      },
    });
    expect(second?.lastSeen).toBeGreaterThanOrEqual(second?.firstSeen as number);
  });

  it('lists the newest 500 alerts and counts them all in x-total-count', async () => {
    const answer = await ingest(
      Array.from({ length: 503 }, (_, i) => ({ title: `beacon ${i}`, id: `b${i}`, src_ip: '45.35.1.98' })),
    );
    const caseId = answer.items[0]?.caseId ?? '';
    expect(new Set(answer.items.map((i) => i.caseId))).toEqual(new Set([caseId]));
    const res = await get(`/cases/${caseId}/alerts`);
    expect(res.json()).toHaveLength(500);
    expect(res.headers['x-total-count']).toBe('503');
    expect((res.json() as Array<{ title: string }>)[0]?.title).toBe('beacon 502');
  });

  it('counts an observable’s alerts once each, in this case and in all', async () => {
    // The same address as source and destination: two alert_observables rows, one alert.
    const answer = await ingest([
      { title: 'loop', id: 'l1', src_ip: '45.35.1.99', dst_ip: '45.35.1.99' },
      { title: 'loop again', id: 'l2', src_ip: '45.35.1.99' },
    ]);
    const caseId = answer.items[0]?.caseId ?? '';
    const sightings = async (id: string) => {
      const res = await get(`/cases/${id}/observables`);
      expect(res.statusCode, res.body).toBe(200);
      const list = res.json() as Array<{ value: string; alerts: number; caseAlerts: number }>;
      const o = list.find((x) => x.value === '45.35.1.99');
      return { alerts: o?.alerts, caseAlerts: o?.caseAlerts };
    };
    expect(await sightings(caseId)).toEqual({ alerts: 2, caseAlerts: 2 });

    const other = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: analyst,
      payload: { title: 'Elsewhere', severity: 'low' },
    });
    const otherId = (other.json() as { id: string }).id;
    const moved = await api.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${otherId}/alerts`,
      headers: analyst,
      payload: { alertId: answer.items[1]?.alertId },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await sightings(caseId)).toEqual({ alerts: 2, caseAlerts: 1 });
    expect(await sightings(otherId)).toEqual({ alerts: 2, caseAlerts: 1 });
  });
});
