import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { Verdict, verdictTtl } from '../../framework/verdict.js';

/**
 * URLhaus API v1 (https://urlhaus-api.abuse.ch): form-encoded POSTs, an `Auth-Key` header, and outcomes in
 * `query_status` (`ok`, `no_results`, `invalid_url`…) rather than in the HTTP status.
 */
export const UrlhausConfig = connectorConfig({
  baseUrl: z.url().default('https://urlhaus-api.abuse.ch/v1'),
  authKey: secret(z.string().min(8)),
});
export type UrlhausConfig = z.infer<typeof UrlhausConfig>;

const UrlAnswer = z.looseObject({
  query_status: z.string(),
  url: z.string().optional(),
  url_status: z.string().nullable().optional(),
  threat: z.string().nullable().optional(),
  tags: z.array(z.string()).nullable().optional(),
  urlhaus_reference: z.string().optional(),
  date_added: z.string().optional(),
});
const HostAnswer = z.looseObject({
  query_status: z.string(),
  urlhaus_reference: z.string().optional(),
  url_count: z.union([z.string(), z.number()]).optional(),
  urls: z
    .array(
      z.looseObject({
        url_status: z.string().nullable().optional(),
        threat: z.string().nullable().optional(),
      }),
    )
    .optional(),
});

async function query(
  ctx: ActionContext<UrlhausConfig>,
  path: string,
  form: Record<string, string>,
): Promise<unknown> {
  const answer = (await ctx.http.json(
    { method: 'POST', path, form, headers: { 'Auth-Key': ctx.config.authKey } },
    ctx.signal,
  )) as { query_status?: unknown };
  const status = String(answer?.query_status ?? '');
  if (status !== 'ok' && status !== 'no_results') {
    // `invalid_url`, `unknown_auth_key`…: a failure the vendor reports in-band.
    throw new Error(`URLhaus answered query_status ${status || '(missing)'}`);
  }
  return answer;
}

const example: Verdict = {
  indicator: 'http://203.0.113.7/bins/sora.arm7',
  verdict: 'malicious',
  score: null,
  source: 'urlhaus',
  summary: { listed: true, status: 'online', threat: 'malware_download', tags: ['elf', 'mirai'] },
  reference: 'https://urlhaus.abuse.ch/url/1234567/',
};

export const urlhausConnector = defineConnector({
  name: 'urlhaus',
  title: 'URLhaus',
  description: 'Malware distribution URLs and hosts from abuse.ch URLhaus.',
  config: UrlhausConfig,
  actions: [
    defineAction({
      name: 'urlhaus.lookup_url',
      description: 'Is this URL listed as distributing malware?',
      risk: 'read',
      input: z.object({ value: z.url() }),
      output: Verdict,
      example,
      idempotency: 'natural',
      cache: { key: (i) => i.value, ttlMs: verdictTtl },
      async run(ctx: ActionContext<UrlhausConfig>, { value }): Promise<Verdict> {
        const a = UrlAnswer.parse(await query(ctx, '/url/', { url: value }));
        const listed = a.query_status === 'ok';
        return {
          indicator: value,
          verdict: listed ? (a.url_status === 'online' ? 'malicious' : 'suspicious') : 'unknown',
          score: null,
          source: 'urlhaus',
          summary: listed
            ? { listed, status: a.url_status ?? null, threat: a.threat ?? null, tags: a.tags ?? [] }
            : { listed },
          reference: a.urlhaus_reference ?? null,
        };
      },
    }),
    defineAction({
      name: 'urlhaus.lookup_host',
      description: 'Malware URLs URLhaus knows on a host (domain or IP address)',
      risk: 'read',
      input: z.object({ value: z.string().min(1).max(253) }),
      output: Verdict,
      example: { ...example, indicator: '203.0.113.7', summary: { listed: true, urlCount: 3, online: 1 } },
      idempotency: 'natural',
      cache: { key: (i) => i.value.toLowerCase(), ttlMs: verdictTtl },
      async run(ctx: ActionContext<UrlhausConfig>, { value }): Promise<Verdict> {
        const a = HostAnswer.parse(await query(ctx, '/host/', { host: value }));
        const listed = a.query_status === 'ok';
        const online = (a.urls ?? []).filter((u) => u.url_status === 'online').length;
        return {
          indicator: value,
          verdict: listed ? (online > 0 ? 'malicious' : 'suspicious') : 'unknown',
          score: null,
          source: 'urlhaus',
          summary: listed
            ? { listed, urlCount: Number(a.url_count ?? a.urls?.length ?? 0), online }
            : { listed },
          reference: a.urlhaus_reference ?? null,
        };
      },
    }),
  ],
  async test(ctx) {
    await query(ctx as ActionContext<UrlhausConfig>, '/host/', { host: 'example.com' });
    return { ok: true, message: 'URLhaus accepted the Auth-Key' };
  },
});
