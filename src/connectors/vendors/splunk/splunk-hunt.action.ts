import { z } from 'zod';
import { defineAction, type ActionContext } from '../../framework/define-connector.js';
import { createSearchJob } from './splunk-search.js';
import type { SplunkConfig } from './splunk.config.js';

/** Common Information Model fields each indicator type appears in. */
const CIM_FIELDS = {
  ip: ['src', 'src_ip', 'dest', 'dest_ip', 'dvc_ip'],
  domain: ['query', 'dest', 'url_domain', 'dest_host'],
  url: ['url'],
  md5: ['file_hash', 'process_hash', 'md5'],
  sha1: ['file_hash', 'process_hash', 'sha1'],
  sha256: ['file_hash', 'process_hash', 'sha256'],
} as const;

/** Values are checked by type, so they can be quoted into SPL without becoming SPL themselves. */
const VALUE_PATTERNS: Record<keyof typeof CIM_FIELDS, RegExp> = {
  ip: /^[0-9a-fA-F:.]+$/,
  domain: /^[A-Za-z0-9.-]+$/,
  url: /^https?:\/\/[^\s"\\]+$/,
  md5: /^[a-fA-F0-9]{32}$/,
  sha1: /^[a-fA-F0-9]{40}$/,
  sha256: /^[a-fA-F0-9]{64}$/,
};

const HuntInput = z
  .object({
    type: z.enum(['ip', 'domain', 'url', 'md5', 'sha1', 'sha256']),
    value: z.string().min(1).max(2_048),
    index: z
      .string()
      .regex(/^[\w*-]+$/, 'an index name or pattern')
      .default('*'),
    earliestTime: z
      .string()
      .regex(/^[\w@+:-]+$/, 'a Splunk time modifier such as -7d')
      .default('-7d'),
    maxCount: z.number().int().positive().max(10_000).default(1_000),
  })
  .refine((i) => VALUE_PATTERNS[i.type].test(i.value), {
    message: 'value does not look like its type',
    path: ['value'],
  });

/** The SPL of a hunt: the value in any of the type's CIM fields, newest first. */
export function huntSpl(input: { type: keyof typeof CIM_FIELDS; value: string; index: string }): string {
  const value = input.type === 'ip' || input.type === 'url' ? input.value : input.value.toLowerCase();
  const terms = CIM_FIELDS[input.type].map((f) => `${f}="${value}"`).join(' OR ');
  return `search index=${input.index} (${terms}) | sort 0 - _time`;
}

/** Starts a search job for an indicator; poll and read it with splunk.get_search_job / get_search_results. */
export const huntIndicatorAction = defineAction({
  name: 'splunk.hunt_indicator',
  description: 'Start a search for an IP, domain, URL or file hash across the CIM fields that carry it',
  risk: 'read',
  input: HuntInput,
  output: z.object({ sid: z.string(), created: z.boolean() }),
  example: { sid: 'riposte_9b2e4c6d8f0a1b3c5d7e9f01', created: true },
  idempotency: 'query-first',
  run: (ctx: ActionContext<SplunkConfig>, input) =>
    createSearchJob(ctx, { spl: huntSpl(input), earliest: input.earliestTime, maxCount: input.maxCount }),
});
