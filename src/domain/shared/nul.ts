/**
 * U+0000 in stored text. PostgreSQL's text columns cannot hold it, so the API refuses it where a caller sent
 * it (src/api/nul-guard.ts) and ingest replaces it in an alert's normalised fields (map-item.ts).
 */
export const NUL = '\u0000';

/**
 * Where the first NUL in a parsed JSON value is, as the keys and indexes leading to it (a key holding one
 * ends the path there), or undefined when there is none. Plain objects and arrays only: a Buffer or a stream
 * is not JSON. The path is built only on the way back from a hit, so a clean value allocates nothing.
 */
export function nulPath(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? [] : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = nulPath(value[i]);
      if (found) return [String(i), ...found];
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes(NUL)) return [key];
    const found = nulPath((value as Record<string, unknown>)[key]);
    if (found) return [key, ...found];
  }
  return undefined;
}
