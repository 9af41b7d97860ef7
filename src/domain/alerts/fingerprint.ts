import { hash } from 'node:crypto';
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
  return readPath(alert, splitPath(path));
}

/** Paths split once: the same few keys are read for every alert ingested. */
const splitPaths = new Map<string, readonly string[]>();
const splitPath = (path: string): readonly string[] => {
  let parts = splitPaths.get(path);
  if (!parts) {
    parts = path.split('.');
    if (splitPaths.size < 1_000) splitPaths.set(path, parts);
  }
  return parts;
};

function readPath(alert: NormalizedAlert, parts: readonly string[]): unknown {
  if (parts.length === 2 && parts[0] === 'observables') {
    const sel = parts[1];
    const out: string[] = [];
    for (const o of alert.observables) if (o.role === sel || o.type === sel) out.push(`${o.type}:${o.value}`);
    return out.sort();
  }
  let cur: unknown = alert;
  for (const key of parts) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur ?? null;
}

/** Holds no object whose keys canonical JSON would sort: its JSON.stringify is already canonical. */
const isFlat = (value: unknown): boolean =>
  value === null ||
  typeof value !== 'object' ||
  (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object'));

/** SHA-256 (hex) over the canonical JSON of the configured keys' values, prefixed by the source name. */
export function computeFingerprint(
  source: string,
  alert: NormalizedAlert,
  keys: FingerprintKeys = DEFAULT_FINGERPRINT_KEYS,
): string {
  const parts = keys.map((k) => [k, readPath(alert, splitPath(k))]);
  // The usual keys give strings and lists of strings: plain JSON.stringify writes the same text as
  // canonicalJson without copying every value to sort keys it does not have.
  const json = parts.every((p) => isFlat(p[1])) ? JSON.stringify(parts) : canonicalJson(parts);
  // One-shot hash over the same bytes the incremental hash read (source, newline, JSON).
  return hash('sha256', `${source}\n${json}`, 'hex');
}
