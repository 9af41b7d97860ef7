import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { mapItem } from '../../src/app/ingest/map-item.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const EVE = JSON.parse(
  readFileSync(
    '/work/shared/samples/suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson',
    'utf8',
  ).split('\n')[0] as string,
) as Record<string, unknown>;
// Two flows of one detection: only flow_id and time differ.
const flowA = { ...EVE, flow_id: 111, timestamp: '2025-10-09T11:15:05.000000+0000' };
const flowB = { ...EVE, flow_id: 222, timestamp: '2025-10-09T11:15:06.000000+0000' };
const json = { 'content-type': 'application/json' };
const NOW = Date.UTC(2025, 9, 10);

// Found by a review of JSON carried by syslog: a raw.<path> fingerprint key read the whole message (a string)
// and every event was a repeat of the first; and an application's JSON log went to the common-field fallback,
// losing the header's severity, app and host, so the same message from two hosts was one alert.
describe.each(DIALECTS)(
  'JSON carried by syslog, de-duplicated and grouped as its sender meant, on %s',
  (dialect) => {
    let handle: TestStoreHandle;
    let api: TestApi;
    beforeEach(async () => {
      handle = await openTestStore(dialect);
      api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }]);
    });
    afterEach(async () => {
      await api.app.close();
      await handle.cleanup();
    });
    const send = (source: string, payload: unknown) =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/alerts?source=${source}&mapper=syslog`,
        payload: JSON.stringify(payload),
        headers: { ...json, ...asRole('ingest') },
      });

    it('reads a raw.<path> fingerprint key inside the carried JSON, as over HTTP', async () => {
      const rules = await api.app.inject({
        method: 'PUT',
        url: '/api/v1/ingest/settings',
        payload: JSON.stringify({ fingerprintKeys: ['origin.ruleId', 'raw.flow_id'] }),
        headers: { ...json, ...asRole('admin') },
      });
      expect(rules.statusCode).toBe(200);
      const overHttp = await api.app.inject({
        method: 'POST',
        url: '/api/v1/alerts?source=http',
        payload: JSON.stringify([flowA, flowB]),
        headers: { ...json, ...asRole('ingest') },
      });
      expect(overHttp.json()).toMatchObject({ accepted: 2, duplicates: 0 });
      const overSyslog = await send('ids', [
        `<14>1 2025-10-09T11:15:05.000Z sensor-1 suricata 4242 - - ${JSON.stringify(flowA)}`,
        `<14>1 2025-10-09T11:15:06.000Z sensor-1 suricata 4242 - - ${JSON.stringify(flowB)}`,
        // The same flow again: a repeat, counted.
        `<14>1 2025-10-09T11:15:07.000Z sensor-1 suricata 4242 - - ${JSON.stringify(flowA)}`,
      ]);
      expect(overSyslog.json()).toMatchObject({ accepted: 2, duplicates: 1 });
      const mappers = await handle.store.db
        .selectFrom('alerts')
        .select('mapper')
        .where('source', '=', 'ids')
        .execute();
      expect(mappers.map((m) => m.mapper)).toEqual(['suricata', 'suricata']);
    });

    it("maps an application's own JSON log as the syslog message it is: severity, app and host kept", async () => {
      const text = mapItem(
        { kind: 'text', value: '<10>1 2025-10-09T11:15:06Z web-1 shop 77 - - disk failure on /dev/sda' },
        { now: NOW },
      );
      const carried = mapItem(
        {
          kind: 'text',
          value: '<10>1 2025-10-09T11:15:06Z web-1 shop 77 - - {"message":"disk failure on /dev/sda"}',
        },
        { now: NOW },
      );
      expect(carried).toMatchObject({ ok: true, mapper: 'syslog' });
      expect(carried.ok && carried.alert.severity).toBe(text.ok && text.alert.severity);
      expect(carried.ok && carried.alert.observables).toContainEqual(
        expect.objectContaining({ type: 'hostname', value: 'web-1' }),
      );
      const twoHosts = await send('apps', [
        '<10>1 2025-10-09T11:15:06Z web-1 shop 77 - - {"message":"disk failure on /dev/sda"}',
        '<10>1 2025-10-09T11:15:07Z web-2 shop 78 - - {"message":"disk failure on /dev/sda"}',
      ]);
      expect(twoHosts.json()).toMatchObject({ accepted: 2, duplicates: 0 });
    });
  },
);
