import { MAX_ORIGIN_NAME, type NormalizedAlert } from '../../domain/alerts/alert.js';
import { extractObservables } from '../../domain/observables/extract-observables.js';
import { dedupeObservables, normalizeObservable } from '../../domain/observables/normalize-observable.js';
import type { Observable, ObservableRole, ObservableType } from '../../domain/observables/observable.js';
import { MappingError } from './mapper.js';
import { LATEST_TIME } from '../../domain/shared/clock.js';
import { readIsoTime } from '../../domain/shared/iso-time.js';
import { monthIndex, yearlessInstant } from '../formats/syslog.js';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A path's ways of splitting at a dot into a key and the rest, longest key first (`a.b.c` → `a.b` + `c`, then
 * `a` + `b.c`). Mappers read the same few dozen paths of every alert, so each path is cut once.
 */
const splitsByPath = new Map<string, ReadonlyArray<readonly [head: string, rest: string]>>();
function splitsOf(path: string): ReadonlyArray<readonly [head: string, rest: string]> {
  let splits = splitsByPath.get(path);
  if (splits) return splits;
  const cut: Array<readonly [string, string]> = [];
  for (let dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1))
    cut.push([path.slice(0, dot), path.slice(dot + 1)]);
  splits = cut;
  // Paths come from mapper code and source configuration; the bound only guards against a runaway caller.
  if (splitsByPath.size >= 10_000) splitsByPath.clear();
  splitsByPath.set(path, splits);
  return splits;
}

/**
 * Reads a dotted path from nested objects or from flattened keys (`kibana.alert.rule.name` may be one key,
 * three levels, or a mix: ECS documents arrive in every form). Array indexes are path segments (`a.0.b`).
 */
export function get(obj: unknown, path: string): unknown {
  if (path === '') return obj;
  if (Array.isArray(obj)) {
    const dot = path.indexOf('.');
    const head = dot < 0 ? path : path.slice(0, dot);
    if (!/^\d+$/.test(head)) return undefined;
    return get(obj[Number(head)], dot < 0 ? '' : path.slice(dot + 1));
  }
  if (!isObject(obj)) return undefined;
  if (Object.hasOwn(obj, path)) return obj[path];
  // Longest flattened key first, so `a.b` as one key wins over `a` → `b`.
  for (const [head, rest] of splitsOf(path)) {
    if (!Object.hasOwn(obj, head)) continue;
    const found = get(obj[head], rest);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The first path with a non-empty value. */
export const first = (obj: unknown, ...paths: string[]): unknown => {
  for (const p of paths) {
    const v = get(obj, p);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
};

export const str = (v: unknown): string | null =>
  typeof v === 'string'
    ? v === ''
      ? null
      : v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : null;

export const strings = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v])
    .map(str)
    .filter((s): s is string => s !== null);

export const arr = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];

/**
 * A time in ms: ISO 8601 / RFC 3339 text, a year-less syslog time (`Mar  1 10:00:00`), or epoch seconds /
 * ms / µs / ns as a number or numeric text (told apart by magnitude). `fallback` when absent or unparseable.
 *
 * ISO text without a zone is read as UTC, not in the server's zone (readIsoTime): the same alert must get
 * the same time on every server whatever its TZ; a source logging local time is put right by configuring
 * its zone. ISO text naming no instant (February 30) is a bad field, not rolled over into March.
 * A syslog time gets the year putting it closest to `now`, at most a day ahead, as RFC 3164 receivers do,
 * so a December line read in January falls in the old year. It is read as UTC too.
 */
export function parseTime(v: unknown, fallback: number, now: number = fallback): number {
  const t = rawTime(v, now);
  // Only instants between 1970 and 9999 are believed; anything else is a bad field, not a time.
  return t !== undefined && Number.isSafeInteger(t) && t >= 0 && t <= LATEST_TIME ? t : fallback;
}

const SYSLOG_TIME = /^([a-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/i;

/** A year-less syslog time's instant (see yearlessInstant), or undefined. */
function syslogTime(m: RegExpExecArray, now: number): number | undefined {
  const month = monthIndex(m[1] ?? '');
  if (month < 0) return undefined;
  const at = yearlessInstant(
    {
      month,
      day: Number(m[2]),
      hour: Number(m[3]),
      minute: Number(m[4]),
      second: Number(m[5]),
      ms: Math.round(Number(m[6] ?? 0) * 1000),
    },
    now,
  );
  return at ?? undefined;
}

function rawTime(v: unknown, now: number): number | undefined {
  if (typeof v === 'string' && v.trim() !== '' && !/^\d+(\.\d+)?$/.test(v.trim())) {
    const text = v.trim();
    const syslog = SYSLOG_TIME.exec(text);
    if (syslog) return syslogTime(syslog, now);
    // An offset without its colon (`+0530`), as many sources write it, is RFC 3339's `+05:30`.
    const zoned = text.replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
    const iso = readIsoTime(zoned);
    if (iso.ok) return iso.ms;
    if (iso.problem === 'no such date or time') return undefined;
    // Other forms (RFC 2822's `Wed, 01 May 2024 10:00:00 GMT`, …) as V8 reads them.
    const t = Date.parse(zoned);
    return Number.isNaN(t) ? undefined : t;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (n < 1e11) return Math.round(n * 1000);
  if (n < 1e14) return Math.round(n);
  if (n < 1e17) return Math.round(n / 1000);
  return Math.round(n / 1e6);
}

/** Collects typed observables; values that are not of their type are dropped, not stored. */
export class ObservableBag {
  private readonly list: Observable[] = [];

  add(type: ObservableType, value: unknown, role: ObservableRole = 'related'): this {
    for (const v of arr(value)) {
      const o = normalizeObservable(type, v, role);
      if (o) this.list.push(o);
    }
    return this;
  }

  /** An IP or a host name, whichever the value is. */
  addHost(value: unknown, role: ObservableRole): this {
    for (const v of arr(value)) {
      const ip = normalizeObservable('ipv4', v, role);
      if (ip) this.list.push(ip);
      else this.add('hostname', v, role);
    }
    return this;
  }

  /** A hash whose algorithm is told by its length. */
  addHash(value: unknown, role: ObservableRole = 'related'): this {
    for (const v of arr(value)) {
      const s = str(v)?.toLowerCase() ?? '';
      const type = ({ 32: 'md5', 40: 'sha1', 64: 'sha256' } as const)[s.length as 32 | 40 | 64];
      if (type) this.add(type, s, role);
    }
    return this;
  }

  addFromText(text: unknown, role: ObservableRole = 'related'): this {
    const s = str(text);
    if (s) this.list.push(...extractObservables(s, role));
    return this;
  }

  /** Deduplicated; where free text found what a typed field already gave, the typed role wins. */
  toArray(): Observable[] {
    const typed = new Set(this.list.filter((o) => o.role !== 'related').map((o) => `${o.type}:${o.value}`));
    return dedupeObservables(
      this.list.filter((o) => o.role !== 'related' || !typed.has(`${o.type}:${o.value}`)),
    );
  }
}

/** Throws a MappingError when the value is missing; the message names the path. */
export function required(payload: Json, path: string, what: string): string {
  const v = str(get(payload, path));
  if (v === null) throw new MappingError(path, `${what} is missing (expected at ${path})`);
  return v;
}

const clip = (text: string | null, max: number): string | null => (text === null ? null : text.slice(0, max));

/**
 * Fills the fields every mapper shares and clips overlong text, so the schema's limits always hold. The origin's
 * names are indexed (per-rule counts and correlation): PostgreSQL refuses an index row over ~2,700 bytes, and
 * that refusal failed every alert of the transaction.
 */
export function buildAlert(fields: Omit<NormalizedAlert, 'classUid'>): NormalizedAlert {
  const { origin } = fields;
  return {
    classUid: 2004,
    ...fields,
    title: fields.title.slice(0, 1000) || 'untitled alert',
    description: clip(fields.description, 20_000),
    sourceEventId: clip(fields.sourceEventId, 512),
    origin: {
      ...origin,
      product: clip(origin.product, MAX_ORIGIN_NAME),
      vendor: clip(origin.vendor, MAX_ORIGIN_NAME),
      ruleId: clip(origin.ruleId, MAX_ORIGIN_NAME),
      ruleName: clip(origin.ruleName, 1000),
    },
    techniques: [...new Set(fields.techniques)].filter((t) => /^T\d{4}(\.\d{3})?$/.test(t)),
  };
}
