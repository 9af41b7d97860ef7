import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { Verdict, verdictTtl, type VerdictLevel } from '../../framework/verdict.js';

/** VirusTotal API v3 (https://docs.virustotal.com/reference/overview): `x-apikey` header, JSON:API bodies. */
export const VirusTotalConfig = connectorConfig({
  baseUrl: z.url().default('https://www.virustotal.com/api/v3'),
  apiKey: secret(z.string().min(8)),
  /** Engines flagging malicious from which the verdict is `malicious` (fewer make it `suspicious`). */
  maliciousThreshold: z.number().int().min(1).default(3),
});
export type VirusTotalConfig = z.infer<typeof VirusTotalConfig>;

const AnalysisStats = z.object({
  harmless: z.number().default(0),
  malicious: z.number().default(0),
  suspicious: z.number().default(0),
  undetected: z.number().default(0),
  timeout: z.number().default(0),
});
const ObjectResponse = z.object({
  data: z.object({
    id: z.string(),
    type: z.string(),
    attributes: z.looseObject({
      last_analysis_stats: AnalysisStats.optional(),
      reputation: z.number().optional(),
      tags: z.array(z.string()).optional(),
    }),
  }),
});

type Kind = 'ip_addresses' | 'domains' | 'urls' | 'files';
const GUI: Record<Kind, string> = {
  ip_addresses: 'ip-address',
  domains: 'domain',
  urls: 'url',
  files: 'file',
};

/** URL identifiers are the URL in unpadded base64url (VirusTotal "URL identifiers"). */
export const virusTotalUrlId = (url: string): string => Buffer.from(url).toString('base64url');

async function lookup(
  ctx: ActionContext<VirusTotalConfig>,
  kind: Kind,
  id: string,
  indicator: string,
): Promise<Verdict> {
  const res = await ctx.http.request(
    {
      path: `/${kind}/${encodeURIComponent(id)}`,
      headers: { 'x-apikey': ctx.config.apiKey },
      okStatuses: [404],
    },
    ctx.signal,
  );
  const reference = `https://www.virustotal.com/gui/${GUI[kind]}/${encodeURIComponent(id)}`;
  // 404 NotFoundError: VirusTotal has never seen it, which is an answer, not a failure.
  if (res.status === 404) {
    return {
      indicator,
      verdict: 'unknown',
      score: null,
      source: 'virustotal',
      summary: { seen: false },
      reference,
    };
  }
  const { data } = ObjectResponse.parse(res.json());
  const stats = data.attributes.last_analysis_stats;
  let verdict: VerdictLevel = 'unknown';
  let score: number | null = null;
  if (stats) {
    const engines = stats.harmless + stats.malicious + stats.suspicious + stats.undetected;
    score = engines > 0 ? Math.round((100 * (stats.malicious + stats.suspicious)) / engines) : null;
    if (stats.malicious >= ctx.config.maliciousThreshold) verdict = 'malicious';
    else if (stats.malicious + stats.suspicious > 0) verdict = 'suspicious';
    else if (engines > 0) verdict = 'clean';
  }
  return {
    indicator,
    verdict,
    score,
    source: 'virustotal',
    summary: {
      seen: true,
      stats: stats ?? null,
      reputation: data.attributes.reputation ?? null,
      tags: data.attributes.tags ?? [],
    },
    reference,
  };
}

const example: Verdict = {
  indicator: '203.0.113.7',
  verdict: 'malicious',
  score: 12,
  source: 'virustotal',
  summary: {
    seen: true,
    stats: { harmless: 60, malicious: 8, suspicious: 1, undetected: 7, timeout: 0 },
    reputation: -31,
    tags: [],
  },
  reference: 'https://www.virustotal.com/gui/ip-address/203.0.113.7',
};
const cache = { key: (i: { value: string }) => i.value.toLowerCase(), ttlMs: verdictTtl };

const lookupAction = (
  name: string,
  description: string,
  kind: Kind,
  value: z.ZodType<string>,
  toId = (v: string) => v,
) =>
  defineAction({
    name: `virustotal.${name}`,
    description,
    risk: 'read',
    input: z.object({ value }),
    output: Verdict,
    example,
    idempotency: 'natural',
    cache,
    run: (ctx: ActionContext<VirusTotalConfig>, input) => lookup(ctx, kind, toId(input.value), input.value),
  });

export const virusTotalConnector = defineConnector({
  name: 'virustotal',
  title: 'VirusTotal',
  description: 'Reputation of IP addresses, domains, URLs and files from VirusTotal API v3.',
  config: VirusTotalConfig,
  actions: [
    lookupAction('lookup_ip', 'Reputation of an IP address', 'ip_addresses', z.union([z.ipv4(), z.ipv6()])),
    lookupAction('lookup_domain', 'Reputation of a domain', 'domains', z.string().min(1).max(253)),
    lookupAction('lookup_url', 'Reputation of a URL', 'urls', z.url(), virusTotalUrlId),
    lookupAction(
      'lookup_file',
      'Reputation of a file by MD5, SHA-1 or SHA-256',
      'files',
      z
        .string()
        .regex(/^([a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{64})$/, 'an MD5, SHA-1 or SHA-256 hex digest'),
    ),
  ],
  async test(ctx) {
    const config = ctx.config as VirusTotalConfig;
    // A lookup of a well-known resolver: proves the key works and costs one quota unit.
    await ctx.http.request(
      { path: '/ip_addresses/8.8.8.8', headers: { 'x-apikey': config.apiKey } },
      ctx.signal,
    );
    return { ok: true, message: 'VirusTotal accepted the API key' };
  },
});
