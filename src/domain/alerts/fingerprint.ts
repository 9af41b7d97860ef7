import { hash } from 'node:crypto';
import { ObservableRole, ObservableType } from '../observables/observable.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { AlertOriginSchema, NormalizedAlertSchema, type NormalizedAlert } from './alert.js';

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

const ALERT_FIELDS: ReadonlySet<string> = new Set(Object.keys(NormalizedAlertSchema.shape));
const ORIGIN_FIELDS: ReadonlySet<string> = new Set(Object.keys(AlertOriginSchema.shape));
const OBSERVABLE_SELECTORS: ReadonlySet<string> = new Set<string>([...ObservableRole, ...ObservableType]);
const listed = (names: ReadonlySet<string>): string => [...names].join(', ');

/**
 * Why `key` names no value of any alert, or undefined when it can name one: a field of the normalised alert,
 * `origin.<field>`, `observables.<role|type>`, or any path under `raw` (the event as received, whatever its
 * shape). A key that names nothing reads null for every alert, so it adds nothing to tell alerts apart: with
 * only such keys, every alert of a source would be a repeat of its first.
 *
 * @example fingerprintKeyProblem('titel') // '"titel" is not a field of an alert (classUid, time, title, …)'
 */
export function fingerprintKeyProblem(key: string): string | undefined {
  if (key === '') return 'is empty';
  const [field = '', ...rest] = key.split('.');
  if (!ALERT_FIELDS.has(field))
    return `"${field}" is not a field of an alert (${listed(ALERT_FIELDS)}; raw.<path> reads the event)`;
  if (field === 'raw') return rest.includes('') ? 'has an empty step between two dots' : undefined;
  if (rest.length === 0) return undefined;
  const under = rest.join('.');
  if (field === 'origin' && rest.length === 1)
    return ORIGIN_FIELDS.has(under)
      ? undefined
      : `"${under}" is not a field of origin (${listed(ORIGIN_FIELDS)})`;
  if (field === 'observables' && rest.length === 1)
    return OBSERVABLE_SELECTORS.has(under)
      ? undefined
      : `"${under}" is neither a role nor a type of observable (${listed(OBSERVABLE_SELECTORS)})`;
  return 'names nothing: only origin.<field>, observables.<role|type> and raw.<path> read inside a field';
}

/**
 * Reads a dotted path; `observables.<role|type>` selects observables by role or by type, and `observables`
 * gives them all, both in a stable order.
 */
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
  if (parts.length === 1 && parts[0] === 'observables') return sortedObservables(alert);
  let cur: unknown = alert;
  for (const key of parts) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur ?? null;
}

/**
 * All the observables, ordered by their canonical JSON: a mapper lists those of one field in the order of
 * the event's list (`src_ip: [a, b]`), which a sender may change between two sightings of one detection.
 * Alerts stored before this sort were fingerprinted in the event's order, so a repeat after the upgrade may
 * not match an alert stored before it and is stored as new once: acceptable for a key this rarely used (the
 * default keys and `observables.<role|type>` read what they always read).
 */
function sortedObservables(alert: NormalizedAlert): NormalizedAlert['observables'] {
  const keyed = alert.observables.map((o) => ({ o, text: canonicalJson(o) }));
  keyed.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return keyed.map((k) => k.o);
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
