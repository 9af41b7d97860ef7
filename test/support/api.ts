import { Writable } from 'node:stream';
import type { Authenticator } from '../../src/api/auth/authorize.js';
import type { ApiContext, ApiInstance, RoutePlugin } from '../../src/api/route-plugin.js';
import { buildServer } from '../../src/api/server.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { ManualClock, type Clock } from '../../src/domain/shared/clock.js';
import { isRole, type Role } from '../../src/governance/permissions.js';
import { createLogger } from '../../src/observability/logger.js';
import { appContextOver } from '../../src/app/create-app-context.js';
import type { Store } from '../../src/store/store.js';
import type { MapWorkerPool } from '../../src/app/ingest/map-worker-pool.js';

/**
 * Test credentials: `Authorization: Bearer test:<role>[,<role>…]` signs in as a user with those roles. Only the
 * route tests of other capabilities use this; identity and sessions are tested through the real authenticator.
 */
export const testAuthenticator: Authenticator = async (request) => {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer test:')) return null;
  const roles = header.slice('Bearer test:'.length).split(',').filter(isRole);
  return { kind: 'user', id: `test-${roles.join('-')}`, name: `test ${roles.join(',')}`, roles };
};

export const asRole = (...roles: Role[]): { authorization: string } => ({
  authorization: `Bearer test:${roles.join(',')}`,
});

export interface TestApi {
  app: ApiInstance;
  ctx: ApiContext;
  /** Everything the server logged, for tests that check what is (not) logged. */
  logs: string[];
}

/** A test context on a given store: quiet logger (captured), real ids, a clock of the test's choice. */
export function createTestContext(
  store: Store,
  options: { clock?: Clock; config?: Partial<Config>; mapWorkers?: MapWorkerPool } = {},
): ApiContext & { logs: string[] } {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  return {
    ...appContextOver(store, {
      config: { ...loadConfig({ env: {} }), ...options.config },
      log: createLogger({ level: 'info', destination }),
      ...(options.clock ? { clock: options.clock } : {}),
    }),
    lifecycle: { draining: false },
    logs,
    ...(options.mapWorkers ? { mapWorkers: options.mapWorkers } : {}),
  };
}

/** Builds the API over a test store with the given capability routes (use `app.inject` to call it). */
export async function buildTestApi(
  store: Store,
  routes: ReadonlyArray<{ name: string; plugin: RoutePlugin; prefix?: string }>,
  options: {
    clock?: Clock;
    authenticate?: Authenticator;
    config?: Partial<Config>;
    /** Streams are mapped on these threads (the caller closes them); without them, on the main thread. */
    mapWorkers?: MapWorkerPool;
  } = {},
): Promise<TestApi> {
  const ctx = createTestContext(store, options);
  const app = await buildServer(ctx, { authenticate: options.authenticate ?? testAuthenticator, routes });
  await app.ready();
  return { app, ctx, logs: ctx.logs };
}

export { ManualClock };
