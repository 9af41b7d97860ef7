import { casesApi } from './api-client/client.js';
import type { CaseDetail } from './api-client/types.js';
import { useAsync } from './use-async.js';

/** At most this many case reads at once: a page of 50 alerts may name 50 cases. */
const PARALLEL = 6;

/**
 * The cases with these ids (number, status, where a merged one went), for pages that show alerts: the
 * alert answers name a case by id only. A case that cannot be read is left out, and the page shows its id.
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
