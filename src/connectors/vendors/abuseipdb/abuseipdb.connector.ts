import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { Verdict, verdictTtl, type VerdictLevel } from '../../framework/verdict.js';

/** AbuseIPDB API v2 (https://docs.abuseipdb.com): `Key` header, `Accept: application/json`. */
export const AbuseIpdbConfig = connectorConfig({
  baseUrl: z.url().default('https://api.abuseipdb.com/api/v2'),
  apiKey: secret(z.string().min(8)),
  maxAgeInDays: z.number().int().min(1).max(365).default(90),
  /** Confidence score from which an address is `malicious` (from 25 it is `suspicious`). */
  maliciousScore: z.number().int().min(1).max(100).default(75),
});
export type AbuseIpdbConfig = z.infer<typeof AbuseIpdbConfig>;

const CheckResponse = z.object({
  data: z.looseObject({
    ipAddress: z.string(),
    isPublic: z.boolean().optional(),
    isWhitelisted: z.boolean().nullable().optional(),
    abuseConfidenceScore: z.number(),
    countryCode: z.string().nullable().optional(),
    usageType: z.string().nullable().optional(),
    isp: z.string().nullable().optional(),
    domain: z.string().nullable().optional(),
    totalReports: z.number().optional(),
    numDistinctUsers: z.number().optional(),
    lastReportedAt: z.string().nullable().optional(),
  }),
});
const ReportResponse = z.object({
  data: z.object({ ipAddress: z.string(), abuseConfidenceScore: z.number() }),
});

const headers = (ctx: ActionContext<AbuseIpdbConfig>) => ({
  Key: ctx.config.apiKey,
  Accept: 'application/json',
});
const Ip = z.union([z.ipv4(), z.ipv6()]);

export const abuseIpdbConnector = defineConnector({
  name: 'abuseipdb',
  title: 'AbuseIPDB',
  description: 'Abuse reports and confidence score of IP addresses; report abusive addresses.',
  config: AbuseIpdbConfig,
  actions: [
    defineAction({
      name: 'abuseipdb.check_ip',
      description: 'Abuse confidence score and report counts of an IP address (CHECK endpoint)',
      risk: 'read',
      input: z.object({ value: Ip }),
      output: Verdict,
      example: {
        indicator: '118.25.6.39',
        verdict: 'malicious',
        score: 100,
        source: 'abuseipdb',
        summary: {
          totalReports: 1432,
          numDistinctUsers: 301,
          countryCode: 'CN',
          usageType: 'Data Center/Web Hosting/Transit',
          isWhitelisted: false,
        },
        reference: 'https://www.abuseipdb.com/check/118.25.6.39',
      },
      idempotency: 'natural',
      cache: { key: (i) => i.value.toLowerCase(), ttlMs: verdictTtl },
      async run(ctx: ActionContext<AbuseIpdbConfig>, { value }) {
        const body = CheckResponse.parse(
          await ctx.http.json(
            {
              path: '/check',
              query: { ipAddress: value, maxAgeInDays: ctx.config.maxAgeInDays },
              headers: headers(ctx),
            },
            ctx.signal,
          ),
        );
        const d = body.data;
        const score = d.abuseConfidenceScore;
        const verdict: VerdictLevel = d.isWhitelisted
          ? 'clean'
          : score >= ctx.config.maliciousScore
            ? 'malicious'
            : score >= 25
              ? 'suspicious'
              : (d.totalReports ?? 0) > 0
                ? 'clean'
                : 'unknown';
        return {
          indicator: value,
          verdict,
          score,
          source: 'abuseipdb',
          summary: {
            totalReports: d.totalReports ?? 0,
            numDistinctUsers: d.numDistinctUsers ?? 0,
            countryCode: d.countryCode ?? null,
            usageType: d.usageType ?? null,
            isWhitelisted: d.isWhitelisted ?? null,
          },
          reference: `https://www.abuseipdb.com/check/${value}`,
        };
      },
    }),
    defineAction({
      name: 'abuseipdb.report_ip',
      description: 'Report an abusive IP address with categories and a comment (REPORT endpoint)',
      risk: 'read',
      input: z.object({
        ip: Ip,
        categories: z.array(z.number().int().min(1).max(23)).min(1),
        comment: z.string().max(1024).default(''),
      }),
      output: z.object({ ipAddress: z.string(), abuseConfidenceScore: z.number() }),
      example: { ipAddress: '127.0.0.1', abuseConfidenceScore: 52 },
      // AbuseIPDB refuses a second report of one address within 15 minutes: a retry cannot double-report.
      idempotency: 'natural',
      async run(ctx: ActionContext<AbuseIpdbConfig>, input) {
        const body = ReportResponse.parse(
          await ctx.http.json(
            {
              method: 'POST',
              path: '/report',
              headers: headers(ctx),
              form: { ip: input.ip, categories: input.categories.join(','), comment: input.comment },
            },
            ctx.signal,
          ),
        );
        return body.data;
      },
    }),
  ],
  async test(ctx) {
    const config = ctx.config as AbuseIpdbConfig;
    await ctx.http.request(
      { path: '/check', query: { ipAddress: '127.0.0.1', maxAgeInDays: 1 }, headers: { Key: config.apiKey } },
      ctx.signal,
    );
    return { ok: true, message: 'AbuseIPDB accepted the API key' };
  },
});
