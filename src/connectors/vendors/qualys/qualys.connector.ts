import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { VulnerabilityFinding } from '../vulnerability/vulnerability-finding.js';
import { parseQualysDetections, parseQualysKnowledgeBase, qualysFailure } from './qualys-xml.js';

/**
 * Qualys VMDR API v2 (https://docs.qualys.com/en/vm/api/): Basic auth, a mandatory `X-Requested-With`
 * header, form-encoded POSTs, XML answers. The API host depends on the subscription's platform.
 */
export const QualysConfig = connectorConfig({
  baseUrl: z.url().default('https://qualysapi.qualys.com'),
  username: z.string().min(1),
  password: secret(z.string().min(1)),
});
export type QualysConfig = z.infer<typeof QualysConfig>;

type Ctx = ActionContext<QualysConfig>;

async function callQualys(ctx: Ctx, path: string, form: Record<string, string>): Promise<string> {
  const res = await ctx.http.request(
    {
      method: 'POST',
      path,
      headers: {
        authorization: `Basic ${Buffer.from(`${ctx.config.username}:${ctx.config.password}`).toString('base64')}`,
        'x-requested-with': 'Riposte',
        accept: 'text/xml',
      },
      form,
      // Listing changes nothing: safe to retry.
      idempotent: true,
      // 409: Qualys's rate and concurrency limits, with the wait in a header. Handed to the engine as a
      // retryable rate limit: it reschedules the step durably rather than holding a worker.
      okStatuses: [409],
    },
    ctx.signal,
  );
  if (res.status === 409) {
    const wait = Number(res.headers['x-ratelimit-towait-sec'] ?? '');
    throw new ConnectorError(
      ConnectorErrorCode.rateLimited,
      `Qualys limit reached: ${qualysFailure(res.text) ?? 'HTTP 409'}`,
      {
        retryable: true,
        retryAfterMs: Number.isFinite(wait) && wait > 0 ? wait * 1000 : undefined,
        status: 409,
      },
    );
  }
  return res.text;
}

export const qualysConnector = defineConnector({
  name: 'qualys',
  title: 'Qualys VMDR',
  description:
    'Host detections from Qualys VMDR, enriched with CVEs and CVSS from the KnowledgeBase, as findings.',
  config: QualysConfig,
  actions: [
    defineAction({
      name: 'qualys.list_host_detections',
      description:
        'Active detections per host (Host List Detection API), with CVEs and CVSS from the KnowledgeBase',
      risk: 'read',
      input: z.object({
        severities: z
          .string()
          .regex(/^[1-5](-[1-5])?$/, 'a severity or range such as 3-5')
          .default('3-5'),
        status: z
          .array(z.enum(['New', 'Active', 'Re-Opened', 'Fixed']))
          .default(['New', 'Active', 'Re-Opened']),
        truncationLimit: z.number().int().min(1).max(1_000_000).default(1_000),
        /** Continue after the host id a previous page stopped at (`nextIdMin`). */
        idMin: z.number().int().positive().optional(),
        enrich: z.boolean().default(true),
      }),
      output: z.object({ findings: z.array(VulnerabilityFinding), nextIdMin: z.number().optional() }),
      example: {
        findings: [
          {
            source: 'qualys',
            asset: { id: '12345678', hostname: 'web-01.example.com', ip: '192.0.2.10' },
            vulnId: '38739',
            cves: ['CVE-2022-0778'],
            title: 'OpenSSL Denial of Service Vulnerability',
            severity: 'high',
            cvssScore: 7.5,
          },
        ],
        nextIdMin: 12345679,
      },
      idempotency: 'natural',
      async run(ctx: Ctx, input) {
        const form: Record<string, string> = {
          action: 'list',
          show_results: '0',
          severities: input.severities,
          status: input.status.join(','),
          truncation_limit: String(input.truncationLimit),
        };
        if (input.idMin) form.id_min = String(input.idMin);
        const page = parseQualysDetections(
          await callQualys(ctx, '/api/2.0/fo/asset/host/vm/detection/', form),
        );
        const qids = [...new Set(page.detections.map((d) => d.qid))];
        const kb =
          input.enrich && qids.length
            ? parseQualysKnowledgeBase(
                await callQualys(ctx, '/api/2.0/fo/knowledge_base/vuln/', {
                  action: 'list',
                  ids: qids.join(','),
                  details: 'All',
                }),
              )
            : new Map();
        const findings: VulnerabilityFinding[] = page.detections.map((d) => {
          const vuln = kb.get(d.qid);
          return {
            source: 'qualys',
            asset: d.asset,
            vulnId: d.qid,
            cves: vuln?.cves ?? [],
            title: vuln?.title ?? `Qualys QID ${d.qid}`,
            severity: d.severity,
            cvssScore: vuln?.cvss3 ?? vuln?.cvss2,
            solution: vuln?.solution,
          };
        });
        return { findings, nextIdMin: page.nextIdMin };
      },
    }),
  ],
  async test(ctx) {
    await callQualys(ctx as Ctx, '/api/2.0/fo/asset/host/', { action: 'list', truncation_limit: '1' });
    return { ok: true, message: 'Qualys accepted the credentials' };
  },
});
