import { sql, type Kysely, type Transaction } from 'kysely';
import { chunks } from '../chunks.js';
import { latestPerKey, type IndexWalk } from '../latest-per-key.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Recomputes `case_observables.last_seen` from the alerts themselves: for each case and observable, the latest
 * `last_seen` of the case's alerts that carry it (null when none does). Its definition; used after alerts
 * move between cases (a merge, a moved alert) for the cases they left and joined, and by the migration that
 * introduced the column (every case, when `caseIds` is omitted).
 */
export async function refreshCaseObservableSeen(db: Db, caseIds?: readonly string[]): Promise<void> {
  const ids = caseIds ? [...new Set(caseIds)].sort() : undefined;
  if (ids?.length === 0) return;
  for (const chunk of ids ? chunks(ids, 500) : [undefined]) {
    const inCases = chunk ? sql`and a.case_id in (${sql.join(chunk)})` : sql``;
    let clear = db.updateTable('case_observables').set({ last_seen: null });
    if (chunk) clear = clear.where('case_id', 'in', chunk);
    await clear.execute();
    await sql`update case_observables set last_seen = s.seen
      from (select a.case_id, ao.observable_id, max(a.last_seen) as seen
            from alert_observables ao inner join alerts a on a.id = ao.alert_id
            where a.case_id is not null ${inCases}
            group by a.case_id, ao.observable_id) s
      where case_observables.case_id = s.case_id and case_observables.observable_id = s.observable_id`.execute(
      db,
    );
  }
}

/** An observable's walk of `(observable_id, last_seen, case_id)`, newest first, to the first open case. */
const OBSERVABLE_WALK: IndexWalk = (key, slot) =>
  sql`select co.case_id || '|' || co.last_seen from case_observables co
    where co.observable_id = ${key(1)} and co.last_seen >= ${slot('since')}
      and (select c.status != 'closed' and c.merged_into is null from cases c where c.id = co.case_id)
    order by co.last_seen desc, co.case_id desc limit 1`;

/**
 * For each observable: the open case that most recently saw it (through an alert) since `since`, and when.
 * Each observable is one descending walk of the `(observable_id, last_seen, case_id)` index that stops at the
 * first open case, so the cost stays flat however many alerts and cases carried it; ties go to the greatest
 * case id. The walks of a batch go in a few statements.
 */
export async function findOpenCasesByObservables(
  db: Db,
  observableIds: readonly string[],
  since: number,
): Promise<Array<{ observableId: string; caseId: string; lastSeen: number }>> {
  const out: Array<{ observableId: string; caseId: string; lastSeen: number }> = [];
  for (const chunk of chunks([...new Set(observableIds)], 500)) {
    const hits = await latestPerKey(
      db,
      chunk.map((id) => [id]),
      OBSERVABLE_WALK,
      { since },
    );
    hits.forEach((hit, i) => {
      const observableId = chunk[i];
      if (hit && observableId) out.push({ observableId, ...hit });
    });
  }
  return out;
}
