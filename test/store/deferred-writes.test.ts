import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineWrites, deferWrites, renumberPlaceholders } from '../../src/store/deferred-writes.js';
import { insertRows } from '../../src/store/insert-rows.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe('combining deferred writes', () => {
  it('renumbers placeholders after the first statement’s, but not inside quotes', () => {
    expect(renumberPlaceholders(`insert into t values ($1, '$2', "$3", $10, 'it''s $4')`, 5)).toBe(
      `insert into t values ($6, '$2', "$3", $15, 'it''s $4')`,
    );
  });

  it('sends one write as it is, several as one writable CTE, and splits past a few thousand bound values', () => {
    const write = (n: number) =>
      CompiledQuery.raw(
        `insert into t values ${Array.from({ length: n }, (_, i) => `($${i + 1})`).join(', ')}`,
        Array.from({ length: n }, (_, i) => i),
      );
    const one = write(2);
    expect(combineWrites([one])).toEqual([one]);
    const [together, ...rest] = combineWrites([write(2), write(3)]);
    expect(rest).toEqual([]);
    expect(together?.sql).toBe(
      'with w0 as (insert into t values ($1), ($2)), w1 as (insert into t values ($3), ($4), ($5)) select 1',
    );
    expect(together?.parameters).toEqual([0, 1, 0, 1, 2]);
    expect(combineWrites([write(1_500), write(1_500), write(1_500)]).length).toBe(2);
    expect(() => combineWrites([CompiledQuery.raw('select 1', [])])).toThrow(/only inserts/);
  });
});

describe.each(DIALECTS)('deferred writes on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  const job = (queue: string) => ({
    id: newTestId(),
    queue,
    kind: 'k',
    payload: 'null',
    dedupe_key: null,
    status: 'ready' as const,
    run_at: 1,
    max_attempts: 3,
    lease_owner: null,
    lease_token: null,
    lease_until: null,
    last_error: null,
    created_at: 0,
    updated_at: 0,
  });

  it('writes a parent and its child in one flush, and rolls back with the transaction when a write fails', async () => {
    const db = handle.store.db;
    const caseId = newTestId();
    const queue = `q-${newTestId()}`;
    await db.transaction().execute(async (trx) => {
      const writes = deferWrites(trx, handle.store.dialect);
      // The child first: foreign keys are checked once the whole statement ran.
      await insertRows(
        writes.db,
        'case_events',
        ['id', 'case_id', 'at', 'type', 'actor_type', 'actor_id', 'actor_name', 'data'],
        [
          {
            id: newTestId(),
            case_id: caseId,
            at: 1,
            type: 'note',
            actor_type: 'system',
            actor_id: 's',
            actor_name: 's',
            data: '{}',
          },
        ],
      );
      await writes.db
        .insertInto('cases')
        .values({
          id: caseId,
          number: 900_001,
          title: 'deferred',
          description: '',
          severity: 'low',
          priority: 4,
          status: 'new',
          resolution: null,
          assignee: null,
          tags: '[]',
          created_at: 1,
          updated_at: 1,
          closed_at: null,
          merged_into: null,
          case_type: null,
        })
        .execute();
      await writes.db.insertInto('queue_jobs').values(job(queue)).execute();
      await writes.flush();
    });
    expect(await db.selectFrom('case_events').select('type').where('case_id', '=', caseId).execute()).toEqual(
      [{ type: 'note' }],
    );
    expect(await db.selectFrom('queue_jobs').select('queue').where('queue', '=', queue).execute()).toEqual([
      { queue },
    ]);

    const clash = job(`${queue}-2`);
    await expect(
      db.transaction().execute(async (trx) => {
        const writes = deferWrites(trx, handle.store.dialect);
        await writes.db.insertInto('queue_jobs').values(clash).execute();
        await writes.db.insertInto('queue_jobs').values(clash).execute();
        await writes.flush();
      }),
    ).rejects.toThrow();
    expect(await db.selectFrom('queue_jobs').select('id').where('id', '=', clash.id).execute()).toEqual([]);
  });
});
