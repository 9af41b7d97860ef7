import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface VersionHealthRow {
  version: number;
  runs: number;
  succeeded: number;
  failed: number;
  /** Mean duration of finished runs (ms), null when none finished. */
  meanDurationMs: number | null;
  mostFailingStep: { stepId: string; failures: number } | null;
}

/** Run counts, outcomes, mean duration and the step that fails most, per version of one playbook. */
export async function playbookHealthByVersion(db: Db, playbookId: string): Promise<VersionHealthRow[]> {
  const rows = await db
    .selectFrom('runs')
    .select((eb) => [
      'version',
      eb.fn.countAll<number>().as('runs'),
      eb.fn.sum<number>(eb.case().when('status', '=', 'succeeded').then(1).else(0).end()).as('succeeded'),
      eb.fn.sum<number>(eb.case().when('status', '=', 'failed').then(1).else(0).end()).as('failed'),
      eb.fn
        .avg<number>(
          eb
            .case()
            .when('finished_at', 'is not', null)
            .then(eb('finished_at', '-', eb.ref('started_at')))
            .else(null)
            .end(),
        )
        .as('mean'),
    ])
    .where('playbook_id', '=', playbookId)
    .groupBy('version')
    .orderBy('version')
    .execute();
  const failing = await db
    .selectFrom('run_events')
    .innerJoin('runs', 'runs.id', 'run_events.run_id')
    .select((eb) => ['runs.version', 'run_events.step_id', eb.fn.countAll<number>().as('failures')])
    .where('runs.playbook_id', '=', playbookId)
    .where('run_events.type', '=', 'step.failed')
    .groupBy(['runs.version', 'run_events.step_id'])
    .execute();
  return rows.map((r) => {
    const worst = failing
      .filter((f) => Number(f.version) === Number(r.version))
      .sort(
        (a, b) =>
          Number(b.failures) - Number(a.failures) || String(a.step_id).localeCompare(String(b.step_id)),
      )[0];
    return {
      version: Number(r.version),
      runs: Number(r.runs),
      succeeded: Number(r.succeeded ?? 0),
      failed: Number(r.failed ?? 0),
      meanDurationMs: r.mean === null || r.mean === undefined ? null : Math.round(Number(r.mean)),
      mostFailingStep: worst?.step_id ? { stepId: worst.step_id, failures: Number(worst.failures) } : null,
    };
  });
}
