import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedAlert } from '../../src/domain/alerts/alert.js';
import { findAlertById, insertAlerts } from '../../src/store/alerts/alert.repository.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const alert: NormalizedAlert = {
  classUid: 2004,
  time: 1_760_000_000_000,
  title: 'ET SCAN Nmap',
  description: 'a scan',
  severity: 'high',
  severityOriginal: '2',
  category: 'Attempted Recon',
  origin: { product: 'Suricata', vendor: 'OISF', ruleId: '1:2000001', ruleName: 'ET SCAN Nmap' },
  sourceEventId: 'flow-1',
  techniques: ['T1046'],
  observables: [{ type: 'ipv4', value: '45.33.0.1', role: 'source', scope: 'public' }],
  raw: { flow_id: 1, alert: { signature: 'ET SCAN Nmap' } },
};

describe.each(DIALECTS)('stored alert rows on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  const store = async () => {
    const id = newTestId();
    await insertAlerts(handle.store.db, [
      {
        id,
        source: 'ids',
        mapper: 'suricata',
        fingerprint: 'f'.repeat(64),
        alert,
        caseId: null,
        correlation: null,
        now: 5,
      },
    ]);
    return id;
  };

  it('keep in `normalized` only the fields without a column of their own, and read back the whole alert', async () => {
    const id = await store();
    const row = await handle.store.db
      .selectFrom('alerts')
      .select('normalized')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(Object.keys(JSON.parse(row.normalized) as object).sort()).toEqual([
      'classUid',
      'description',
      'observables',
      'techniques',
    ]);
    const read = await findAlertById(handle.store.db, id);
    const { raw, ...normalized } = alert;
    expect(read).toMatchObject({ ...normalized, raw, source: 'ids', fingerprint: 'f'.repeat(64), count: 1 });
    expect(Object.keys(read ?? {}).slice(0, 12)).toEqual(Object.keys(alert));
  });

  it('read rows written by earlier versions, whose `normalized` holds the whole normalised alert', async () => {
    const id = await store();
    const { raw: _raw, ...whole } = alert;
    await handle.store.db
      .updateTable('alerts')
      .set({ normalized: JSON.stringify(whole) })
      .where('id', '=', id)
      .execute();
    const { raw, ...normalized } = alert;
    expect(await findAlertById(handle.store.db, id)).toMatchObject({ ...normalized, raw });
  });
});
