import type { Observable } from '../../domain/observables/observable.js';
import { INTERNAL_TLDS } from '../../domain/observables/tlds.js';
import type { IngestSettings } from './ingest-settings.js';

// Names every host has: grouping on them would put unrelated alerts together.
const UBIQUITOUS = new Set([
  'localhost',
  'localhost.localdomain',
  'root',
  'system',
  'administrator',
  'admin',
  'nt authority\\system',
]);

/**
 * Whether an observable may group alerts under the settings: typed, not reserved, not ubiquitous. Built once
 * per batch (the settings' sets), asked per observable.
 */
export function isSignificantUnder(settings: IngestSettings['correlation']): (o: Observable) => boolean {
  const types = new Set(settings.observableTypes);
  const ignore = new Set(settings.ignoreValues.map((v) => v.toLowerCase()));
  return (o) => {
    if (!types.has(o.type)) return false;
    if (o.scope === 'reserved') return false;
    if (o.scope === 'private' && !settings.includePrivateIps) return false;
    const value = o.value.toLowerCase();
    if (ignore.has(value) || UBIQUITOUS.has(value)) return false;
    if (
      o.type === 'domain' &&
      INTERNAL_TLDS.has(value.slice(value.lastIndexOf('.') + 1)) &&
      o.role === 'related'
    ) {
      return false;
    }
    return true;
  };
}
