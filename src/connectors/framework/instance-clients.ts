import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import { takeRateToken } from '../../store/connectors/rate-bucket.repository.js';
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type RateLimiter,
} from '../http/http-client.js';
import { sleep } from '../http/retry-policy.js';
import { ConnectorErrorCode, permanentError } from './connector-errors.js';
import type { ResolvedInstance } from './instance-config.js';

/** What tests and benches may swap in the clients an executor builds. */
export type HttpOverrides = Pick<HttpClientOptions, 'dispatcher' | 'sleep' | 'random' | 'maxRetryAfterMs'>;

/** A rate limiter drawing from the instance's bucket row, shared by every process on the store. */
export function createStoreRateLimiter(
  store: Store,
  instance: string,
  policy: { perSecond: number; burst: number },
  now: () => number,
  wait: (ms: number, signal: AbortSignal) => Promise<void> = sleep,
): RateLimiter {
  return {
    async acquire(signal) {
      for (;;) {
        const delay = await takeRateToken(store.db, store, instance, policy, now());
        if (delay === 0) return;
        await wait(delay, signal);
      }
    },
  };
}

/**
 * One HTTP client per instance version, reused across actions (keep-alive connections); an edited instance
 * gets a new client and the old one is closed.
 */
export function createInstanceClients(deps: {
  store: Store;
  log: Logger;
  now: () => number;
  http?: HttpOverrides;
}) {
  const clients = new Map<string, { version: number; client: HttpClient }>();
  return {
    get(instance: ResolvedInstance): HttpClient {
      const held = clients.get(instance.name);
      if (held && held.version === instance.version) return held.client;
      if (held) void held.client.close().catch(() => undefined);
      const { config } = instance;
      if (!config.baseUrl) {
        throw permanentError(
          ConnectorErrorCode.notConfigured,
          `instance ${instance.name} has no baseUrl to call`,
        );
      }
      const client = createHttpClient({
        label: `${instance.connector.name} (${instance.name})`,
        baseUrl: config.baseUrl,
        allowedHosts: config.allowedHosts,
        timeoutMs: config.timeoutMs,
        maxRetries: config.maxRetries,
        maxResponseBytes: config.maxResponseBytes,
        proxyUrl: config.proxyUrl,
        caCertPem: config.caCertPem,
        secrets: Object.values(instance.secrets),
        rateLimiter: config.rateLimit
          ? createStoreRateLimiter(deps.store, instance.name, config.rateLimit, deps.now, deps.http?.sleep)
          : undefined,
        log: deps.log.child({ connector: instance.connector.name, instance: instance.name }),
        now: deps.now,
        ...deps.http,
      });
      clients.set(instance.name, { version: instance.version, client });
      return client;
    },
    async closeAll(): Promise<void> {
      await Promise.all([...clients.values()].map((c) => c.client.close()));
      clients.clear();
    },
  };
}
