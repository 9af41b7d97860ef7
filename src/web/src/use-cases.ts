import { casesApi } from './api-client/client.js';
import type { Alert, AlertCase, CaseDetail } from './api-client/types.js';
import { useAsync } from './use-async.js';

/** At most this many case reads at once: a timeline may name many cases. */
const PARALLEL = 6;

/**
 * The cases alerts carry (each one's `case`: number, title, status), by id. The alerts API puts them in its
 * answers for a caller who may read cases, so a page of alerts needs no read per case.
 */
export const casesOfAlerts = (alerts: readonly Alert[] | undefined): Map<string, AlertCase> =>
  new Map((alerts ?? []).flatMap((a): Array<[string, AlertCase]> => (a.case ? [[a.case.id, a.case]] : [])));

/**
 * The cases with these ids (number, status, where a merged one went), one read each, for what a page names
 * by id only: a timeline's moves and merges, where an alert went since ingest. Alerts carry their own case
 * (see casesOfAlerts). A case that cannot be read is left out, and the page shows its id.
 */
export function useCases(ids: ReadonlyArray<string | null | undefined>): Map<string, CaseDetail> {
  const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))].sort();
  const { data } = useAsync(async () => {
    const found = new Map<string, CaseDetail>();
    const queue = [...wanted];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          found.set(id, await casesApi.get(id));
        } catch {
          // Shown by id instead; the page's own answer already carries any problem worth showing.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    return found;
  }, [wanted.join(',')]);
  return data ?? new Map();
}
