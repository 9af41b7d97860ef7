import { createAuthenticator, createRefusalRecorder } from '../../src/api/auth/authenticate.js';
import type { ApiInstance, RoutePlugin } from '../../src/api/route-plugin.js';
import { API_ROUTES } from '../../src/api/routes.js';
import { buildServer } from '../../src/api/server.js';
import type { Config } from '../../src/config/config.js';
import type { Clock } from '../../src/domain/shared/clock.js';
import type { Store } from '../../src/store/store.js';
import { createTestContext } from '../support/api.js';

/** The API over a test store with the real authenticator and refusal recorder (no test credentials). */
export async function buildGovernanceApi(
  store: Store,
  options: {
    clock?: Clock;
    config?: Partial<Config>;
    routes?: ReadonlyArray<{ name: string; plugin: RoutePlugin }>;
  } = {},
): Promise<{ app: ApiInstance; ctx: ReturnType<typeof createTestContext> }> {
  const ctx = createTestContext(store, options);
  const app = await buildServer(ctx, {
    authenticate: createAuthenticator(ctx),
    onRefused: createRefusalRecorder(ctx),
    routes: options.routes ?? API_ROUTES,
  });
  await app.ready();
  return { app, ctx };
}

/** The `name=value` of a Set-Cookie header, ready to send back in a Cookie header. */
export function cookieOf(setCookie: string | string[] | undefined): string {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!first) throw new Error('no Set-Cookie header');
  return first.split(';')[0] ?? '';
}
