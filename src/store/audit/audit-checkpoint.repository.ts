import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { AuditCheckpointRow, AuditSegmentRow } from './audit.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function readAuditHead(db: Db): Promise<{ seq: number; hash: string }> {
  return db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
}

export async function insertCheckpoint(db: Db, cp: AuditCheckpointRow): Promise<void> {
  await db
    .insertInto('audit_checkpoints')
    .values(cp)
    .onConflict((oc) => oc.column('seq').doNothing())
    .execute();
}

export async function latestCheckpoint(db: Db): Promise<AuditCheckpointRow | undefined> {
  return db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
}

export async function listCheckpoints(
  db: Db,
  fromSeq = 0,
  toSeq = Number.MAX_SAFE_INTEGER,
): Promise<AuditCheckpointRow[]> {
  return db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('seq', '>=', fromSeq)
    .where('seq', '<=', toSeq)
    .orderBy('seq')
    .execute();
}

export async function listSegments(db: Db): Promise<AuditSegmentRow[]> {
  return db.selectFrom('audit_segments').selectAll().orderBy('from_seq').execute();
}

export async function insertSegment(db: Db, segment: AuditSegmentRow): Promise<void> {
  await db.insertInto('audit_segments').values(segment).execute();
}

export async function deleteAuditRange(db: Db, fromSeq: number, toSeq: number): Promise<number> {
  const result = await db
    .deleteFrom('audit_log')
    .where('seq', '>=', fromSeq)
    .where('seq', '<=', toSeq)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The last entry written before `before`, for retention. */
export async function lastSeqBefore(db: Db, before: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('at', '<', before)
    .executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? undefined : Number(row.seq);
}

export async function firstLiveSeq(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.min('seq').as('seq'))
    .executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? undefined : Number(row.seq);
}
