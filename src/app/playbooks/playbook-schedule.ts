import type { Kysely, Transaction } from 'kysely';
import { nextCronTime, parseCron } from '../../domain/playbooks/cron.js';
import type { StoreDialect } from '../../store/dialects/store-dialect.js';
import { enqueueJob } from '../../store/queue/queue.repository.js';
import type { Database } from '../../store/schema.js';

/** Queue of trigger jobs: `alerts.created` (ingest), `case.event` (cases), `schedule.tick` (cron). */
export const TRIGGER_QUEUE = 'triggers';

/**
 * Enqueues the next tick of a playbook's cron trigger after `after`: schedules are rows with a due time,
 * one per tick (deduplicated), each tick enqueueing the next.
 */
export async function scheduleNextTick(
  db: Kysely<Database> | Transaction<Database>,
  deps: { dialect: Pick<StoreDialect, 'supportsRowLocks'>; newId: () => string },
  input: { playbookId: string; cron: string; after: number },
  now: number,
): Promise<number | undefined> {
  const at = nextCronTime(parseCron(input.cron), input.after);
  if (at === undefined) return undefined;
  await enqueueJob(
    db,
    deps,
    {
      queue: TRIGGER_QUEUE,
      kind: 'schedule.tick',
      payload: { playbookId: input.playbookId, cron: input.cron, at },
      runAt: at,
      dedupeKey: `schedule:${input.playbookId}:${at}`,
    },
    now,
  );
  return at;
}

/**
 * Enqueues the reminder that a playbook version's review date has come (`review_by`): a row due then, one
 * per version. Dates that do not parse schedule nothing (validation reports them).
 */
export async function scheduleReviewReminder(
  db: Kysely<Database> | Transaction<Database>,
  deps: { dialect: Pick<StoreDialect, 'supportsRowLocks'>; newId: () => string },
  input: { playbookId: string; version: number; reviewBy: string },
  now: number,
): Promise<void> {
  const at = Date.parse(input.reviewBy);
  if (Number.isNaN(at)) return;
  await enqueueJob(
    db,
    deps,
    {
      queue: TRIGGER_QUEUE,
      kind: 'playbook.review_due',
      payload: { playbookId: input.playbookId, version: input.version, reviewBy: input.reviewBy },
      runAt: Math.max(at, now),
      dedupeKey: `review:${input.playbookId}:${input.version}`,
    },
    now,
  );
}
