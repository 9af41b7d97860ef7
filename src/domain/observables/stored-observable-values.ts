import { normalizeObservable } from './normalize-observable.js';
import { ObservableType } from './observable.js';

/**
 * The values an observable searched for as `searched` may be stored under: the text as given, and what
 * normalizeObservable makes of it as each type (trimmed, refanged, a domain or hash lower-cased, an
 * IPv4-mapped IPv6 address as its IPv4 host), since every observable is stored in that form. Without these,
 * `Evil.Example.COM` or `45.33.9[.]1` found nothing though the alerts held the very same observable.
 *
 * @example
 * storedObservableValues('Evil[.]Example.COM');
 * // ['Evil[.]Example.COM', 'evil.example.com' (a domain), 'Evil.Example.COM' (a user name keeps its case)]
 */
export function storedObservableValues(searched: string): string[] {
  // The text as given first: a search never finds less than the exact value did.
  const values = new Set([searched]);
  for (const type of ObservableType) {
    const stored = normalizeObservable(type, searched);
    if (stored) values.add(stored.value);
  }
  return [...values];
}
