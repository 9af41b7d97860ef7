import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ActionContext } from '../../framework/define-connector.js';
import { splunkAuthHeader as authHeader } from './splunk-auth.js';
import type { SplunkConfig } from './splunk.config.js';

type Ctx = ActionContext<SplunkConfig>;

/** Search job ids Riposte chooses from the step key, so a retried step finds its job instead of starting another. */
export const splunkSearchId = (idempotencyKey: string): string =>
  `riposte_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;

/** SPL must start with a generating command; a bare query gets the implicit `search`. */
export const normaliseSpl = (spl: string): string => {
  const trimmed = spl.trim();
  return trimmed.startsWith('|') || /^search\s/i.test(trimmed) ? trimmed : `search ${trimmed}`;
};

const JobEntry = z.object({
  entry: z
    .array(
      z.object({
        name: z.string().optional(),
        content: z.looseObject({
          sid: z.string().optional(),
          dispatchState: z.string(),
          isDone: z.union([z.boolean(), z.number()]).transform(Boolean),
          isFailed: z.union([z.boolean(), z.number()]).transform(Boolean).default(false),
          resultCount: z.number().default(0),
          doneProgress: z.number().default(0),
          messages: z.unknown().optional(),
        }),
      }),
    )
    .min(1),
});
export const JobStatus = z.object({
  sid: z.string(),
  state: z.string(),
  done: z.boolean(),
  failed: z.boolean(),
  resultCount: z.number(),
  progress: z.number(),
});
export type JobStatus = z.infer<typeof JobStatus>;

export async function jobStatus(
  ctx: Ctx,
  sid: string,
  okStatuses: number[] = [],
): Promise<JobStatus | undefined> {
  const res = await ctx.http.request(
    {
      path: `/services/search/jobs/${encodeURIComponent(sid)}`,
      query: { output_mode: 'json' },
      headers: authHeader(ctx),
      okStatuses,
    },
    ctx.signal,
  );
  if (res.status === 404) return undefined;
  const c = JobEntry.parse(res.json()).entry[0]?.content;
  if (!c) return undefined;
  return {
    sid,
    state: c.dispatchState,
    done: c.isDone,
    failed: c.isFailed,
    resultCount: c.resultCount,
    progress: c.doneProgress,
  };
}

/**
 * Starts a search job under the id derived from the step key, unless that job already exists (a retried
 * step): `POST /services/search/jobs` with the documented form fields.
 */
export async function createSearchJob(
  ctx: Ctx,
  job: { spl: string; earliest: string; latest?: string; maxCount: number },
): Promise<{ sid: string; created: boolean }> {
  const sid = splunkSearchId(ctx.idempotencyKey);
  if (await jobStatus(ctx, sid, [404])) {
    ctx.markAlreadyApplied();
    return { sid, created: false };
  }
  const answer = z.object({ sid: z.string() }).parse(
    await ctx.http.json(
      {
        method: 'POST',
        path: '/services/search/jobs',
        headers: authHeader(ctx),
        form: {
          id: sid,
          search: job.spl,
          earliest_time: job.earliest,
          ...(job.latest ? { latest_time: job.latest } : {}),
          max_count: String(job.maxCount),
          exec_mode: 'normal',
          output_mode: 'json',
        },
      },
      ctx.signal,
    ),
  );
  return { sid: answer.sid, created: true };
}
