import type { Kysely, Transaction } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { Database } from '../schema.js';
import type { PlaybookRow, PlaybookVersionRow } from './playbook.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface SaveVersionInput {
  id: string;
  name: string;
  source: string;
  definition: unknown;
  sha256: string;
  createdBy: string;
}

/**
 * Adds an immutable version, numbered after the latest. Saving content identical to the latest version
 * returns that version instead of adding a copy.
 */
export async function savePlaybookVersion(
  trx: Transaction<Database>,
  input: SaveVersionInput,
  now: number,
): Promise<{ version: number; created: boolean }> {
  const existing = await trx
    .selectFrom('playbooks')
    .selectAll()
    .where('id', '=', input.id)
    .executeTakeFirst();
  if (existing) {
    const latest = await findPlaybookVersion(trx, input.id, existing.latest_version);
    if (latest?.sha256 === input.sha256) return { version: latest.version, created: false };
  }
  const version = (existing?.latest_version ?? 0) + 1;
  if (existing) {
    await trx
      .updateTable('playbooks')
      .set({ name: input.name, latest_version: version, updated_at: now })
      .where('id', '=', input.id)
      .where('latest_version', '=', existing.latest_version)
      .executeTakeFirstOrThrow();
  } else {
    await trx
      .insertInto('playbooks')
      .values({
        id: input.id,
        name: input.name,
        active_version: null,
        latest_version: version,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  await trx
    .insertInto('playbook_versions')
    .values({
      playbook_id: input.id,
      version,
      source: input.source,
      definition: JSON.stringify(input.definition),
      sha256: input.sha256,
      created_at: now,
      created_by: input.createdBy,
    })
    .execute();
  return { version, created: true };
}

export async function activatePlaybookVersion(
  db: Db,
  id: string,
  version: number,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable('playbooks')
    .set({ active_version: version, updated_at: now })
    .where('id', '=', id)
    .where('latest_version', '>=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export const findPlaybook = (db: Db, id: string): Promise<PlaybookRow | undefined> =>
  db.selectFrom('playbooks').selectAll().where('id', '=', id).executeTakeFirst();

export const findPlaybookVersion = (
  db: Db,
  id: string,
  version: number,
): Promise<PlaybookVersionRow | undefined> =>
  db
    .selectFrom('playbook_versions')
    .selectAll()
    .where('playbook_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();

/** The number of a playbook's active version, without its definition (versions are immutable: cacheable). */
const activeVersionQuery = preparedQuery<{ id: string }, { active_version: number | null }>((db, slot) =>
  db.selectFrom('playbooks').select('active_version').where('id', '=', slot('id')),
);

export async function findActiveVersionNumber(db: Db, id: string): Promise<number | undefined> {
  const {
    rows: [row],
  } = await activeVersionQuery(db, { id });
  return row?.active_version ?? undefined;
}

export async function findActivePlaybookVersion(db: Db, id: string): Promise<PlaybookVersionRow | undefined> {
  const pb = await findPlaybook(db, id);
  return pb?.active_version ? findPlaybookVersion(db, id, pb.active_version) : undefined;
}

export const listPlaybooks = (db: Db): Promise<PlaybookRow[]> =>
  db.selectFrom('playbooks').selectAll().orderBy('id').execute();

export const listPlaybookVersions = (db: Db, id: string): Promise<PlaybookVersionRow[]> =>
  db.selectFrom('playbook_versions').selectAll().where('playbook_id', '=', id).orderBy('version').execute();

/** The active version of every playbook: what triggers match against. */
export const listActivePlaybookVersions = (db: Db): Promise<PlaybookVersionRow[]> =>
  db
    .selectFrom('playbook_versions')
    .innerJoin('playbooks', (j) =>
      j
        .onRef('playbooks.id', '=', 'playbook_versions.playbook_id')
        .onRef('playbooks.active_version', '=', 'playbook_versions.version'),
    )
    .selectAll('playbook_versions')
    .orderBy('playbook_versions.playbook_id')
    .execute();
