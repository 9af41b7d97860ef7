import type { Kysely, Transaction } from 'kysely';
import type { Actor } from '../../domain/shared/actor.js';
import { chunks } from '../chunks.js';
import { insertCaseEvents } from '../cases/case.repository.js';
import { insertRows } from '../insert-rows.js';
import { preparedRowsQuery } from '../prepared-query.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

// The case side of storing a batch of alerts, set-wise: the rows `appendCaseEvent` and `addCaseObservables`
// (store/cases/case.repository.ts) write one statement at a time, here a few statements per batch.

// Run in every ingest transaction, with as many ids as cases took alerts: compiled once per count.
const touchCasesQuery = preparedRowsQuery<{ id: string }, { now: number }>(['id'], (db, rows, slot) =>
  db
    .updateTable('cases')
    .set({ updated_at: slot('now') })
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    ),
);

/**
 * Locks these cases until the transaction ends and answers those still open and not merged. On PostgreSQL a
 * case a merge or close holds is waited for and read as that committed it, and one that starts later waits
 * for this transaction. `for no key update`, the lock the batch's touch of the case takes anyway: with a
 * weaker (shared) one, two batches joining one case would each hold it and wait for the other to let go
 * before its touch (a deadlock). Rows are locked in id order.
 */
export async function lockOpenCases(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const open = new Set<string>();
  for (const chunk of chunks([...new Set(ids)].sort(), 500)) {
    const rows = await db
      .selectFrom('cases')
      .select('id')
      .where('id', 'in', chunk)
      .where('status', '!=', 'closed')
      .where('merged_into', 'is', null)
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
    for (const r of rows) open.add(r.id);
  }
  return open;
}

/**
 * Puts one `alerts_added` event on the timeline of each case that took alerts of the batch, listing them in
 * batch order (`data.alerts`: each alert's id and why it joined), and touches those cases. One event per case
 * rather than per alert: a batch of 1,000 alerts into 200 cases writes 200 timeline rows, not 1,000. Events
 * of type `alert_added` (one alert each) written before this remain valid timeline entries.
 */
export async function appendAlertsAddedEvents(
  db: Db,
  deps: { newId: () => string },
  actor: Actor,
  alerts: ReadonlyArray<{ caseId: string; alertId: string; reason: string | undefined }>,
  now: number,
): Promise<void> {
  if (alerts.length === 0) return;
  const byCase = new Map<string, Array<{ alertId: string; reason?: string }>>();
  for (const a of alerts) {
    const entry = a.reason === undefined ? { alertId: a.alertId } : { alertId: a.alertId, reason: a.reason };
    const list = byCase.get(a.caseId);
    if (list) list.push(entry);
    else byCase.set(a.caseId, [entry]);
  }
  await insertCaseEvents(
    db,
    deps,
    [...byCase].map(([caseId, list]) => ({ caseId, actor, type: 'alerts_added', data: { alerts: list } })),
    now,
  );
  // Sorted, so concurrent writers on PostgreSQL touch case rows in one order and cannot deadlock.
  const caseIds = [...byCase.keys()].sort();
  for (const chunk of chunks(caseIds, 500)) {
    await touchCasesQuery(
      db,
      chunk.map((id) => ({ id })),
      { now },
    );
  }
}

/**
 * Attaches the observables of alerts just stored to their cases (case → observable ids), seen `now`: pairs
 * already attached keep their origin and are marked seen.
 */
export async function addObservablesToCases(
  db: Db,
  byCase: ReadonlyMap<string, readonly string[]>,
  origin: string,
  now: number,
): Promise<void> {
  type Row = { case_id: string; observable_id: string; origin: string; added_at: number; last_seen: number };
  const pairs = new Map<string, Row>();
  for (const [caseId, ids] of byCase)
    for (const id of ids)
      pairs.set(`${caseId}|${id}`, {
        case_id: caseId,
        observable_id: id,
        origin,
        added_at: now,
        last_seen: now,
      });
  await insertRows(
    db,
    'case_observables',
    ['case_id', 'observable_id', 'origin', 'added_at', 'last_seen'],
    [...pairs.values()],
    {
      tail: `on conflict ("case_id", "observable_id") do update set "last_seen" = excluded."last_seen"
        where "case_observables"."last_seen" is null or "case_observables"."last_seen" < excluded."last_seen"`,
    },
  );
}
