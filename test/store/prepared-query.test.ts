import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedQuery, preparedRowsQuery } from '../../src/store/prepared-query.js';
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

  it('writes inside the transaction it is given: rolled back with it, seen by its reads, counted alike', async () => {
    const db = handle.store.db;
    const queue = `q-${newTestId()}`;
    await expect(
      db.transaction().execute(async (trx) => {
        await insertJob(trx, { id: newTestId(), queue, runAt: 1 });
        // Kysely's own builder in the same transaction sees the prepared statement's row.
        const seen = await trx.selectFrom('queue_jobs').select('id').where('queue', '=', queue).execute();
        expect(seen).toHaveLength(1);
        const bumped = await bump(trx, { queue });
        expect(bumped.rows.map((r) => r.attempts)).toEqual([1]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const left = await db.selectFrom('queue_jobs').select('id').where('queue', '=', queue).execute();
    expect(left).toEqual([]);
    const updated = await db.transaction().execute(async (trx) => {
      await insertJob(trx, { id: newTestId(), queue, runAt: 2 });
      return bump(trx, { queue });
    });
    expect(updated.rows).toHaveLength(1);
  });
});

interface JobRow {
  id: string;
  queue: string;
  run_at: number;
  last_error?: string | null;
}
// Compiled statements cached for up to two rows: three rows are built each time, the same way.
const insertJobs = preparedRowsQuery<JobRow, { kind: string }>(
  ['id', 'queue', 'run_at', 'last_error'],
  (db, rows, slot) =>
    db.insertInto('queue_jobs').values(
      rows.map((r) => ({
        ...r,
        kind: slot('kind'),
        payload: 'null',
        dedupe_key: null,
        status: 'ready',
        max_attempts: 3,
        lease_owner: null,
        lease_token: null,
        created_at: 0,
        updated_at: 0,
      })),
    ),
  2,
);

describe.each(DIALECTS)('prepared multi-row queries on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  it('binds each row’s values and the named ones, whatever the row count, cached or not', async () => {
    const db = handle.store.db;
    const queue = `q-${newTestId()}`;
    const row = (n: number, lastError?: string): JobRow => ({
      id: newTestId(),
      queue,
      run_at: n,
      ...(lastError ? { last_error: lastError } : {}),
    });
    await insertJobs(db, [row(1, 'e1'), row(2)], { kind: 'a' });
    await db.transaction().execute(async (trx) => {
      await insertJobs(trx, [row(3), row(4, 'e4')], { kind: 'b' });
      await insertJobs(trx, [row(5)], { kind: 'c' });
      await insertJobs(trx, [row(6), row(7), row(8, 'e8')], { kind: 'd' });
    });
    const rows = await db
      .selectFrom('queue_jobs')
      .select(['run_at', 'kind', 'last_error'])
      .where('queue', '=', queue)
      .orderBy('run_at')
      .execute();
    expect(rows).toEqual([
      { run_at: 1, kind: 'a', last_error: 'e1' },
      { run_at: 2, kind: 'a', last_error: null },
      { run_at: 3, kind: 'b', last_error: null },
      { run_at: 4, kind: 'b', last_error: 'e4' },
      { run_at: 5, kind: 'c', last_error: null },
      { run_at: 6, kind: 'd', last_error: null },
      { run_at: 7, kind: 'd', last_error: null },
      { run_at: 8, kind: 'd', last_error: 'e8' },
    ]);
  });
});
