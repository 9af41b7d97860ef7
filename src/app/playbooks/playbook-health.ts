import { notFound } from '../../domain/shared/errors.js';
import { findActivePlaybookVersion, findPlaybook } from '../../store/playbooks/playbook.repository.js';
import { playbookHealthByVersion, type VersionHealthRow } from '../../store/runs/run-health.repository.js';
import type { AppContext } from '../context.js';

export interface PlaybookHealth {
  playbookId: string;
  versions: Array<VersionHealthRow & { successRate: number | null; failureRate: number | null }>;
  /** Succeeded runs × the analyst minutes one run saves, as the active version declares. */
  timeSavedMinutes: number;
  reviewBy: string | null;
  reviewDue: boolean;
}

/** Health for continuous improvement: outcomes per version, where it fails, time saved, review due. */
export async function getPlaybookHealth(ctx: AppContext, playbookId: string): Promise<PlaybookHealth> {
  const pb = await findPlaybook(ctx.store.db, playbookId);
  if (!pb) throw notFound('playbook', playbookId);
  const active = await findActivePlaybookVersion(ctx.store.db, playbookId);
  const def = active
    ? (JSON.parse(active.definition) as { time_saved_minutes?: number; review_by?: string })
    : {};
  const versions = (await playbookHealthByVersion(ctx.store.db, playbookId)).map((v) => {
    const finished = v.succeeded + v.failed;
    return {
      ...v,
      successRate: finished ? v.succeeded / finished : null,
      failureRate: finished ? v.failed / finished : null,
    };
  });
  const succeeded = versions.reduce((a, v) => a + v.succeeded, 0);
  const reviewAt = def.review_by ? Date.parse(def.review_by) : Number.NaN;
  return {
    playbookId,
    versions,
    timeSavedMinutes: succeeded * (def.time_saved_minutes ?? 0),
    reviewBy: def.review_by ?? null,
    reviewDue: !Number.isNaN(reviewAt) && reviewAt <= ctx.clock.now(),
  };
}
