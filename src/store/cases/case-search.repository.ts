import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { caseSearchDocument, searchTerms } from '../../domain/cases/case-search.js';
import type { StoreDialect } from '../dialects/store-dialect.js';
import { chunks } from '../chunks.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Timeline events whose text is searchable, and the events that change a case's searchable fields. */
export const SEARCH_EVENT_TYPES = ['case_created', 'case_updated', 'comment_added'] as const;

async function documentsOf(
  db: Db,
  ids: readonly string[],
): Promise<Array<{ case_id: string; body: string }>> {
  if (ids.length === 0) return [];
  const cases = await db
    .selectFrom('cases')
    .select(['id', 'title', 'description'])
    .where('id', 'in', ids)
    .execute();
  const comments = await db
    .selectFrom('case_events')
    .select(['case_id', 'data'])
    .where('case_id', 'in', ids)
    .where('type', '=', 'comment_added')
    .orderBy('case_id')
    .orderBy('id')
    .execute();
  const byCase = new Map<string, string[]>();
  for (const c of comments) {
    const body = (JSON.parse(c.data) as { body?: unknown }).body;
    if (typeof body !== 'string') continue;
    const list = byCase.get(c.case_id) ?? [];
    list.push(body);
    byCase.set(c.case_id, list);
  }
  return cases.map((c) => ({
    case_id: c.id,
    body: caseSearchDocument([c.title, c.description, ...(byCase.get(c.id) ?? [])]),
  }));
}

async function upsertDocuments(
  db: Db,
  docs: ReadonlyArray<{ case_id: string; body: string }>,
): Promise<void> {
  for (const chunk of chunks(docs, 500)) {
    await db
      .insertInto('case_search')
      .values(chunk)
      .onConflict((oc) => oc.column('case_id').doUpdateSet({ body: sql`excluded.body` }))
      .execute();
  }
}

/**
 * Rewrites a case's (or several cases') searchable text from its row and its comments, in the caller's
 * transaction: called where those change (a case opened or updated, a comment added), so search never lags them.
 */
export async function refreshCaseSearch(db: Db, caseIds: string | readonly string[]): Promise<void> {
  for (const chunk of chunks(typeof caseIds === 'string' ? [caseIds] : [...caseIds], 500))
    await upsertDocuments(db, await documentsOf(db, chunk));
}

/**
 * The searchable text of cases being opened, from what the caller is writing: a new case has no comments yet,
 * so its text is its title and description, and nothing is read back (the rows may be deferred writes).
 */
export async function writeOpenedCaseSearch(
  db: Db,
  cases: ReadonlyArray<{ id: string; title: string; description: string }>,
): Promise<void> {
  await upsertDocuments(
    db,
    cases.map((c) => ({ case_id: c.id, body: caseSearchDocument([c.title, c.description]) })),
  );
}

/** Rebuilds every case's searchable text: after a bulk load, and in the migration that introduced it. */
export async function rebuildCaseSearch(db: Db): Promise<void> {
  let after = '';
  for (;;) {
    const ids = (
      await db.selectFrom('cases').select('id').where('id', '>', after).orderBy('id').limit(1000).execute()
    ).map((r) => r.id);
    if (ids.length === 0) return;
    after = ids[ids.length - 1] as string;
    await upsertDocuments(db, await documentsOf(db, ids));
  }
}

/**
 * A condition on `cases.id` for cases whose text holds every term of `query` (word prefixes, phrases within
 * a term), answered by the store's full-text index; null when the query has no searchable word.
 */
export function caseTextMatch(
  dialect: Pick<StoreDialect, 'textSearch'>,
  query: string,
): RawBuilder<boolean> | null {
  const terms = searchTerms(query);
  if (terms.length === 0) return null;
  if (dialect.textSearch === 'fts5') {
    // Words are letters and digits only, so quoting them needs no escaping.
    const match = terms.map((words) => `"${words.join(' ')}"*`).join(' AND ');
    return sql<boolean>`cases.id in (select s.case_id from case_search s
      where s.rowid in (select rowid from case_search_fts where case_search_fts match ${match}))`;
  }
  const tsquery = terms
    .map((words) => words.map((w, i) => (i === words.length - 1 ? `${w}:*` : w)).join(' <-> '))
    .join(' & ');
  return sql<boolean>`cases.id in (select s.case_id from case_search s
    where s.document @@ to_tsquery('simple', ${tsquery}))`;
}
