import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { severityFromWord, VulnerabilityFinding } from '../vulnerability/vulnerability-finding.js';

/**
 * Tenable Vulnerability Management (Tenable.io) exports API (https://developer.tenable.com/reference/exports-vulns-request-export):
 * `X-ApiKeys: accessKey=…;secretKey=…`; an export is requested, polled, and downloaded chunk by chunk.
 */
export const TenableConfig = connectorConfig({
  baseUrl: z.url().default('https://cloud.tenable.com'),
  accessKey: secret(z.string().min(16)),
  secretKey: secret(z.string().min(16)),
});
export type TenableConfig = z.infer<typeof TenableConfig>;

type Ctx = ActionContext<TenableConfig>;
const headers = (ctx: Ctx) => ({
  'x-apikeys': `accessKey=${ctx.config.accessKey};secretKey=${ctx.config.secretKey}`,
});

const Severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
const ExportStatus = z.looseObject({
  status: z.enum(['QUEUED', 'PROCESSING', 'FINISHED', 'CANCELLED', 'ERROR']),
  chunks_available: z.array(z.number()).default([]),
});
const ChunkVuln = z.looseObject({
  asset: z.looseObject({
    uuid: z.string(),
    hostname: z.string().optional(),
    fqdn: z.string().optional(),
    ipv4: z.string().optional(),
  }),
  plugin: z.looseObject({
    id: z.number(),
    name: z.string(),
    cve: z.array(z.string()).optional(),
    cvss3_base_score: z.number().optional(),
    cvss_base_score: z.number().optional(),
    cvss3_vector: z.looseObject({ raw: z.string().optional() }).optional(),
    solution: z.string().optional(),
  }),
  severity: z.string(),
  state: z.string().optional(),
});

/** One Tenable export record as a finding: a plugin on an asset, CVSS v3 when Tenable has it. */
export function tenableVulnToFinding(v: z.infer<typeof ChunkVuln>): VulnerabilityFinding {
  return {
    source: 'tenable',
    asset: { id: v.asset.uuid, hostname: v.asset.fqdn ?? v.asset.hostname, ip: v.asset.ipv4 },
    vulnId: String(v.plugin.id),
    cves: (v.plugin.cve ?? []).map((c) => c.toUpperCase()),
    title: v.plugin.name,
    severity: severityFromWord(v.severity),
    cvssScore: v.plugin.cvss3_base_score ?? v.plugin.cvss_base_score,
    cvssVector: v.plugin.cvss3_vector?.raw,
    solution: v.plugin.solution,
  };
}

export const tenableConnector = defineConnector({
  name: 'tenable',
  title: 'Tenable Vulnerability Management',
  description: 'Export open vulnerabilities from Tenable.io as findings for prioritisation.',
  config: TenableConfig,
  actions: [
    defineAction({
      name: 'tenable.start_vuln_export',
      description: 'Request an export of vulnerabilities (by severity, state, and changes since a time)',
      risk: 'read',
      input: z.object({
        severity: z.array(Severity).default(['medium', 'high', 'critical']),
        state: z.array(z.enum(['OPEN', 'REOPENED', 'FIXED'])).default(['OPEN', 'REOPENED']),
        /** Only vulnerabilities changed since (seconds since the epoch). */
        since: z.number().int().positive().optional(),
        numAssets: z.number().int().min(50).max(5_000).default(500),
      }),
      output: z.object({ exportUuid: z.string() }),
      example: { exportUuid: 'ad082ebc-e375-4250-93b3-ded6dd2757ab' },
      // An export reads data and changes nothing in Tenable; a repeat costs one export slot at most.
      idempotency: 'natural',
      async run(ctx: Ctx, input) {
        const filters: Record<string, unknown> = { severity: input.severity, state: input.state };
        if (input.since) filters.since = input.since;
        const res = z.object({ export_uuid: z.string() }).parse(
          await ctx.http.json(
            {
              method: 'POST',
              path: '/vulns/export',
              headers: headers(ctx),
              json: { num_assets: input.numAssets, filters },
            },
            ctx.signal,
          ),
        );
        return { exportUuid: res.export_uuid };
      },
    }),
    defineAction({
      name: 'tenable.collect_vuln_export',
      description: 'Poll an export; once FINISHED, download its chunks as findings (ready: false until then)',
      risk: 'read',
      input: z.object({ exportUuid: z.uuid(), maxChunks: z.number().int().min(1).max(1_000).default(50) }),
      output: z.object({
        status: z.string(),
        ready: z.boolean(),
        chunks: z.number(),
        findings: z.array(VulnerabilityFinding),
      }),
      example: {
        status: 'FINISHED',
        ready: true,
        chunks: 1,
        findings: [
          {
            source: 'tenable',
            asset: {
              id: '5a3b6c2e-1f4d-4e5a-9b8c-7d6e5f4a3b2c',
              hostname: 'web-01.example.com',
              ip: '192.0.2.10',
            },
            vulnId: '158974',
            cves: ['CVE-2022-0778'],
            title: 'OpenSSL 1.1.1 < 1.1.1n Vulnerability',
            severity: 'high',
            cvssScore: 7.5,
            cvssVector: 'AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
            solution: 'Upgrade to OpenSSL version 1.1.1n or later.',
          },
        ],
      },
      idempotency: 'natural',
      async run(ctx: Ctx, input) {
        const base = `/vulns/export/${input.exportUuid}`;
        const status = ExportStatus.parse(
          await ctx.http.json({ path: `${base}/status`, headers: headers(ctx) }, ctx.signal),
        );
        if (status.status !== 'FINISHED')
          return { status: status.status, ready: false, chunks: 0, findings: [] };
        const chunks = status.chunks_available.slice(0, input.maxChunks);
        const findings: VulnerabilityFinding[] = [];
        for (const chunk of chunks) {
          const records = z
            .array(ChunkVuln)
            .parse(
              await ctx.http.json({ path: `${base}/chunks/${chunk}`, headers: headers(ctx) }, ctx.signal),
            );
          findings.push(...records.map(tenableVulnToFinding));
        }
        return { status: status.status, ready: true, chunks: chunks.length, findings };
      },
    }),
  ],
  async test(ctx) {
    await ctx.http.request({ path: '/session', headers: headers(ctx as Ctx) }, ctx.signal);
    return { ok: true, message: 'Tenable accepted the API keys' };
  },
});
