import type { Insertable, Kysely, Transaction } from 'kysely';
import { chunks } from '../chunks.js';
import type { Database } from '../schema.js';
import type { StoreDialect } from '../dialects/store-dialect.js';
import { MAX_PREPARED_ROWS, preparedQuery, preparedRowsQuery } from '../prepared-query.js';
import type { RunEventRow, RunEventTable, RunRow, RunStepRow, RunStepTable, RunTable } from './run.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewRun {
  id: string;
  playbookId: string;
  version: number;
  state: unknown;
  status: string;
  triggerType: string;
  caseId?: string | null;
  alertId?: string | null;
  parentRunId?: string | null;
  startKey?: string | null;
  dryRun: boolean;
  requestedBy: string;
}

type RunSlots = Insertable<RunTable> & { event_id: string; event: string };
const runValues = (slot: <K extends keyof RunSlots & string>(name: K) => RunSlots[K]) =>
  ({
    id: slot('id'),
    playbook_id: slot('playbook_id'),
    version: slot('version'),
    status: slot('status'),
    seq: slot('seq'),
    state: slot('state'),
    trigger_type: slot('trigger_type'),
    case_id: slot('case_id'),
    alert_id: slot('alert_id'),
    parent_run_id: slot('parent_run_id'),
    start_key: slot('start_key'),
    dry_run: slot('dry_run'),
    requested_by: slot('requested_by'),
    lease_token: slot('lease_token'),
    lease_until: slot('lease_until'),
    error_code: slot('error_code'),
    started_at: slot('started_at'),
    updated_at: slot('updated_at'),
    finished_at: slot('finished_at'),
  }) satisfies Insertable<RunTable>;
const insertRunQuery = preparedQuery<RunSlots>((db, slot) => db.insertInto('runs').values(runValues(slot)));
// The run and its first inbox event in one statement (one round trip) where the store can.
const insertRunAndEventQuery = preparedQuery<RunSlots>((db, slot) =>
  db
    .with('run', (w) => w.insertInto('runs').values(runValues(slot)))
    .insertInto('run_inbox')
    .values({
      id: slot('event_id'),
      run_id: slot('id'),
      event: slot('event'),
      created_at: slot('started_at'),
    }),
);

/** Inserts a run; with `first`, its first inbox event too (in the same statement where the store can). */
export async function insertRun(
  trx: Db,
  run: NewRun,
  now: number,
  first?: {
    dialect: Pick<StoreDialect, 'supportsWritableCtes'>;
    event: { id: string; event: unknown };
  },
): Promise<void> {
  const together = first?.dialect.supportsWritableCtes === true;
  await (together ? insertRunAndEventQuery : insertRunQuery)(trx, {
    id: run.id,
    playbook_id: run.playbookId,
    version: run.version,
    status: run.status,
    seq: 0,
    state: JSON.stringify(run.state),
    trigger_type: run.triggerType,
    case_id: run.caseId ?? null,
    alert_id: run.alertId ?? null,
    parent_run_id: run.parentRunId ?? null,
    start_key: run.startKey ?? null,
    dry_run: run.dryRun ? 1 : 0,
    requested_by: run.requestedBy,
    lease_token: null,
    lease_until: null,
    error_code: null,
    started_at: now,
    updated_at: now,
    finished_at: null,
    event_id: first?.event.id ?? '',
    event: JSON.stringify(first?.event.event ?? null),
  });
  if (first && !together)
    await addInboxEvent(trx, { id: first.event.id, runId: run.id, event: first.event.event }, now);
}

export const findRunById = (db: Db, id: string): Promise<RunRow | undefined> =>
  db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();

export const findRunByStartKey = (db: Db, key: string): Promise<RunRow | undefined> =>
  db.selectFrom('runs').selectAll().where('start_key', '=', key).executeTakeFirst();

const readRunQuery = preparedQuery<{ id: string }, RunRow>((db, slot) =>
  db.selectFrom('runs').selectAll().where('id', '=', slot('id')),
);
const lockRunQuery = preparedQuery<{ id: string }, RunRow>((db, slot) =>
  db.selectFrom('runs').selectAll().where('id', '=', slot('id')).forUpdate(),
);

/** Reads a run inside a write transaction, locking its row on PostgreSQL. */
export async function lockRun(
  trx: Transaction<Database>,
  deps: { dialect: { supportsRowLocks: boolean } },
  id: string,
): Promise<RunRow | undefined> {
  const r = await (deps.dialect.supportsRowLocks ? lockRunQuery : readRunQuery)(trx, { id });
  return r.rows[0];
}

/**
 * Writes the next state when the stored one is still `expectedSeq`. False when another writer got there
 * first. The run's lease is left alone unless `lease` is given: the worker holding it renews it with each
 * commit; anyone else (an event applied while a step runs) must not take it from the holder.
 */
export async function saveRunState(
  trx: Db,
  input: {
    id: string;
    expectedSeq: number;
    seq: number;
    status: string;
    /**
     * The status stored at `expectedSeq`, when the caller knows it: an unchanged status is not written, which
     * spares rewriting the run's entry in the status index (most steps leave a run `running`).
     */
    previousStatus?: string;
    state: unknown;
    errorCode?: string | null;
    finishedAt?: number | null;
    lease?: RunLeaseChange;
  },
  now: number,
): Promise<boolean> {
  const lease = input.lease;
  const queries = input.previousStatus === input.status ? saveStateKeepingStatus : saveStateQueries;
  const r = await queries[lease?.mode ?? 'keep'](trx, {
    id: input.id,
    expectedSeq: input.expectedSeq,
    seq: input.seq,
    status: input.status,
    state: JSON.stringify(input.state),
    errorCode: input.errorCode ?? null,
    finishedAt: input.finishedAt ?? null,
    now,
    token: lease?.token ?? '',
    until: lease && 'until' in lease ? lease.until : null,
  });
  return Number(r.numAffectedRows) === 1;
}

interface SaveStateParams extends Record<string, unknown> {
  id: string;
  expectedSeq: number;
  seq: number;
  status: string;
  state: string;
  errorCode: string | null;
  finishedAt: number | null;
  now: number;
  token: string;
  until: number | null;
}

/**
 * One statement per lease change (and with or without the status): the state write is the commonest
 * statement of a run.
 */
const saveStateQuery = (mode: RunLeaseChange['mode'] | 'keep', writeStatus = true) =>
  preparedQuery<SaveStateParams>((db, slot) =>
    db
      .updateTable('runs')
      .set((eb) => {
        const ours = eb('lease_token', '=', slot('token'));
        return {
          seq: slot('seq'),
          ...(writeStatus ? { status: slot('status') } : {}),
          state: slot('state'),
          error_code: slot('errorCode'),
          finished_at: slot('finishedAt'),
          updated_at: slot('now'),
          // Renewing or letting go touches the lease only while it is still this worker's.
          ...(mode === 'take' ? { lease_token: slot('token'), lease_until: slot('until') } : {}),
          ...(mode === 'renew'
            ? { lease_until: eb.case().when(ours).then(slot('until')).else(eb.ref('lease_until')).end() }
            : {}),
          ...(mode === 'release'
            ? {
                lease_token: eb.case().when(ours).then(null).else(eb.ref('lease_token')).end(),
                lease_until: eb.case().when(ours).then(null).else(eb.ref('lease_until')).end(),
              }
            : {}),
        };
      })
      .where('id', '=', slot('id'))
      .where('seq', '=', slot('expectedSeq')),
  );
const saveStateQueriesFor = (writeStatus: boolean) => ({
  keep: saveStateQuery('keep', writeStatus),
  take: saveStateQuery('take', writeStatus),
  renew: saveStateQuery('renew', writeStatus),
  release: saveStateQuery('release', writeStatus),
});
const saveStateQueries = saveStateQueriesFor(true);
const saveStateKeepingStatus = saveStateQueriesFor(false);

/**
 * What a state write does to the run's execution lease: `take` it (the writer checked under the run's lock
 * that it is free), `renew` it or `release` it (only while it is still the writer's token).
 */
export type RunLeaseChange =
  { mode: 'take' | 'renew'; token: string; until: number } | { mode: 'release'; token: string };

/** Takes the run's execution lease: one worker at a time executes its next step. */
export async function leaseRun(
  db: Db,
  id: string,
  token: string,
  until: number,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable('runs')
    .set({ lease_token: token, lease_until: until })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now), eb('lease_token', '=', token)]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseRunLease(db: Db, id: string, token: string): Promise<void> {
  await db
    .updateTable('runs')
    .set({ lease_token: null, lease_until: null })
    .where('id', '=', id)
    .where('lease_token', '=', token)
    .execute();
}

// Every run start adds one (on SQLite, without a writable CTE to fold it into the run's insert): built once.
const addInboxEventQuery = preparedQuery<{ id: string; runId: string; event: string; now: number }>(
  (db, slot) =>
    db.insertInto('run_inbox').values({
      id: slot('id'),
      run_id: slot('runId'),
      event: slot('event'),
      created_at: slot('now'),
    }),
);

export async function addInboxEvent(
  trx: Db,
  input: { id: string; runId: string; event: unknown },
  now: number,
): Promise<void> {
  await addInboxEventQuery(trx, {
    id: input.id,
    runId: input.runId,
    event: JSON.stringify(input.event),
    now,
  });
}

/**
 * Takes every event waiting in a run's inbox, oldest first, in one statement: the caller applies them in the
 * same transaction (rolled back, they are back in the inbox).
 */
const takeInboxQuery = preparedQuery<{ runId: string }, { id: string; event: string }>((db, slot) =>
  db.deleteFrom('run_inbox').where('run_id', '=', slot('runId')).returning(['id', 'event']),
);

export async function takeInbox(trx: Transaction<Database>, runId: string): Promise<unknown[]> {
  const { rows } = await takeInboxQuery(trx, { runId });
  return rows
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => JSON.parse(r.event) as unknown);
}

export interface StepAttemptInput {
  id: string;
  runId: string;
  stepId: string;
  stepPath: string;
  attempt: number;
  kind: string;
  name: string;
  idempotencyKey: string;
  status: 'succeeded' | 'failed';
  input: unknown;
  output?: unknown;
  error?: { code: string; message: string };
  startedAt: number;
}

/** Outputs larger than this are stored once in run_blobs and referenced. */
export const INLINE_OUTPUT_LIMIT = 16_384;

/** A step attempt's row, ready to insert. */
export type StepAttemptRow = Insertable<RunStepTable>;

/**
 * Records a step attempt; an output past the limit goes to run_blobs, and its id and size come back. With
 * `pool`, the row is added there for the caller to insert with others (insertStepAttemptRows).
 */
export async function insertStepAttempt(
  trx: Db,
  a: StepAttemptInput,
  newId: () => string,
  now: number,
  pool?: StepAttemptRow[],
): Promise<{ outputRef?: { id: string; size: number } }> {
  const text = a.output === undefined ? null : JSON.stringify(a.output);
  let outputRef: string | null = null;
  if (text !== null && text.length > INLINE_OUTPUT_LIMIT) {
    outputRef = newId();
    await trx
      .insertInto('run_blobs')
      .values({ id: outputRef, run_id: a.runId, content: text, size: text.length })
      .execute();
  }
  const row: StepAttemptRow = {
    id: a.id,
    run_id: a.runId,
    step_id: a.stepId,
    step_path: a.stepPath,
    attempt: a.attempt,
    kind: a.kind,
    name: a.name,
    idempotency_key: a.idempotencyKey,
    status: a.status,
    input: JSON.stringify(a.input),
    output: outputRef ? null : text,
    output_ref: outputRef,
    error_code: a.error?.code ?? null,
    error_message: a.error?.message ?? null,
    started_at: a.startedAt,
    finished_at: now,
  };
  if (pool) pool.push(row);
  else await insertStepAttemptRows(trx, [row]);
  return outputRef && text !== null ? { outputRef: { id: outputRef, size: text.length } } : {};
}

/** Inserts step attempts; one whose idempotency key is already recorded is skipped (it was committed). */
const STEP_COLUMNS = [
  'id',
  'run_id',
  'step_id',
  'step_path',
  'attempt',
  'kind',
  'name',
  'idempotency_key',
  'status',
  'input',
  'output',
  'output_ref',
  'error_code',
  'error_message',
  'started_at',
  'finished_at',
] as const satisfies ReadonlyArray<keyof RunStepTable>;

const insertStepAttemptsQuery = preparedRowsQuery<StepAttemptRow>(STEP_COLUMNS, (db, rows) =>
  db
    .insertInto('run_steps')
    .values(rows)
    .onConflict((oc) => oc.column('idempotency_key').doNothing()),
);

export async function insertStepAttemptRows(trx: Db, rows: readonly StepAttemptRow[]): Promise<void> {
  for (const slice of chunks(rows, MAX_PREPARED_ROWS)) await insertStepAttemptsQuery(trx, slice);
}

export async function readBlobs(
  db: Db,
  ids: readonly string[],
): Promise<Array<{ id: string; value: unknown; size: number }>> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('run_blobs')
    .select(['id', 'content', 'size'])
    .where('id', 'in', ids)
    .execute();
  return rows.map((r) => ({ id: r.id, value: JSON.parse(r.content) as unknown, size: Number(r.size) }));
}

export async function readBlob(db: Db, id: string): Promise<unknown> {
  const row = await db.selectFrom('run_blobs').select('content').where('id', '=', id).executeTakeFirst();
  return row ? (JSON.parse(row.content) as unknown) : undefined;
}

/** A run's step event (started, finished, branch taken) as the reducer recorded it. */
export interface RunEventInput {
  id: string;
  runId: string;
  type: string;
  stepId?: string;
  stepPath?: string;
  data: unknown;
  /** When it happened, if not `now` (events pooled from several commits of one transaction). */
  at?: number;
}

const insertRunEventsQuery = preparedRowsQuery<Insertable<RunEventTable>>(
  ['id', 'run_id', 'at', 'type', 'step_id', 'step_path', 'data'],
  (db, rows) => db.insertInto('run_events').values(rows),
);

export async function insertRunEvents(trx: Db, events: RunEventInput[], now: number): Promise<void> {
  for (const slice of chunks(events, MAX_PREPARED_ROWS))
    await insertRunEventsQuery(
      trx,
      slice.map((e) => ({
        id: e.id,
        run_id: e.runId,
        at: e.at ?? now,
        type: e.type,
        step_id: e.stepId ?? null,
        step_path: e.stepPath ?? null,
        data: JSON.stringify(e.data),
      })),
    );
}

export interface RunFilter {
  playbookId?: string;
  status?: string;
  caseId?: string;
  limit: number;
  before?: string;
}

export async function listRuns(db: Db, f: RunFilter): Promise<RunRow[]> {
  let q = db.selectFrom('runs').selectAll().orderBy('id', 'desc').limit(f.limit);
  if (f.playbookId) q = q.where('playbook_id', '=', f.playbookId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.caseId) q = q.where('case_id', '=', f.caseId);
  if (f.before) q = q.where('id', '<', f.before);
  return q.execute();
}

export const listRunSteps = (db: Db, runId: string): Promise<RunStepRow[]> =>
  db.selectFrom('run_steps').selectAll().where('run_id', '=', runId).orderBy('id').execute();

export const listRunEvents = (db: Db, runId: string): Promise<RunEventRow[]> =>
  db.selectFrom('run_events').selectAll().where('run_id', '=', runId).orderBy('id').execute();

/** Runs of a case that wait for an event (a case event may be the one they wait for). */
export async function listWaitingRunIdsOfCase(db: Db, caseId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('runs')
    .select('id')
    .where('case_id', '=', caseId)
    .where('status', '=', 'waiting')
    .execute();
  return rows.map((r) => r.id);
}
