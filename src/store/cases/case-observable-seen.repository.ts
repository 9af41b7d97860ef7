import { sql, type Kysely, type Transaction } from 'kysely';
import { chunks } from '../chunks.js';
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
  // Built with `sql`: a union of a hundred built queries costs more to build than to run (see
  // findOpenCasesByRules). SQLite allows LIMIT only on a compound's last part, hence the derived tables. The
  // case is checked by a scalar subquery, which neither store turns into a join: as a join, PostgreSQL with
  // young statistics drove it from the cases (one probe per case, 70 ms a walk) instead of walking the index.
  const latest = (id: string, i: number) => sql`select * from (
    select co.observable_id, co.case_id, co.last_seen from case_observables co
    where co.observable_id = ${id} and co.last_seen >= ${since}
      and (select c.status != 'closed' and c.merged_into is null from cases c where c.id = co.case_id)
    order by co.last_seen desc, co.case_id desc limit 1) ${sql.id(`o${i}`)}`;
  // Most observables of a batch were never seen in a case within the window (a scanner's fresh source
  // addresses): one index-only read finds those that were, and only they are walked.
  const seen: string[] = [];
  for (const chunk of chunks([...new Set(observableIds)], 500)) {
    const rows = await db
      .selectFrom('case_observables')
      .select('observable_id')
      .distinct()
      .where('observable_id', 'in', chunk)
      .where('last_seen', '>=', since)
      .execute();
    for (const r of rows) seen.push(r.observable_id);
  }
  for (const chunk of chunks(seen, 100)) {
    const { rows } = await sql<{
      observable_id: string;
      case_id: string;
      last_seen: number | string;
    }>`${sql.join(
      chunk.map((id, i) => latest(id, i)),
      sql` union all `,
    )}`.execute(db);
    for (const r of rows)
      out.push({ observableId: r.observable_id, caseId: r.case_id, lastSeen: Number(r.last_seen) });
  }
  return out;
}
