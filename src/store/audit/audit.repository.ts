import type { Insertable, Kysely, Transaction } from 'kysely';
import { hashAuditEntry, type AuditEntry, type AuditEntryInput } from '../../governance/audit/audit-chain.js';
import type { StoreDialect } from '../dialects/store-dialect.js';
import { chunks } from '../chunks.js';
import { MAX_PREPARED_ROWS, preparedQuery, preparedRowsQuery } from '../prepared-query.js';
import type { Database } from '../schema.js';
import type { AuditLogRow, AuditLogTable } from './audit.table.js';

export interface AuditDeps {
  dialect: Pick<StoreDialect, 'supportsRowLocks'> & Partial<Pick<StoreDialect, 'supportsWritableCtes'>>;
}

export const auditRowToEntry = (row: AuditLogRow): AuditEntry => ({
  seq: row.seq,
  at: row.at,
  actor: { type: row.actor_type as AuditEntry['actor']['type'], id: row.actor_id, name: row.actor_name },
  action: row.action,
  target: { type: row.target_type, id: row.target_id },
  outcome: row.outcome as AuditEntry['outcome'],
  details: JSON.parse(row.details) as Record<string, unknown>,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/**
 * Appends an entry to the hash chain inside the caller's transaction, so the change and its record commit
 * or roll back together. The chain's head row is locked (PostgreSQL) or the write lock is already held
 * (SQLite), which keeps appends from concurrent writers in one order.
 */
export async function appendAudit(
  trx: Transaction<Database>,
  deps: AuditDeps,
  input: AuditEntryInput,
  now: number,
): Promise<AuditEntry> {
  const [entry] = await appendAudits(trx, deps, [input], now);
  if (!entry) throw new Error('audit entry was not appended');
  return entry;
}

// Every commit that audits reads and moves the head: built once.
const readHeadQuery = preparedQuery<Record<string, never>, { seq: number; hash: string }>((db) =>
  db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1),
);
const lockHeadQuery = preparedQuery<Record<string, never>, { seq: number; hash: string }>((db) =>
  db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate(),
);
const updateHeadQuery = preparedQuery<{ seq: number; hash: string }>((db, slot) =>
  db
    .updateTable('audit_head')
    .set({ seq: slot('seq'), hash: slot('hash') })
    .where('id', '=', 1),
);

type AuditRow = Insertable<AuditLogTable>;
const AUDIT_COLUMNS = [
  'seq',
  'at',
  'actor_type',
  'actor_id',
  'actor_name',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'details',
  'prev_hash',
  'hash',
] as const satisfies ReadonlyArray<keyof AuditLogTable>;

const insertEntriesQuery = preparedRowsQuery<AuditRow>(AUDIT_COLUMNS, (db, rows) =>
  db.insertInto('audit_log').values(rows),
);

// One round trip for the entries and the head that now points at the last of them.
const insertEntriesAndHeadQuery = preparedRowsQuery<AuditRow, { seq: number; hash: string }>(
  AUDIT_COLUMNS,
  (db, rows, slot) =>
    db
      .with('appended', (q) => q.insertInto('audit_log').values(rows))
      .updateTable('audit_head')
      .set({ seq: slot('seq'), hash: slot('hash') })
      .where('id', '=', 1),
);

/**
 * Appends several entries in order, chained one to the next exactly as single appends would be, with one
 * read of the head, one insert and one head update (a run step's action and the run's end, say).
 */
export async function appendAudits(
  trx: Transaction<Database>,
  deps: AuditDeps,
  inputs: readonly AuditEntryInput[],
  now: number,
): Promise<AuditEntry[]> {
  if (inputs.length === 0) return [];
  const {
    rows: [head],
  } = await (deps.dialect.supportsRowLocks ? lockHeadQuery : readHeadQuery)(trx, {});
  if (!head) throw new Error('the audit chain has no head row');
  const entries: AuditEntry[] = [];
  let prev = { seq: head.seq, hash: head.hash };
  for (const input of inputs) {
    const unhashed = {
      seq: prev.seq + 1,
      at: now,
      actor: input.actor,
      action: input.action,
      target: input.target,
      outcome: input.outcome ?? 'success',
      details: input.details ?? {},
      prevHash: prev.hash,
    };
    const entry: AuditEntry = { ...unhashed, hash: hashAuditEntry(unhashed) };
    entries.push(entry);
    prev = entry;
  }
  const rows = entries.map((entry): AuditRow => ({
    seq: entry.seq,
    at: entry.at,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    actor_name: entry.actor.name,
    action: entry.action,
    target_type: entry.target.type,
    target_id: entry.target.id,
    outcome: entry.outcome,
    details: JSON.stringify(entry.details),
    prev_hash: entry.prevHash,
    hash: entry.hash,
  }));
  // In slices of cached statements; where the store can, the last slice moves the head in its statement.
  const slices = chunks(rows, MAX_PREPARED_ROWS);
  const last = slices.pop() ?? [];
  for (const slice of slices) await insertEntriesQuery(trx, slice);
  if (deps.dialect.supportsWritableCtes)
    await insertEntriesAndHeadQuery(trx, last, { seq: prev.seq, hash: prev.hash });
  else {
    await insertEntriesQuery(trx, last);
    await updateHeadQuery(trx, { seq: prev.seq, hash: prev.hash });
  }
  return entries;
}

/** Appends in a transaction of its own, for events with no other state change (a refused login). */
export async function recordAudit(
  db: Kysely<Database>,
  deps: AuditDeps,
  input: AuditEntryInput,
  now: number,
): Promise<AuditEntry> {
  return db.transaction().execute((trx) => appendAudit(trx, deps, input, now));
}

/** Reads entries in chain order from `afterSeq`, a page at a time. */
export async function readAuditEntries(
  db: Kysely<Database> | Transaction<Database>,
  afterSeq: number,
  limit: number,
): Promise<AuditEntry[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(auditRowToEntry);
}
