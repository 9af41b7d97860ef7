import { z } from 'zod';

export const IndicatorType = z.enum(['ip', 'domain', 'url', 'md5', 'sha1', 'sha256']);
export type IndicatorType = z.infer<typeof IndicatorType>;

/** The Elastic Common Schema fields each indicator type can appear in. */
export const ECS_FIELDS: Record<IndicatorType, readonly string[]> = {
  ip: ['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip', 'related.ip'],
  domain: ['destination.domain', 'dns.question.name', 'url.domain', 'tls.client.server_name'],
  url: ['url.full', 'url.original'],
  md5: ['file.hash.md5', 'process.hash.md5', 'related.hash'],
  sha1: ['file.hash.sha1', 'process.hash.sha1', 'related.hash'],
  sha256: ['file.hash.sha256', 'process.hash.sha256', 'related.hash'],
};

/**
 * A bool query matching the indicator in any of its ECS fields within the time window. `term` queries match
 * exact values (keyword and ip fields), so a value never becomes query syntax.
 */
export function huntQuery(type: IndicatorType, value: string, since: string): Record<string, unknown> {
  const normalised = type === 'ip' || type === 'url' ? value : value.toLowerCase();
  return {
    bool: {
      filter: [{ range: { '@timestamp': { gte: since } } }],
      should: ECS_FIELDS[type].map((field) => ({ term: { [field]: normalised } })),
      minimum_should_match: 1,
    },
  };
}

/** The input of elasticsearch.hunt_indicator. */
export interface HuntInput {
  type: IndicatorType;
  value: string;
  index?: string;
  since: string;
  size: number;
}

/** The hunt input for an OpenC2 `file` target: SHA-256 first, then SHA-1, then MD5. */
export function fileHashHunt(target: Record<string, unknown>): HuntInput {
  const hashes = (target.hashes ?? {}) as { md5?: string; sha1?: string; sha256?: string };
  const [type, value] = hashes.sha256
    ? (['sha256', hashes.sha256] as const)
    : hashes.sha1
      ? (['sha1', hashes.sha1] as const)
      : (['md5', hashes.md5 ?? ''] as const);
  return { type, value, since: 'now-30d', size: 50 };
}
