import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { createCase, createCases, type NewCase } from '../../src/store/cases/case.repository.js';
import type { Store } from '../../src/store/store.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const NOW = Date.UTC(2026, 0, 1);

const INPUTS: NewCase[] = [
  { title: 'Beacon to C2', severity: 'high', actor: SYSTEM_ACTOR, origin: { alertId: 'a1', reason: 'r' } },
  { title: 'Phishing wave', severity: 'low', actor: SYSTEM_ACTOR, tags: ['mail', 'wave'] },
  { title: 'Ransom note', severity: 'critical', assignee: 'ana', actor: SYSTEM_ACTOR, description: 'files' },
];

/** What opening a case wrote, per case in number order, without the ids and numbers that differ run to run. */
async function written(store: Store, caseIds: readonly string[]) {
  const db = store.db;
  const out = [];
  for (const id of caseIds) {
    const kase = await db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const { id: _id, number: _n, ...row } = kase;
    const events = await db
      .selectFrom('case_events')
      .select(['type', 'at', 'actor_id', 'data'])
      .where('case_id', '=', id)
      .orderBy('id')
      .execute();
    const milestones = await db.selectFrom('case_milestones').selectAll().where('case_id', '=', id).execute();
    const search = await db.selectFrom('case_search').select('body').where('case_id', '=', id).execute();
    const tags = await db
      .selectFrom('case_tags')
      .select('tag')
      .where('case_id', '=', id)
      .orderBy('tag')
      .execute();
    const jobs = await db
      .selectFrom('queue_jobs')
      .select(['queue', 'kind', 'run_at', 'payload'])
      .where('payload', 'like', `%${id}%`)
      .orderBy('run_at')
      .execute();
    out.push({
      row: { ...row, created_at: Number(row.created_at), updated_at: Number(row.updated_at) },
      events: events.map((e) => {
        const { number: _num, ...data } = JSON.parse(e.data) as Record<string, unknown>;
        return { ...e, at: Number(e.at), data };
      }),
      milestones: milestones.map(({ case_id: _c, ...m }) => ({ ...m, created_at: Number(m.created_at) })),
      search,
      tags,
      jobs: jobs.map((j) => ({ ...j, run_at: Number(j.run_at), payload: j.payload.replace(id, '<case>') })),
    });
  }
  return out;
}

describe.each(DIALECTS)('opening cases set-wise on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  it('writes for each case what opening it alone writes, with numbers in input order', async () => {
    const db = handle.store.db;
    const alone = [];
    for (const input of INPUTS)
      alone.push(await db.transaction().execute((trx) => createCase(trx, { newId: newTestId }, input, NOW)));
    const given = newTestId();
    const together = await db.transaction().execute((trx) =>
      createCases(
        trx,
        { newId: newTestId },
        INPUTS.map((input, i) => (i === 0 ? { ...input, id: given } : input)),
        NOW,
      ),
    );
    expect(together.map((c) => c.number)).toEqual([4, 5, 6]);
    expect(together[0]?.id).toBe(given);
    const first = await written(
      handle.store,
      alone.map((c) => c.id),
    );
    const second = await written(
      handle.store,
      together.map((c) => c.id),
    );
    expect(second).toEqual(first);
    // Each opened case is on its timeline, projected, searchable and timed.
    expect(second.every((c) => c.events.length === 1 && c.milestones.length === 1)).toBe(true);
    expect(second.every((c) => c.search.length === 1 && c.jobs.length > 0)).toBe(true);
    expect(second[1]?.tags.map((t) => t.tag)).toEqual(['mail', 'wave']);
    expect(second[0]?.events[0]?.data).toEqual({ severity: 'high', alertId: 'a1', reason: 'r' });
  });
});
