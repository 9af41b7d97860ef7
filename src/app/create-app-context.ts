import { randomBytes } from 'node:crypto';
import { sqlitePathOf, type Config } from '../config/config.js';
import { systemClock, type Clock } from '../domain/shared/clock.js';
import { createUuidV7Generator } from '../domain/shared/ids.js';
import type { Logger } from '../observability/logger.js';
import { createProcessCounters } from '../observability/process-counters.js';
import { openStore, type Store } from '../store/store.js';
import type { AppContext } from './context.js';
import { createMapWorkerPool } from './ingest/map-worker-pool.js';

/**
 * The context over an opened store: ids from `clock` (the system's unless given) and real randomness, and
 * this process's own counters and ingest-rules memo, fresh. Tests, benches and worker processes build theirs
 * with it too, so a new part of the context is added here once.
 */
export function appContextOver(
  store: Store,
  parts: { config: Config; log: Logger; clock?: Clock },
): AppContext {
  const clock = parts.clock ?? systemClock;
  return {
    config: parts.config,
    store,
    clock,
    newId: createUuidV7Generator(
      () => clock.now(),
      (n) => randomBytes(n),
    ),
    log: parts.log,
    counters: createProcessCounters(),
    ingestRules: { last: undefined },
  };
}

/**
 * Builds the application context: the one place real time, real randomness and the store are created. Apart
 * from main.ts, so that a CLI command opens the store without loading the HTTP server and the workers.
 */
export async function createAppContext(config: Config, log: Logger): Promise<AppContext> {
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    databaseSchema: config.databaseSchema,
    sqlitePath: sqlitePathOf(config),
    sqliteWalCoalescing: config.sqliteWalCoalescing === 'on',
  });
  for (const warning of store.dialect.warnings) log.warn(warning);
  const mapWorkers =
    config.ingestMapThreads > 0 ? createMapWorkerPool({ size: config.ingestMapThreads }) : undefined;
  return { ...appContextOver(store, { config, log }), ...(mapWorkers ? { mapWorkers } : {}) };
}

/** Closes what `createAppContext` opened: the mapping threads, then the store. */
export async function closeAppContext(ctx: AppContext): Promise<void> {
  await ctx.mapWorkers?.close().catch(() => undefined);
  await ctx.store.close();
}
