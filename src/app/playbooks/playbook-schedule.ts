import type { Kysely, Transaction } from 'kysely';
import { nextCronTime, parseCron } from '../../domain/playbooks/cron.js';
import type { StoreDialect } from '../../store/dialects/store-dialect.js';
import { enqueueJob } from '../../store/queue/queue.repository.js';
import type { Database } from '../../store/schema.js';

/** Queue of trigger jobs: `alert.created` (ingest), `case.event` (cases), `schedule.tick` (cron). */
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
