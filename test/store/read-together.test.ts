import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTogether } from '../../src/store/read-together.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('lookups read together on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  it('answers each lookup as it would alone, through several queries each, in as many round trips as the longest', async () => {
    const db = handle.store.db;
    const queue = `q-${newTestId()}`;
    const ids = [newTestId(), newTestId(), newTestId()];
    for (const [i, id] of ids.entries())
      await db
        .insertInto('queue_jobs')
        .values({
          id,
          queue,
          kind: `k${i}`,
          payload: 'null',
          dedupe_key: null,
          status: 'ready',
          run_at: 10 + i,
          max_attempts: 3,
          lease_owner: null,
          lease_token: null,
          lease_until: null,
          last_error: null,
          created_at: 2 ** 40 + i,
          updated_at: 0,
        })
        .execute();
    let roundTrips = 0;
    const answers = await db.transaction().execute(async (trx) => {
      const counted = trx.withPlugin({
        transformQuery: ({ node }) => node,
        transformResult: ({ result }) => {
          roundTrips += 1;
          return Promise.resolve(result);
        },
      });
      return readTogether<[Array<{ id: string; run_at: number; created_at: number }>, string[], number]>(
        counted,
        handle.store.dialect,
        [
          (d) =>
            d
              .selectFrom('queue_jobs')
              .select(['id', 'run_at', 'created_at'])
              .where('queue', '=', queue)
              .orderBy('run_at')
              .execute(),
          // Two queries one after the other, the second built from the first's answer.
          async (d) => {
            const first = await d
              .selectFrom('queue_jobs')
              .select('kind')
              .where('id', '=', ids[0] as string)
              .execute();
            const kinds = first.map((r) => r.kind);
            const second = await d
              .selectFrom('queue_jobs')
              .select('kind')
              .where('queue', '=', queue)
              .where('kind', 'not in', kinds)
              .orderBy('kind')
              .execute();
            return [...kinds, ...second.map((r) => r.kind)];
          },
          async (d) => {
            const { rows } = await sql<{
              n: number;
            }>`select count(*) as n from queue_jobs where queue = ${queue} and kind = ${"it's"}`.execute(d);
            return Number(rows[0]?.n);
          },
        ],
      );
    });
    expect(answers).toEqual([
      ids.map((id, i) => ({ id, run_at: 10 + i, created_at: 2 ** 40 + i })),
      ['k0', 'k1', 'k2'],
      0,
    ]);
    // SQLite runs the four queries one by one; PostgreSQL sends three together, then the second lookup's second.
    expect(roundTrips).toBe(dialect === 'postgres' ? 2 : 4);
  });

  it('fails every lookup waiting with a query that fails', async () => {
    await expect(
      handle.store.db
        .transaction()
        .execute((trx) =>
          readTogether<[unknown, unknown]>(trx, handle.store.dialect, [
            (d) => d.selectFrom('queue_jobs').select('id').execute(),
            (d) => sql`select * from no_such_table`.execute(d),
          ]),
        ),
    ).rejects.toThrow(/no_such_table/);
  });
});
