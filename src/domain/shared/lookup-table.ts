/**
 * A constant table read with keys that come from outside (a vendor's severity word, an XML entity name).
 * Only the table's own keys are found: on a plain object `constructor`, `toString` or `__proto__` answered
 * Object's members, and a CEF line of severity `constructor` failed its whole ingest step.
 */
export function lookupTable<V>(entries: Readonly<Record<string, V>>): (key: string) => V | undefined {
  const table = new Map(Object.entries(entries));
  return (key) => table.get(key);
}
