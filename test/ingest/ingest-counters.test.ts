import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { metricsRoutes } from '../../src/api/metrics/metrics.routes.js';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

// Two sightings of one detection (one fingerprint), and one of another.
const alert = (id: string, rule = 'scan-1') =>
  ({ id, title: 'Port scan', severity: 'high', rule: { id: rule }, src_ip: '45.33.32.156' }) as const;

describe('ingest counters on the Prometheus scrape', () => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
    api = await buildTestApi(handle.store, [
      { name: 'alerts', plugin: alertsRoutes },
      { name: 'metrics', plugin: metricsRoutes },
    ]);
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const scrape = async (): Promise<string> => {
    const res = await api.app.inject({ url: '/api/v1/metrics/prometheus', headers: asRole('viewer') });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it('counts alerts by source and outcome, and syslog frames that could not be cut, as counters', async () => {
    const before = await scrape();
    expect(before).toContain('# TYPE riposte_ingest_alerts_total counter');
    expect(before).not.toMatch(/^riposte_ingest_alerts_total\{/m);

    const post = (source: string, payload: unknown) =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/alerts?source=${source}`,
        payload: JSON.stringify(payload),
        headers: { 'content-type': 'application/json', ...asRole('ingest') },
      });
    expect((await post('edr', [alert('a1'), alert('a2'), 42])).json()).toMatchObject({
      accepted: 1,
      duplicates: 1,
      rejected: 1,
    });
    expect((await post('edr', alert('a3', 'scan-2'))).json()).toMatchObject({ accepted: 1 });
    expect((await post('ids', alert('b1'))).json()).toMatchObject({ accepted: 1 });

    // Over TCP: a frame whose octet count is over the limit cannot be cut; a line of no grammar is a
    // rejected alert of the syslog source.
    const l = await startSyslogListeners(api.ctx, { host: '127.0.0.1', tcpPort: 0 });
    const tcp = net.connect(l.ports.tcp ?? 0, '127.0.0.1');
    await new Promise<void>((r) => tcp.once('connect', () => r()));
    await new Promise<void>((r) => tcp.end('garbage that is not syslog\n99999999 x', () => r()));
    for (let i = 0; i < 500 && (l.stats.received < 1 || l.stats.frameErrors < 1); i += 1)
      await new Promise((r) => setTimeout(r, 10));
    await l.close();

    const after = await scrape();
    const value = (labels: string): number | undefined => {
      const m = new RegExp(`^riposte_ingest_alerts_total\\{${labels}\\} (\\d+)$`, 'm').exec(after);
      return m ? Number(m[1]) : undefined;
    };
    expect(value('source="edr",outcome="accepted"')).toBe(2);
    expect(value('source="edr",outcome="duplicate"')).toBe(1);
    expect(value('source="edr",outcome="rejected"')).toBe(1);
    expect(value('source="ids",outcome="accepted"')).toBe(1);
    expect(value('source="syslog",outcome="rejected"')).toBe(1);
    expect(value('source="ids",outcome="duplicate"')).toBeUndefined();
    expect(after).toMatch(/^riposte_syslog_frames_rejected_total\{transport="tcp"\} 1$/m);
    // Still after the response report's gauges, in one exposition.
    expect(after).toContain('# TYPE riposte_cases_open gauge');
  });
});
