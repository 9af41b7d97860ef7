import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical-json.js';
import type { NormalizedAlert } from './alert.js';

/**
 * The keys a fingerprint is computed from, as paths into the normalised alert (`origin.ruleId`,
 * `observables.ipv4`, `raw.src_ip`). Two alerts with equal values at every key are the same alert seen again.
 */
export type FingerprintKeys = readonly string[];

export const DEFAULT_FINGERPRINT_KEYS: FingerprintKeys = [
  'origin.product',
  'origin.ruleId',
  'title',
  'observables.source',
  'observables.destination',
  'observables.affected',
];

/** Reads a dotted path; `observables.<role|type>` selects observables by role or by type, sorted. */
export function valueAtPath(alert: NormalizedAlert, path: string): unknown {
  const [head, ...rest] = path.split('.');
  if (head === 'observables' && rest.length === 1) {
    const sel = rest[0];
    return alert.observables
      .filter((o) => o.role === sel || o.type === sel)
      .map((o) => `${o.type}:${o.value}`)
      .sort();
  }
  let cur: unknown = alert;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur ?? null;
}

/** SHA-256 (hex) over the canonical JSON of the configured keys' values, prefixed by the source name. */
export function computeFingerprint(
  source: string,
  alert: NormalizedAlert,
  keys: FingerprintKeys = DEFAULT_FINGERPRINT_KEYS,
): string {
  const parts = keys.map((k) => [k, valueAtPath(alert, k)]);
  return createHash('sha256').update(source).update('\n').update(canonicalJson(parts)).digest('hex');
}
