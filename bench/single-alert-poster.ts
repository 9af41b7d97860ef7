import type { LightMyRequestResponse } from 'fastify';
import type { ApiInstance } from '../src/api/route-plugin.js';
import { asRole } from '../test/support/api.js';
import { closedLoop } from './harness.js';
import { suricataAlertLine, type SuricataLineOptions } from './suricata-lines.js';

/**
 * A client of the single-alert route, as the bench and scripts/single-posts.ts drive it: `post(n)` sends line
 * `n` alone, as the ingest role. `warm` sends `count` of them 16 at a time, as a running server has seen.
 */
export function singleAlertPoster(
  app: ApiInstance,
  options: SuricataLineOptions,
): { post(n: number): Promise<LightMyRequestResponse>; warm(from: number, count: number): Promise<void> } {
  const headers = { ...asRole('ingest'), 'content-type': 'application/json' };
  const post = (n: number) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/alerts?source=posts',
      payload: suricataAlertLine(n, options),
      headers,
    });
  return {
    post,
    async warm(from, count) {
      await closedLoop(count, 16, (i) => post(from + i));
    },
  };
}
