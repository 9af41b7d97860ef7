import { z } from 'zod';
import type { Indicator, IndicatorType } from '../../framework/indicator-port.js';
import { lookupTable } from '../../../domain/shared/lookup-table.js';

/** The STIX 2.1 indicator fields we use (STIX 2.1 §4.7); everything else is kept in `raw`. */
const StixIndicator = z.looseObject({
  type: z.literal('indicator'),
  id: z.string(),
  name: z.string().optional(),
  pattern: z.string(),
  pattern_type: z.string().optional(),
  modified: z.string(),
  valid_from: z.string().optional(),
  valid_until: z.string().optional(),
  revoked: z.boolean().optional(),
  confidence: z.number().optional(),
  labels: z.array(z.string()).optional(),
  indicator_types: z.array(z.string()).optional(),
});

/** STIX cyber-observable object paths we can turn into a single value to look up. */
const PATHS = lookupTable<IndicatorType>({
  'ipv4-addr:value': 'ipv4',
  'ipv6-addr:value': 'ipv6',
  'domain-name:value': 'domain',
  'url:value': 'url',
  'email-addr:value': 'email',
  "file:hashes.'SHA-256'": 'sha256',
  'file:hashes.SHA256': 'sha256',
  "file:hashes.'SHA-1'": 'sha1',
  'file:hashes.SHA1': 'sha1',
  'file:hashes.MD5': 'md5',
  "file:hashes.'MD5'": 'md5',
});

const COMPARISON = /([a-z0-9-]+:[A-Za-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'/g;

/**
 * The equality comparisons of a STIX pattern that each identify the threat on their own: comparisons
 * joined by OR, in one or more observation expressions. A pattern with AND (or FOLLOWEDBY, repeats…)
 * needs several facts together; one value alone would over-match, so it yields nothing.
 */
export function patternValues(pattern: string): Array<{ type: IndicatorType; value: string }> {
  if (/\bAND\b|\bFOLLOWEDBY\b|\bREPEATS\b|\bMATCHES\b|\bLIKE\b|!=|<|>/.test(pattern)) return [];
  const out: Array<{ type: IndicatorType; value: string }> = [];
  for (const match of pattern.matchAll(COMPARISON)) {
    const type = PATHS(match[1] ?? '');
    const value = (match[2] ?? '').replace(/\\(.)/g, '$1').trim();
    if (type && value) out.push({ type, value: type === 'url' ? value : value.toLowerCase() });
  }
  return out;
}

const time = (text: string | undefined): number | null => {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
};

/** Indicators from a list of STIX objects (a bundle's or a TAXII envelope's); other objects are skipped. */
export function stixObjectsToIndicators(objects: readonly unknown[], source: string): Indicator[] {
  const out: Indicator[] = [];
  for (const object of objects) {
    const parsed = StixIndicator.safeParse(object);
    if (!parsed.success || parsed.data.revoked) continue;
    const s = parsed.data;
    if (s.pattern_type && s.pattern_type !== 'stix') continue;
    for (const { type, value } of patternValues(s.pattern)) {
      out.push({
        id: `${s.id}#${type}:${value}`,
        source,
        type,
        value,
        name: s.name ?? null,
        labels: [...(s.indicator_types ?? []), ...(s.labels ?? [])],
        confidence: s.confidence ?? null,
        validFrom: time(s.valid_from),
        validUntil: time(s.valid_until),
        modified: time(s.modified) ?? 0,
        raw: object,
      });
    }
  }
  return out;
}
