import { sql, type Kysely } from 'kysely';
import { rebuildCaseSearch } from '../cases/case-search.repository.js';
import type { Database } from '../schema.js';
import type { MigrationContext } from './migration.js';

/**
 * Full-text search over cases (title, description, comments). The application writes each case's words to
 * `case_search`; the database keeps the index: an FTS5 table fed by triggers on SQLite, a generated tsvector
 * column with a GIN index on PostgreSQL.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('case_search')
    .addColumn('case_id', 'text', (c) => c.primaryKey())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  if (ctx.dialect.textSearch === 'fts5') {
    // External content: the words are stored once (in case_search), the FTS table holds only the index.
    await sql`create virtual table case_search_fts using fts5(body, content='case_search', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')`.execute(
      db,
    );
    await sql`create trigger case_search_ai after insert on case_search begin
      insert into case_search_fts(rowid, body) values (new.rowid, new.body); end`.execute(db);
    await sql`create trigger case_search_ad after delete on case_search begin
      insert into case_search_fts(case_search_fts, rowid, body) values ('delete', old.rowid, old.body); end`.execute(
      db,
    );
    await sql`create trigger case_search_au after update on case_search begin
      insert into case_search_fts(case_search_fts, rowid, body) values ('delete', old.rowid, old.body);
      insert into case_search_fts(rowid, body) values (new.rowid, new.body); end`.execute(db);
  } else {
    await sql`alter table case_search add column document tsvector
      generated always as (to_tsvector('simple', body)) stored`.execute(db);
    await sql`create index case_search_document on case_search using gin (document)`.execute(db);
  }
  await rebuildCaseSearch(db as unknown as Kysely<Database>);
}
