import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const T0 = Date.UTC(2026, 5, 1, 12);
const json = { 'content-type': 'application/json' };

const alert = (srcIp: string, ruleId: string, extra: object = {}) => ({
  title: 'Beaconing to a known C2',
  severity: 'high',
  src_ip: srcIp,
  rule: { id: ruleId },
  product: 'edr',
  ...extra,
});

describe.each(DIALECTS)('POST /alerts/preview on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      clock: new ManualClock(T0),
    });
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const preview = (body: unknown, role: Parameters<typeof asRole>[0] = 'admin') =>
    api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/preview',
      headers: { ...json, ...asRole(role) },
      payload: JSON.stringify(body),
    });
  const ingest = (body: unknown) =>
    api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts?source=edr',
      headers: { ...json, ...asRole('ingest') },
      payload: JSON.stringify(body),
    });
  /** What is stored, all of it that a preview could have touched. */
  const footprint = async () => ({
    alerts: (await handle.store.db.selectFrom('alerts').select('id').execute()).length,
    cases: (await handle.store.db.selectFrom('cases').select('id').execute()).length,
    observables: (await handle.store.db.selectFrom('observables').select('id').execute()).length,
    jobs: (await handle.store.db.selectFrom('queue_jobs').select('id').execute()).length,
    audit: (await readAuditEntries(handle.store.db, 0, 1000)).length,
  });

  it('decides every alert as ingest would, among themselves, and stores nothing', async () => {
    const before = await footprint();
    const res = await preview({
      source: 'edr',
      alerts: [
        alert('45.33.32.156', 'R-1'),
        alert('45.33.32.157', 'R-1'),
        alert('45.33.32.156', 'R-1'),
        'this is no syslog line',
        [1, 2],
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const answer = res.json();
    expect(answer).toMatchObject({ accepted: 2, duplicates: 1, rejected: 2, casesOpened: 1 });
    const [first, second, third, fourth, fifth] = answer.items;
    expect(first).toMatchObject({
      index: 0,
      status: 'accepted',
      opensCase: true,
      alert: { title: 'Beaconing to a known C2', severity: 'high' },
      correlation: { decision: 'new_case' },
    });
    // The case it would open does not exist: no id is given for it.
    expect(first.correlation).not.toHaveProperty('caseId');
    expect(first.alert.observables).toContainEqual(
      expect.objectContaining({ type: 'ipv4', value: '45.33.32.156' }),
    );
    expect(first.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({
      status: 'accepted',
      opensCase: false,
      joinsCaseOpenedBy: 0,
      correlation: { decision: 'joined_case', rule: 'same_rule' },
    });
    expect(third).toMatchObject({ status: 'duplicate', reason: 'fingerprint', repeatsItem: 0 });
    expect(third).not.toHaveProperty('alertId');
    expect(fourth).toMatchObject({ index: 3, status: 'rejected' });
    expect(fourth.reason).toMatch(/RFC 5424|RFC 3164/);
    expect(fifth).toMatchObject({ index: 4, status: 'rejected' });
    expect(await footprint()).toEqual(before);

    // What was previewed is what ingest then does; the preview left no case number used.
    const real = await ingest([alert('45.33.32.156', 'R-1'), alert('45.33.32.157', 'R-1')]);
    expect(real.json()).toMatchObject({ accepted: 2, casesCreated: 1 });
    const numbers = await handle.store.db.selectFrom('cases').select('number').execute();
    expect(numbers.map((n) => Number(n.number))).toEqual([1]);
  });

  it('names the stored alert a repeat would count on, and the existing case an alert would join, and why', async () => {
    const stored = (await ingest(alert('45.33.32.156', 'R-1'))).json();
    const { alertId, caseId } = stored.items[0];
    const before = await footprint();
    const res = await preview({
      source: 'edr',
      alerts: [alert('45.33.32.156', 'R-1'), alert('198.51.100.7', 'R-9', { dst_ip: '45.33.32.156' })],
    });
    expect(res.statusCode, res.body).toBe(200);
    const [repeat, joining] = res.json().items;
    expect(repeat).toMatchObject({
      status: 'duplicate',
      reason: 'fingerprint',
      alertId,
      caseId,
      case: { id: caseId, number: 1, status: 'new' },
    });
    expect(joining).toMatchObject({
      status: 'accepted',
      opensCase: false,
      correlation: { decision: 'joined_case', rule: 'shared_observable', caseId },
      case: { id: caseId, number: 1 },
    });
    expect(joining.correlation.reason).toContain('45.33.32.156');
    expect(await footprint()).toEqual(before);
    // A retry by event id that says something else: counted on the stored alert, with its own fingerprint.
    await ingest(alert('45.33.32.200', 'R-2', { id: 'ev-1' }));
    const retried = (
      await preview({ source: 'edr', alerts: [alert('45.33.32.201', 'R-3', { id: 'ev-1' })] })
    ).json();
    const original = await handle.store.db
      .selectFrom('alerts')
      .select(['id', 'fingerprint'])
      .where('source_event_id', '=', 'ev-1')
      .executeTakeFirstOrThrow();
    expect(retried.items[0]).toMatchObject({
      status: 'duplicate',
      reason: 'source_event_id',
      alertId: original.id,
    });
    expect(retried.items[0].fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(retried.items[0].fingerprint).not.toBe(original.fingerprint);
    // A caller who may send alerts but not read cases gets no case summaries.
    const bare = (await preview({ source: 'edr', alerts: [alert('45.33.32.156', 'R-1')] }, 'ingest')).json();
    expect(bare.items[0]).toMatchObject({ status: 'duplicate', alertId });
    expect(bare.items[0]).not.toHaveProperty('case');
  });

  it('tries a generic mapping given in the request, before it is saved on a source', async () => {
    const res = await preview({
      source: 'new-tool',
      mapper: 'generic',
      mapperConfig: {
        title: 'event.name',
        severity: 'event.level',
        ruleId: 'event.rule',
        observables: [{ path: 'host.address', type: 'ipv4', role: 'affected' }],
      },
      alerts: [{ event: { name: 'Odd login', level: 'high', rule: 'L-1' }, host: { address: '45.33.32.9' } }],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items[0]).toMatchObject({
      status: 'accepted',
      mapper: 'generic',
      alert: {
        title: 'Odd login',
        severity: 'high',
        origin: { ruleId: 'L-1' },
        observables: [expect.objectContaining({ value: '45.33.32.9', role: 'affected' })],
      },
    });
  });

  it('refuses callers who may not send alerts, bodies it cannot take, and sources a token may not send for', async () => {
    expect((await preview({ alerts: [alert('45.33.32.156', 'R-1')] }, 'viewer')).statusCode).toBe(403);
    for (const body of [
      { alerts: [] },
      { alerts: Array.from({ length: 101 }, () => alert('45.33.32.156', 'R-1')) },
      { alerts: [alert('45.33.32.156', 'R-1')], extra: true },
      { alerts: [alert('45.33.32.156', 'R-1')], mapper: 'generic', mapperConfig: { titel: 'x' } },
      { source: 'Bad Name', alerts: [alert('45.33.32.156', 'R-1')] },
    ]) {
      const res = await preview(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });
});
