import type { Kysely, Transaction } from 'kysely';
import type { Observable } from '../../domain/observables/observable.js';
import { insertRows } from '../insert-rows.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Records sightings: one row per (type, value), created on first sight and touched after. Returns each
 * observable's id keyed by `type:value`.
 */
export async function upsertObservables(
  db: Db,
  deps: { newId: () => string },
  observables: readonly Pick<Observable, 'type' | 'value' | 'scope'>[],
  now: number,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const unique = new Map(observables.map((o) => [`${o.type}:${o.value}`, o]));
  if (unique.size === 0) return ids;
  // A few statements for the batch; ON CONFLICT … RETURNING gives the id of new and existing rows alike.
  // A fixed order, so concurrent writers on PostgreSQL lock rows in the same order and cannot deadlock.
  const all = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  await insertRows<'observables', { id: string; type: string; value: string }>(
    db,
    'observables',
    ['id', 'type', 'value', 'scope', 'verdict', 'verdict_source', 'tags', 'first_seen', 'last_seen'],
    all.map((o) => ({
      id: deps.newId(),
      type: o.type,
      value: o.value,
      scope: o.scope ?? null,
      verdict: null,
      verdict_source: null,
      tags: '[]',
      first_seen: now,
      last_seen: now,
    })),
    {
      tail: 'on conflict ("type", "value") do update set "last_seen" = excluded."last_seen" returning "id", "type", "value"',
      onRows: (rows) => {
        for (const r of rows) ids.set(`${r.type}:${r.value}`, r.id);
      },
    },
  );
  return ids;
}

/**
 * Gives an observable a verdict and adds it to the verdict history, which keeps who gave it, where from and
 * on which case.
 */
export async function recordObservableVerdict(
  db: Db,
  deps: { newId: () => string },
  input: {
    observableId: string;
    type: string;
    value: string;
    verdict: string;
    source: string;
    caseId: string | null;
    actorId: string;
  },
  now: number,
): Promise<void> {
  await db
    .updateTable('observables')
    .set({ verdict: input.verdict, verdict_source: input.source })
    .where('id', '=', input.observableId)
    .execute();
  await db
    .insertInto('observable_verdicts')
    .values({
      id: deps.newId(),
      observable_type: input.type,
      observable_value: input.value,
      verdict: input.verdict,
      source: input.source,
      case_id: input.caseId,
      actor_id: input.actorId,
      at: now,
    })
    .execute();
}

/** An observable's tags; throws when there is no such observable. */
export async function findObservableTags(db: Db, observableId: string): Promise<string[]> {
  const row = await db
    .selectFrom('observables')
    .select('tags')
    .where('id', '=', observableId)
    .executeTakeFirstOrThrow();
  return JSON.parse(row.tags) as string[];
}

export async function replaceObservableTags(
  db: Db,
  observableId: string,
  tags: readonly string[],
): Promise<void> {
  await db
    .updateTable('observables')
    .set({ tags: JSON.stringify(tags) })
    .where('id', '=', observableId)
    .execute();
}
