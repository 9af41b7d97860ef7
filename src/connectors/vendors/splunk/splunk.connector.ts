import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { huntIndicatorAction } from './splunk-hunt.action.js';
import { updateNotableAction } from './splunk-notable.action.js';
import { createSearchJob, jobStatus, JobStatus, normaliseSpl } from './splunk-search.js';
import { splunkAuthHeader as authHeader } from './splunk-auth.js';
import { SplunkConfig } from './splunk.config.js';
import { defineAction, defineConnector, type ActionContext } from '../../framework/define-connector.js';

export { SplunkConfig };
export { splunkSearchId } from './splunk-search.js';

type Ctx = ActionContext<SplunkConfig>;

export const splunkConnector = defineConnector({
  name: 'splunk',
  title: 'Splunk',
  description:
    'Run SPL search jobs (create, poll, read results), hunt an indicator across CIM fields, and update Enterprise Security notable events.',
  config: SplunkConfig,
  actions: [
    defineAction({
      name: 'splunk.create_search_job',
      description:
        'Start a search job with an id derived from the step key; poll it with splunk.get_search_job',
      risk: 'read',
      input: z.object({
        search: z.string().min(1),
        earliestTime: z.string().optional(),
        latestTime: z.string().optional(),
        maxCount: z.number().int().positive().max(50_000).default(10_000),
      }),
      output: z.object({ sid: z.string(), created: z.boolean() }),
      example: { sid: 'riposte_3f1c9a2b7d4e5f60718293a4', created: true },
      idempotency: 'query-first',
      run: (ctx: Ctx, input) =>
        createSearchJob(ctx, {
          spl: normaliseSpl(input.search),
          earliest: input.earliestTime ?? ctx.config.defaultEarliest,
          latest: input.latestTime,
          maxCount: input.maxCount,
        }),
    }),
    defineAction({
      name: 'splunk.get_search_job',
      description: 'State of a search job (QUEUED, RUNNING, DONE, FAILED) and its result count',
      risk: 'read',
      input: z.object({ sid: z.string().min(1) }),
      output: JobStatus,
      example: {
        sid: 'riposte_3f1c9a2b7d4e5f60718293a4',
        state: 'DONE',
        done: true,
        failed: false,
        resultCount: 3,
        progress: 1,
      },
      idempotency: 'natural',
      async run(ctx: Ctx, { sid }) {
        const status = await jobStatus(ctx, sid);
        if (!status)
          throw new ConnectorError(ConnectorErrorCode.notFound, `Splunk has no search job ${sid}`, {
            retryable: false,
          });
        return status;
      },
    }),
    defineAction({
      name: 'splunk.get_search_results',
      description: 'Results of a finished search job (ready: false while it still runs)',
      risk: 'read',
      input: z.object({
        sid: z.string().min(1),
        offset: z.number().int().min(0).default(0),
        count: z.number().int().min(1).max(50_000).default(1_000),
      }),
      output: z.object({
        ready: z.boolean(),
        fields: z.array(z.string()),
        results: z.array(z.record(z.string(), z.unknown())),
      }),
      example: {
        ready: true,
        fields: ['_time', 'src_ip', 'count'],
        results: [{ _time: '2026-11-20T08:00:00.000+00:00', src_ip: '203.0.113.7', count: '42' }],
      },
      idempotency: 'natural',
      async run(ctx: Ctx, input) {
        const res = await ctx.http.request(
          {
            path: `/services/search/v2/jobs/${encodeURIComponent(input.sid)}/results`,
            query: { output_mode: 'json', offset: input.offset, count: input.count },
            headers: authHeader(ctx),
            // 204 No Content: the job has not finished yet.
            okStatuses: [204],
          },
          ctx.signal,
        );
        if (res.status === 204) return { ready: false, fields: [], results: [] };
        const body = z
          .object({
            fields: z.array(z.union([z.string(), z.object({ name: z.string() })])).default([]),
            results: z.array(z.record(z.string(), z.unknown())),
          })
          .parse(res.json());
        return {
          ready: true,
          fields: body.fields.map((f) => (typeof f === 'string' ? f : f.name)),
          results: body.results,
        };
      },
    }),
    huntIndicatorAction,
    updateNotableAction,
  ],
  async test(ctx) {
    const info = z
      .object({
        entry: z.array(
          z.object({
            content: z.looseObject({ version: z.string().optional(), serverName: z.string().optional() }),
          }),
        ),
      })
      .parse(
        await ctx.http.json(
          { path: '/services/server/info', query: { output_mode: 'json' }, headers: authHeader(ctx as Ctx) },
          ctx.signal,
        ),
      );
    const c = info.entry[0]?.content;
    return {
      ok: true,
      message: `Splunk ${c?.version ?? '?'} on ${c?.serverName ?? '?'} accepted the credentials`,
    };
  },
});
