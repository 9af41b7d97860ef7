import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestAlerts, type IngestItem } from '../../src/app/ingest/ingest-alerts.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { findAlertById } from '../../src/store/alerts/alert.repository.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const T0 = Date.UTC(2026, 0, 1);

/** One login alert, the same fingerprint whatever its event id: a later one is a repeat of the first. */
const login = (id: string): IngestItem => ({
  kind: 'json',
  value: { id, title: 'Suspicious login', severity: 'high', user: 'alice', src_ip: '45.33.1.9' },
});

describe.each(DIALECTS)('a retry of an event counted as a fingerprint repeat on %s', (dialect) => {
  let handle: TestStoreHandle;
  let clock: ManualClock;
  let ctx: ReturnType<typeof createTestContext>;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    clock = new ManualClock(T0);
    ctx = createTestContext(handle.store, { clock });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await handle.cleanup();
  });

  const ingest = (...items: IngestItem[]) => ingestAlerts(ctx, { source: 'idp', items }, SYSTEM_ACTOR);

  /** The alert `e1` is stored as, and its case. */
  async function stored(): Promise<{ alertId: string; caseId: string }> {
    const first = await ingest(login('e1'));
    const item = first.items[0];
    if (item?.status !== 'accepted') throw new Error('expected accepted');
    return { alertId: item.alertId, caseId: item.caseId };
  }

  it('changes nothing, and is answered as a retry naming the alert it was counted on and its case', async () => {
    const a = await stored();
    clock.advance(1_000);
    const repeat = await ingest(login('e2'));
    expect(repeat.items[0]).toMatchObject({ status: 'duplicate', reason: 'fingerprint', ...a });
    for (const later of [2_000, 3_000]) {
      clock.advance(later);
      const retry = await ingest(login('e2'));
      expect(retry).toMatchObject({ accepted: 0, duplicates: 1 });
      expect(retry.items[0]).toEqual({ index: 0, status: 'duplicate', reason: 'source_event_id', ...a });
    }
    expect(await findAlertById(handle.store.db, a.alertId)).toMatchObject({
      count: 2,
      lastSeen: T0 + 1_000,
    });
    // The first event's retries are answered as they always were.
    const retryOfFirst = await ingest(login('e1'));
    expect(retryOfFirst.items[0]).toMatchObject({ status: 'duplicate', reason: 'source_event_id', ...a });
  });

  it('is answered as a retry when it comes in the same batch as its first delivery', async () => {
    // The repeat's alert new in the same batch: counted once, the retry named with the case it went to.
    const res = await ingest(login('e1'), login('e2'), login('e2'));
    const first = res.items[0];
    if (first?.status !== 'accepted') throw new Error('expected accepted');
    const a = { alertId: first.alertId, caseId: first.caseId };
    expect(res.items.slice(1)).toEqual([
      { index: 1, status: 'duplicate', reason: 'fingerprint', ...a },
      { index: 2, status: 'duplicate', reason: 'source_event_id', ...a },
    ]);
    expect((await findAlertById(handle.store.db, a.alertId))?.count).toBe(2);
    // The repeat's alert stored before: the same, and a later retry finds the event too.
    clock.advance(1_000);
    const next = await ingest(login('e3'), login('e3'));
    expect(next.items).toEqual([
      { index: 0, status: 'duplicate', reason: 'fingerprint', ...a },
      { index: 1, status: 'duplicate', reason: 'source_event_id', ...a },
    ]);
    const retries = await ingest(login('e2'), login('e3'));
    expect(retries.items.map((i) => i.status === 'duplicate' && i.reason)).toEqual([
      'source_event_id',
      'source_event_id',
    ]);
    expect((await findAlertById(handle.store.db, a.alertId))?.count).toBe(3);
  });

  it('counts the event once when its deliveries arrive concurrently', async () => {
    const a = await stored();
    clock.advance(1_000);
    const answers = await Promise.all(Array.from({ length: 4 }, () => ingest(login('e2'))));
    const reasons = answers.map((r) => (r.items[0]?.status === 'duplicate' ? r.items[0].reason : 'other'));
    expect(reasons.sort()).toEqual(['fingerprint', 'source_event_id', 'source_event_id', 'source_event_id']);
    for (const r of answers) expect(r.items[0]).toMatchObject(a);
    expect((await findAlertById(handle.store.db, a.alertId))?.count).toBe(2);
  });

  it('counts 16 repeats and records their event ids in 6 round trips on PostgreSQL', async () => {
    await stored();
    clock.advance(1_000);
    let roundTrips = 0;
    const query = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      // Not the wake-up the first alert sent (not waited for, it may come after the spy is set).
      if (!/^select pg_notify/.test(String((args[0] as { text?: string }).text ?? args[0]))) roundTrips += 1;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query);
    const res = await ingest(...Array.from({ length: 16 }, (_, i) => login(`r${i}`)));
    vi.restoreAllMocks();
    expect(res).toMatchObject({ accepted: 0, duplicates: 16 });
    // Begin, the event ids, fingerprints and stored rules together, the counts, case links and event ids
    // together, 2 for the audit, commit. Before the event ids were recorded: 7 (counts and links apart).
    if (dialect === 'postgres') expect(roundTrips).toBeLessThanOrEqual(6);
    const retries = await ingest(...Array.from({ length: 16 }, (_, i) => login(`r${i}`)));
    expect(retries.items.every((i) => i.status === 'duplicate' && i.reason === 'source_event_id')).toBe(true);
  });
});
