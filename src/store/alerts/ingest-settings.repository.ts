import type { Kysely, Transaction } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const ROW_ID = 'default';

// Read in every ingest transaction (the rules are checked there): compiled once.
const readSettingsQuery = preparedQuery<
  Record<string, never>,
  { settings: string; updated_by: string; updated_at: number }
>((db) =>
  db.selectFrom('ingest_settings').select(['settings', 'updated_by', 'updated_at']).where('id', '=', ROW_ID),
);

/** The stored ingest rules as JSON text, or undefined while nobody has changed the defaults. */
export async function findIngestSettingsJson(
  db: Db,
): Promise<{ settings: string; updatedBy: string; updatedAt: number } | undefined> {
  const {
    rows: [row],
  } = await readSettingsQuery(db, {});
  return row
    ? { settings: row.settings, updatedBy: row.updated_by, updatedAt: Number(row.updated_at) }
    : undefined;
}

/** Replaces the stored ingest rules (the caller validated them). */
export async function saveIngestSettingsJson(
  db: Db,
  input: { settings: string; updatedBy: string },
  now: number,
): Promise<void> {
  await db
    .insertInto('ingest_settings')
    .values({ id: ROW_ID, settings: input.settings, updated_by: input.updatedBy, updated_at: now })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ settings: input.settings, updated_by: input.updatedBy, updated_at: now }),
    )
    .execute();
}
