/**
 * Secrets never enter a run's state: expressions see `secrets.NAME` as an opaque marker, which only the
 * worker swaps for the real value at the moment it calls a connector. Recorded inputs keep the marker and
 * print as `***`.
 */

const MARK = '\u00absecret:';
const END = '\u00bb';
const MARKER = /\u00absecret:([A-Za-z0-9_.-]+)\u00bb/g;

export const secretMarker = (name: string): string => `${MARK}${name}${END}`;

/** The `secrets` object expressions see: each declared name maps to its marker. */
export function secretMarkers(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, secretMarker(n)]));
}

const mapStrings = (value: unknown, f: (s: string) => string): unknown => {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, f);
    return out;
  }
  return value;
};

/**
 * Like mapStrings, but a value in which `f` changed nothing comes back as it was, not copied: most values
 * hold no marker, and redacting every step's events and inputs copied each of them whole.
 */
const mapStringsShared = (value: unknown, f: (s: string) => string): unknown => {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v: unknown, i) => {
      const mapped = mapStringsShared(v, f);
      if (mapped !== v) (out ??= value.slice())[i] = mapped;
    });
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const mapped = mapStringsShared(v, f);
      if (mapped !== v) (out ??= { ...value })[k] = mapped;
    }
    return out ?? value;
  }
  return value;
};

/**
 * Replaces markers with `***` for printing and storing. What holds no marker is returned as it is (shared,
 * not copied): callers store or print the result, and never change it.
 */
export const redactSecrets = (value: unknown): unknown =>
  mapStringsShared(value, (s) => (s.includes(MARK) ? s.replace(MARKER, '***') : s));

/** Replaces markers with real values, just before a connector call. Unknown names are an error. */
export function revealSecrets(value: unknown, lookup: (name: string) => string | undefined): unknown {
  return mapStrings(value, (s) =>
    s.includes(MARK)
      ? s.replace(MARKER, (_m, name: string) => {
          const v = lookup(name);
          if (v === undefined) throw new Error(`secret ${name} is not configured`);
          return v;
        })
      : s,
  );
}

/** Strips every occurrence of the real values from text (connector errors may echo a request). */
export function scrubSecretValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (v.length >= 4) out = out.split(v).join('***');
  return out;
}
