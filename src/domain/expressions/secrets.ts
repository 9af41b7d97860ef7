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

/**
 * `value` with `f` applied to every string in it. With `share`, what `f` left unchanged comes back as it was
 * (most values hold no marker: redacting every step's events and inputs copied each of them whole); without,
 * the whole value is copied, so the caller may hand it to code that changes it.
 */
function mapStrings(value: unknown, f: (s: string) => string, share: boolean): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined = share ? undefined : value.slice();
    value.forEach((v: unknown, i) => {
      const mapped = mapStrings(v, f, share);
      if (out) out[i] = mapped;
      else if (mapped !== v) (out = value.slice())[i] = mapped;
    });
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined = share
      ? undefined
      : { ...(value as Record<string, unknown>) };
    for (const [k, v] of Object.entries(value)) {
      const mapped = mapStrings(v, f, share);
      if (out) out[k] = mapped;
      else if (mapped !== v) (out = { ...(value as Record<string, unknown>) })[k] = mapped;
    }
    return out ?? value;
  }
  return value;
}

/**
 * Replaces markers with `***` for printing and storing. What holds no marker is returned as it is (shared,
 * not copied): callers store or print the result, and never change it.
 */
export const redactSecrets = (value: unknown): unknown =>
  mapStrings(value, (s) => (s.includes(MARK) ? s.replace(MARKER, '***') : s), true);

/** Replaces markers with real values, just before a connector call. Unknown names are an error. */
export function revealSecrets(value: unknown, lookup: (name: string) => string | undefined): unknown {
  return mapStrings(
    value,
    (s) =>
      s.includes(MARK)
        ? s.replace(MARKER, (_m, name: string) => {
            const v = lookup(name);
            if (v === undefined) throw new Error(`secret ${name} is not configured`);
            return v;
          })
        : s,
    // A copy throughout: the connector gets a value it may change without touching the run's state.
    false,
  );
}

/** Strips every occurrence of the real values from text (connector errors may echo a request). */
export function scrubSecretValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (v.length >= 4) out = out.split(v).join('***');
  return out;
}
