import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeCases, moveAlert } from '../../src/app/cases/case-commands.js';
import { ingestAlerts, type IngestResult } from '../../src/app/ingest/ingest-alerts.js';
import { IngestSettings } from '../../src/app/ingest/ingest-settings.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { refreshCaseObservableSeen } from '../../src/store/cases/case-observable-seen.repository.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
/** Correlation within an hour, so sightings can fall in and out of the window. */
const SETTINGS = IngestSettings.parse({ correlation: { windowMs: 60 * MIN } });

const accepted = (res: IngestResult): { alertId: string; caseId: string; caseCreated: boolean } => {
  const item = res.items[0];
  if (item?.status !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(item)}`);
  return item;
};

describe.each(DIALECTS)('observable correlation on %s', (dialect) => {
  let handle: TestStoreHandle;
  let clock: ManualClock;
  let ctx: ReturnType<typeof createTestContext>;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    clock = new ManualClock(T0);
    ctx = createTestContext(handle.store, { clock });
  });
  afterEach(async () => handle.cleanup());

  const send = (value: Record<string, unknown>) =>
    ingestAlerts(ctx, { source: 'custom', items: [{ kind: 'json', value }] }, SYSTEM_ACTOR, SETTINGS);
  const deps = () => ({ newId: newTestId, dialect: handle.store.dialect });

  /** Every case's link to an observable with the time it was last seen, in a stable order. */
  const links = async () =>
    (
      await handle.store.db
        .selectFrom('case_observables')
        .select(['case_id', 'observable_id', 'last_seen'])
        .orderBy('case_id')
        .orderBy('observable_id')
        .execute()
    ).map((r) => ({ ...r, last_seen: r.last_seen === null ? null : Number(r.last_seen) }));

  it('counts a repeat as a sighting of its observables, so their case stays joinable', async () => {
    const first = accepted(await send({ title: 'Beacon', rule_id: 'r1', src_ip: '203.0.114.9', id: 'e1' }));
    clock.advance(50 * MIN);
    // Same fingerprint, another event id: a repeat, counted on the stored alert.
    const repeat = await send({ title: 'Beacon', rule_id: 'r1', src_ip: '203.0.114.9', id: 'e2' });
    expect(repeat.items[0]).toMatchObject({ status: 'duplicate', reason: 'fingerprint' });
    clock.advance(40 * MIN);
    // 90 minutes after the first sighting, 40 after the repeat: within the hour of the latest.
    const other = accepted(await send({ title: 'Scan', rule_id: 'r2', src_ip: '203.0.114.9', id: 'e3' }));
    expect(other).toMatchObject({ caseId: first.caseId, caseCreated: false });
  });

  it('follows an alert that moved: its observables are seen in the case it joined, no longer in the one it left', async () => {
    const a = accepted(await send({ title: 'Beacon', rule_id: 'r1', src_ip: '203.0.114.9', id: 'e1' }));
    clock.advance(MIN);
    const b = accepted(await send({ title: 'Phish', rule_id: 'r2', src_ip: '198.51.100.7', id: 'e2' }));
    expect(b.caseId).not.toBe(a.caseId);
    clock.advance(MIN);
    await handle.store.db
      .transaction()
      .execute((trx) =>
        moveAlert(trx, deps(), { alertId: a.alertId, toCaseId: b.caseId, actor: SYSTEM_ACTOR }, clock.now()),
      );
    clock.advance(MIN);
    const c = accepted(await send({ title: 'Scan', rule_id: 'r3', src_ip: '203.0.114.9', id: 'e3' }));
    expect(c).toMatchObject({ caseId: b.caseId, caseCreated: false });
  });

  it('keeps the sightings equal to their recomputation from the alerts, through repeats, moves and merges', async () => {
    const ips = ['203.0.114.9', '198.51.100.7', '192.0.2.44'];
    const made: Array<{ alertId: string; caseId: string }> = [];
    for (let i = 0; i < 6; i += 1) {
      clock.advance(MIN);
      const res = await ingestAlerts(
        ctx,
        {
          source: 'custom',
          items: [
            { kind: 'json', value: { title: `t${i}`, rule_id: `r${i}`, src_ip: ips[i % 3], id: `a${i}` } },
            { kind: 'json', value: { title: `t${i}`, rule_id: `r${i}`, src_ip: ips[i % 3], id: `b${i}` } },
          ],
        },
        SYSTEM_ACTOR,
        IngestSettings.parse({ correlation: { enabled: false } }),
      );
      made.push(accepted(res));
    }
    const [m0, m1, m2, m3] = made as [(typeof made)[0], (typeof made)[0], (typeof made)[0], (typeof made)[0]];
    clock.advance(MIN);
    await handle.store.db.transaction().execute(async (trx) => {
      await moveAlert(
        trx,
        deps(),
        { alertId: m0.alertId, toCaseId: m1.caseId, actor: SYSTEM_ACTOR },
        clock.now(),
      );
      await mergeCases(
        trx,
        deps(),
        { survivorId: m2.caseId, mergedId: m3.caseId, actor: SYSTEM_ACTOR },
        clock.now(),
      );
    });
    const kept = await links();
    expect(kept.filter((l) => l.last_seen !== null).length).toBeGreaterThan(0);
    await handle.store.db.updateTable('case_observables').set({ last_seen: null }).execute();
    await refreshCaseObservableSeen(handle.store.db);
    expect(await links()).toEqual(kept);
  });
});
