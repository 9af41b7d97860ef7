import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedQuery } from '../../src/store/prepared-query.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const insertJob = preparedQuery<{ id: string; queue: string; runAt: number }>((db, slot) =>
  db.insertInto('queue_jobs').values({
    id: slot('id'),
    queue: slot('queue'),
    kind: 'k',
    payload: 'null',
    dedupe_key: null,
    status: 'ready',
    run_at: slot('runAt'),
    max_attempts: 3,
    lease_owner: null,
    lease_token: null,
    lease_until: null,
    last_error: null,
    created_at: 0,
    updated_at: 0,
  }),
);
// `attempts + 1` is a parameter the builder adds itself: it must survive as compiled.
const bump = preparedQuery<{ queue: string }, { id: string; attempts: number }>((db, slot) =>
  db
    .updateTable('queue_jobs')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('queue', '=', slot('queue'))
    .returning(['id', 'attempts']),
);

describe.each(DIALECTS)('prepared queries on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  it('runs one compiled statement with each call’s values, in and out of transactions', async () => {
    const db = handle.store.db;
    const queue = `q-${newTestId()}`;
    await insertJob(db, { id: newTestId(), queue, runAt: 5 });
    await db.transaction().execute(async (trx) => {
      await insertJob(trx, { id: newTestId(), queue, runAt: 7 });
      await insertJob(trx, { id: newTestId(), queue: `${queue}-other`, runAt: 9 });
    });
    const rows = await db
      .selectFrom('queue_jobs')
      .select(['queue', 'run_at', 'kind', 'max_attempts'])
      .where('queue', 'like', `${queue}%`)
      .orderBy('run_at')
      .execute();
    expect(rows).toEqual([
      { queue, run_at: 5, kind: 'k', max_attempts: 3 },
      { queue, run_at: 7, kind: 'k', max_attempts: 3 },
      { queue: `${queue}-other`, run_at: 9, kind: 'k', max_attempts: 3 },
    ]);
    const first = await bump(db, { queue });
    const second = await bump(db, { queue });
    expect(first.rows.map((r) => r.attempts)).toEqual([1, 1]);
    expect(second.rows.map((r) => r.attempts)).toEqual([2, 2]);
    expect(Number(second.numAffectedRows ?? second.rows.length)).toBe(2);
  });
});
