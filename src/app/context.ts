import type { Config } from '../config/config.js';
import type { Clock } from '../domain/shared/clock.js';
import type { IdGenerator } from '../domain/shared/ids.js';
import type { Logger } from '../observability/logger.js';
import type { ProcessCounters } from '../observability/process-counters.js';
import type { Store } from '../store/store.js';
import type { IngestRulesMemo } from './ingest/ingest-settings.js';
import type { MapWorkerPool } from './ingest/map-worker-pool.js';

/**
 * What every application service, route plugin and worker receives: passed as an argument, built once in
 * the composition root (`src/main.ts`). No container, no module-level singletons.
 */
export interface AppContext {
  config: Config;
  store: Store;
  clock: Clock;
  newId: IdGenerator;
  log: Logger;
  /** What this process counted since it started (alerts ingested, frames rejected), for the scrape. */
  counters: ProcessCounters;
  /** The ingest rules this process last read; every batch checks them against the store (`rulesInForce`). */
  ingestRules: IngestRulesMemo;
  /**
   * Threads that parse and map streamed ingest (NDJSON, files, syslog) while the main thread stores; without
   * them, streams are mapped on the main thread. Whoever creates the context closes them.
   */
  mapWorkers?: MapWorkerPool;
}
