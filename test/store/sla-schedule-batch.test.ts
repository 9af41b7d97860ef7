import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../src/domain/shared/severity.js';
import { saveSlaPolicy } from '../../src/store/cases/sla-policy.repository.js';
import {
  scheduleOpenedCaseSlaChecks,
  scheduleSlaChecks,
} from '../../src/store/cases/sla-schedule.repository.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const NOW = Date.UTC(2026, 0, 1);
const SEVERITIES: Severity[] = ['critical', 'high', 'low', 'info'];

describe.each(DIALECTS)('SLA checks of opened cases, set-wise, on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  it('queues for each case the jobs scheduling it alone queues, under the configured policies', async () => {
    const db = handle.store.db;
    const deps = { newId: newTestId };
    await db.transaction().execute((trx) =>
      saveSlaPolicy(
        trx,
        {
          severity: 'high',
          policy: { acknowledge: 60_000, contain: 120_000, resolve: 180_000 },
          actorId: 'u',
        },
        NOW - 1,
      ),
    );
    const jobsOf = async (caseId: string) =>
      (
        await db
          .selectFrom('queue_jobs')
          .select(['queue', 'kind', 'run_at', 'payload', 'dedupe_key'])
          .where('payload', 'like', `%${caseId}%`)
          .orderBy('run_at')
          .execute()
      ).map((j) => ({
        ...j,
        run_at: Number(j.run_at),
        payload: j.payload.replace(caseId, '<case>'),
        dedupe_key: j.dedupe_key?.replace(caseId, '<case>'),
      }));
    const alone = SEVERITIES.map((severity) => ({ caseId: `alone-${severity}`, severity }));
    const together = SEVERITIES.map((severity) => ({ caseId: `batch-${severity}`, severity }));
    for (const c of alone) await db.transaction().execute((trx) => scheduleSlaChecks(trx, deps, c, NOW));
    const queued = await db.transaction().execute((trx) =>
      scheduleOpenedCaseSlaChecks(
        trx,
        deps,
        together.map((c) => ({ ...c, createdAt: NOW })),
        NOW,
      ),
    );
    expect(queued).toBeGreaterThan(0);
    for (const [i, c] of alone.entries()) {
      const expected = await jobsOf(c.caseId);
      expect(expected.length).toBeGreaterThan(0);
      expect(await jobsOf(together[i]?.caseId as string)).toEqual(expected);
    }
    const high = await jobsOf('batch-high');
    expect(high.map((j) => j.run_at)).toEqual([NOW + 60_000, NOW + 120_000, NOW + 180_000]);
    // Scheduling the same checks again queues nothing new.
    const again = await db.transaction().execute((trx) =>
      scheduleOpenedCaseSlaChecks(
        trx,
        deps,
        together.map((c) => ({ ...c, createdAt: NOW })),
        NOW,
      ),
    );
    expect(again).toBeGreaterThan(0);
    expect(await jobsOf('batch-high')).toEqual(high);
  });
});
