import type { Kysely, Transaction } from 'kysely';
import type { Actor } from '../../domain/shared/actor.js';
import { chunks } from '../chunks.js';
import { insertCaseEvents } from '../cases/case.repository.js';
import { insertRows } from '../insert-rows.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The case side of storing a batch of alerts, set-wise: the same rows `appendCaseEvent` and
 * `addCaseObservables` (store/cases/case.repository.ts) write one statement at a time, here written a few
 * statements per batch. Ingest writes one timeline event per alert, and statement count dominated its cost.
 */
export async function appendAlertAddedEvents(
  db: Db,
  deps: { newId: () => string },
  events: ReadonlyArray<{ caseId: string; actor: Actor; data: Record<string, unknown> }>,
  now: number,
): Promise<void> {
  if (events.length === 0) return;
  await insertCaseEvents(
    db,
    deps,
    events.map((e) => ({ ...e, type: 'alert_added' })),
    now,
  );
  // Sorted, so concurrent writers on PostgreSQL touch case rows in one order and cannot deadlock.
  const caseIds = [...new Set(events.map((e) => e.caseId))].sort();
  for (const chunk of chunks(caseIds, 500)) {
    await db.updateTable('cases').set({ updated_at: now }).where('id', 'in', chunk).execute();
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
  const pairs = new Map<string, { case_id: string; observable_id: string }>();
  for (const [caseId, ids] of byCase)
    for (const id of ids) pairs.set(`${caseId}|${id}`, { case_id: caseId, observable_id: id });
  await insertRows(
    db,
    'case_observables',
    ['case_id', 'observable_id', 'origin', 'added_at', 'last_seen'],
    [...pairs.values()].map((p) => ({ ...p, origin, added_at: now, last_seen: now })),
    {
      tail: `on conflict ("case_id", "observable_id") do update set "last_seen" = excluded."last_seen"
        where "case_observables"."last_seen" is null or "case_observables"."last_seen" < excluded."last_seen"`,
    },
  );
}
