import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIngestBatcher } from '../../src/app/ingest/ingest-batcher.js';
import { IngestSettings } from '../../src/app/ingest/ingest-settings.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { findAlertById } from '../../src/store/alerts/alert.repository.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { createTestContext } from '../support/api.js';
import { failAlertInserts } from '../support/failing-inserts.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('createIngestBatcher on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  it('shares transactions between concurrent callers and answers each with its own items', async () => {
    const ctx = createTestContext(handle.store);
    const batcher = createIngestBatcher(ctx);
    const calls = Array.from({ length: 30 }, (_, i) =>
      batcher.submit(
        {
          source: 'api',
          items:
            i === 7
              ? [{ kind: 'json', value: { nothing: 'usable' } }]
              : [{ kind: 'json', value: { title: `alert ${i}`, id: `b${i}`, src_ip: `45.33.2.${i}` } }],
        },
        SYSTEM_ACTOR,
      ),
    );
    const results = await Promise.all(calls);
    for (const [i, r] of results.entries()) {
      if (i === 7) {
        expect(r).toMatchObject({ accepted: 0, rejected: 1, items: [{ index: 0, status: 'rejected' }] });
        continue;
      }
      expect(r).toMatchObject({ accepted: 1, rejected: 0, items: [{ index: 0, status: 'accepted' }] });
      const item = r.items[0];
      const alert =
        item?.status === 'accepted' ? await findAlertById(handle.store.db, item.alertId) : undefined;
      expect(alert?.title).toBe(`alert ${i}`);
    }
    // Fewer transactions (one audit entry each) than requests: the first runs alone, the rest are grouped.
    const audits = await readAuditEntries(handle.store.db, 0, 100);
    expect(audits.length).toBeLessThan(30);
    expect(audits.reduce((n, a) => n + Number(a.details.accepted ?? 0), 0)).toBe(29);
  });

  it('fails every caller of a transaction that fails, and keeps serving afterwards', async () => {
    const ctx = createTestContext(handle.store);
    const batcher = createIngestBatcher(ctx);
    await handle.store.db.schema.alterTable('alerts').renameTo('alerts_away').execute();
    const failing = await Promise.allSettled([
      batcher.submit(
        { source: 'api', items: [{ kind: 'json', value: { title: 'a', id: 'f1' } }] },
        SYSTEM_ACTOR,
      ),
      batcher.submit(
        { source: 'api', items: [{ kind: 'json', value: { title: 'b', id: 'f2' } }] },
        SYSTEM_ACTOR,
      ),
    ]);
    expect(failing.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await handle.store.db.schema.alterTable('alerts_away').renameTo('alerts').execute();
    const ok = await batcher.submit(
      { source: 'api', items: [{ kind: 'json', value: { title: 'c', id: 'f3' } }] },
      SYSTEM_ACTOR,
    );
    expect(ok.accepted).toBe(1);
  });

  it('answers callers whose transaction committed even when another transaction of the batch fails', async () => {
    const ctx = createTestContext(handle.store);
    // One alert per transaction, and the store fails the one titled "b" (not for its data: a broken trigger).
    const batcher = createIngestBatcher(ctx, IngestSettings.parse({ batchSize: 1 }));
    await failAlertInserts(handle.store, { broken: ['b'] });
    const answers = await Promise.allSettled(
      ['a', 'b', 'c'].map((title, i) =>
        batcher.submit(
          { source: 'api', items: [{ kind: 'json', value: { title, id: `g${i}` } }] },
          SYSTEM_ACTOR,
        ),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const titles = await handle.store.db.selectFrom('alerts').select('title').orderBy('title').execute();
    expect(titles.map((t) => t.title)).toEqual(['a', 'c']);
  });

  it.runIf(dialect === 'postgres')(
    'answers a caller whose alerts were stored when a refused alert of another caller was set apart and a third broke',
    async () => {
      const ctx = createTestContext(handle.store);
      const batcher = createIngestBatcher(ctx);
      await failAlertInserts(handle.store, { refused: ['b1'], broken: ['b2'] });
      const send = (titles: string[]) =>
        batcher.submit(
          { source: 'api', items: titles.map((title) => ({ kind: 'json' as const, value: { title } })) },
          SYSTEM_ACTOR,
        );
      // The first runs alone; the next two share a transaction.
      const answers = await Promise.allSettled([send(['x']), send(['a1', 'a2']), send(['b1', 'b2'])]);
      expect(answers.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect(answers[1]).toMatchObject({ value: { accepted: 2 } });
      const titles = await handle.store.db.selectFrom('alerts').select('title').orderBy('title').execute();
      expect(titles.map((t) => t.title)).toEqual(['a1', 'a2', 'x']);
    },
  );
});
