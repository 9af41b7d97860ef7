import type { Kysely, Transaction } from 'kysely';
import type { StoreDialect } from '../dialects/store-dialect.js';
import type { Database } from '../schema.js';
import { preparedQuery, preparedRowsQuery } from '../prepared-query.js';
import { JobStatus, type QueueJobRow } from './job.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface EnqueueInput {
  queue: string;
  kind: string;
  payload: unknown;
  /** Due time (ms since epoch); now when omitted. */
  runAt?: number;
  dedupeKey?: string;
  maxAttempts?: number;
}

/** A job as a worker holds it: the lease token proves the lease is still this worker's. */
export interface ClaimedJob {
  id: string;
  queue: string;
  kind: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  leaseToken: string;
  leaseUntil: number;
  dedupeKey: string | null;
}

export interface QueueDeps {
  dialect: Pick<StoreDialect, 'supportsRowLocks'>;
  newId: () => string;
}

const toClaimed = (row: QueueJobRow): ClaimedJob => ({
  id: row.id,
  queue: row.queue,
  kind: row.kind,
  payload: JSON.parse(row.payload) as unknown,
  attempts: row.attempts,
  maxAttempts: row.max_attempts,
  leaseToken: row.lease_token ?? '',
  leaseUntil: row.lease_until ?? 0,
  dedupeKey: row.dedupe_key,
});

/** A new job's row: ready, unleased, due at `runAt` (now when omitted). */
type NewJobRow = Omit<QueueJobRow, 'attempts'>;

const JOB_COLUMNS: ReadonlyArray<keyof NewJobRow> = [
  'id',
  'queue',
  'kind',
  'payload',
  'dedupe_key',
  'status',
  'run_at',
  'max_attempts',
  'lease_owner',
  'lease_token',
  'lease_until',
  'last_error',
  'created_at',
  'updated_at',
];

const jobRow = (id: string, input: EnqueueInput, now: number): NewJobRow => ({
  id,
  queue: input.queue,
  kind: input.kind,
  payload: JSON.stringify(input.payload ?? null),
  dedupe_key: input.dedupeKey ?? null,
  status: JobStatus.ready,
  run_at: input.runAt ?? now,
  max_attempts: input.maxAttempts ?? 25,
  lease_owner: null,
  lease_token: null,
  lease_until: null,
  last_error: null,
  created_at: now,
  updated_at: now,
});

// Every enqueue goes through here (each ingest transaction's trigger job among them): compiled once per count
// of jobs. A job whose dedupe key is taken is skipped, and only the inserted rows come back.
const insertJobsQuery = preparedRowsQuery<NewJobRow, Record<string, never>, { id: string }>(
  JOB_COLUMNS,
  (db, rows) =>
    db
      .insertInto('queue_jobs')
      .values(rows)
      .onConflict((oc) => oc.columns(['queue', 'dedupe_key']).doNothing())
      .returning('id'),
);

/**
 * Adds a job. With a dedupe key, a second enqueue of the same key on the same queue is a no-op and returns
 * the id of the job already there, so a retried request cannot schedule work twice.
 */
export async function enqueueJob(
  db: Db,
  deps: QueueDeps,
  input: EnqueueInput,
  now: number,
): Promise<{ id: string; created: boolean }> {
  const {
    rows: [inserted],
  } = await insertJobsQuery(db, [jobRow(deps.newId(), input, now)]);
  if (inserted) return { id: inserted.id, created: true };
  const existing = await db
    .selectFrom('queue_jobs')
    .select('id')
    .where('queue', '=', input.queue)
    .where('dedupe_key', '=', input.dedupeKey ?? '')
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

/** Adds many jobs in one statement (a foreach fan-out, a batch import); duplicates by key are skipped. */
export async function enqueueJobs(
  db: Db,
  deps: QueueDeps,
  inputs: readonly EnqueueInput[],
  now: number,
): Promise<number> {
  if (inputs.length === 0) return 0;
  const result = await insertJobsQuery(
    db,
    inputs.map((input) => jobRow(deps.newId(), input, now)),
  );
  return result.rows.length;
}

export interface ClaimInput {
  queue: string;
  owner: string;
  leaseMs: number;
  limit: number;
  now: number;
  newToken: () => string;
}

/**
 * Claims up to `limit` due jobs with a lease, in one statement. A job whose lease ran out is claimable again:
 * its worker is presumed dead. On PostgreSQL concurrent claimers skip each other's locked rows; on SQLite the
 * statement holds the database's write lock. One token covers the batch; settling a job matches id and token.
 */
export async function claimJobs(
  db: Kysely<Database>,
  deps: QueueDeps,
  input: ClaimInput,
): Promise<ClaimedJob[]> {
  const token = input.newToken();
  const rows = await db
    .updateTable('queue_jobs')
    .set((eb) => ({
      lease_owner: input.owner,
      lease_token: token,
      lease_until: input.now + input.leaseMs,
      attempts: eb('attempts', '+', 1),
      updated_at: input.now,
    }))
    .where('id', 'in', (eb) => {
      let candidates = eb
        .selectFrom('queue_jobs')
        .select('id')
        .where('queue', '=', input.queue)
        .where('status', '=', JobStatus.ready)
        .where('run_at', '<=', input.now)
        .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<=', input.now)]))
        .orderBy('run_at')
        .limit(input.limit);
      if (deps.dialect.supportsRowLocks) candidates = candidates.forUpdate().skipLocked();
      return candidates;
    })
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.run_at - b.run_at || (a.id < b.id ? -1 : 1)).map(toClaimed);
}

/** Finishes a job. False when the lease was lost (it expired and someone else holds the job now). */
const completeJobQuery = preparedQuery<{ id: string; token: string }>((db, slot) =>
  db.deleteFrom('queue_jobs').where('id', '=', slot('id')).where('lease_token', '=', slot('token')),
);

export async function completeJob(db: Db, job: Pick<ClaimedJob, 'id' | 'leaseToken'>): Promise<boolean> {
  const result = await completeJobQuery(db, { id: job.id, token: job.leaseToken });
  return Number(result.numAffectedRows) === 1;
}

/**
 * Records a failed attempt: the job runs again at `retryAt`, or is marked failed for good when there is no
 * retry or no attempt left. False when the lease was lost.
 */
export async function failJob(
  db: Db,
  job: Pick<ClaimedJob, 'id' | 'leaseToken' | 'attempts' | 'maxAttempts'>,
  error: string,
  retryAt: number | null,
  now: number,
): Promise<boolean> {
  const giveUp = retryAt === null || job.attempts >= job.maxAttempts;
  const result = await db
    .updateTable('queue_jobs')
    .set({
      status: giveUp ? JobStatus.failed : JobStatus.ready,
      // Times are whole milliseconds (BIGINT on PostgreSQL).
      run_at: giveUp ? now : Math.round(retryAt),
      lease_owner: null,
      lease_token: null,
      lease_until: null,
      last_error: error.slice(0, 4_000),
      updated_at: now,
    })
    .where('id', '=', job.id)
    .where('lease_token', '=', job.leaseToken)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Extends a lease the worker still holds (a heartbeat for long work). False when it was lost. */
export async function extendLease(
  db: Db,
  job: Pick<ClaimedJob, 'id' | 'leaseToken'>,
  leaseUntil: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('queue_jobs')
    .set({ lease_until: leaseUntil, updated_at: now })
    .where('id', '=', job.id)
    .where('lease_token', '=', job.leaseToken)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Hands a job back unfinished (graceful shutdown): it is claimable at once, and the attempt does not count
 * against its budget because it never ran to an outcome.
 */
export async function releaseJob(
  db: Db,
  job: Pick<ClaimedJob, 'id' | 'leaseToken'>,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('queue_jobs')
    .set((eb) => ({
      lease_owner: null,
      lease_token: null,
      lease_until: null,
      attempts: eb('attempts', '-', 1),
      updated_at: now,
    }))
    .where('id', '=', job.id)
    .where('lease_token', '=', job.leaseToken)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Moves a job's due time (a timer rescheduled, a wait shortened). */
export async function rescheduleJob(db: Db, id: string, runAt: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('queue_jobs')
    .set({ run_at: runAt, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface QueueStats {
  ready: number;
  due: number;
  leased: number;
  failed: number;
}

export async function queueStats(db: Db, queue: string, now: number): Promise<QueueStats> {
  const rows = await db
    .selectFrom('queue_jobs')
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      eb.fn.sum<number>(eb.case().when('status', '=', JobStatus.failed).then(1).else(0).end()).as('failed'),
      eb.fn.sum<number>(eb.case().when('lease_until', '>', now).then(1).else(0).end()).as('leased'),
      eb.fn
        .sum<number>(
          eb
            .case()
            .when(eb.and([eb('status', '=', JobStatus.ready), eb('run_at', '<=', now)]))
            .then(1)
            .else(0)
            .end(),
        )
        .as('due'),
    ])
    .where('queue', '=', queue)
    .executeTakeFirstOrThrow();
  const failed = Number(rows.failed ?? 0);
  return {
    ready: Number(rows.total) - failed,
    due: Number(rows.due ?? 0),
    leased: Number(rows.leased ?? 0),
    failed,
  };
}
