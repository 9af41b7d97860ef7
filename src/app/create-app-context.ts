import { randomBytes } from 'node:crypto';
import { sqlitePathOf, type Config } from '../config/config.js';
import { systemClock } from '../domain/shared/clock.js';
import { createUuidV7Generator } from '../domain/shared/ids.js';
import type { Logger } from '../observability/logger.js';
import { createProcessCounters } from '../observability/process-counters.js';
import { openStore } from '../store/store.js';
import type { AppContext } from './context.js';
import { createMapWorkerPool } from './ingest/map-worker-pool.js';

/**
 * Builds the application context: the one place real time, real randomness and the store are created. Apart
 * from main.ts, so that a CLI command opens the store without loading the HTTP server and the workers.
 */
export async function createAppContext(config: Config, log: Logger): Promise<AppContext> {
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    databaseSchema: config.databaseSchema,
    sqlitePath: sqlitePathOf(config),
  });
  const newId = createUuidV7Generator(
    () => systemClock.now(),
    (n) => randomBytes(n),
  );
  const mapWorkers =
    config.ingestMapThreads > 0 ? createMapWorkerPool({ size: config.ingestMapThreads }) : undefined;
  return {
    config,
    store,
    clock: systemClock,
    newId,
    log,
    counters: createProcessCounters(),
    ingestRules: { last: undefined },
    ...(mapWorkers ? { mapWorkers } : {}),
  };
}

/** Closes what `createAppContext` opened: the mapping threads, then the store. */
export async function closeAppContext(ctx: AppContext): Promise<void> {
  await ctx.mapWorkers?.close().catch(() => undefined);
  await ctx.store.close();
}
