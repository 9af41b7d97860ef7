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
import { createInstanceTokenCache, type InstanceTokenCache } from './instance-tokens.js';

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
 * One HTTP client and one token cache per instance version, reused across actions (keep-alive connections,
 * OAuth tokens); an edited instance gets new ones and the old client is closed.
 */
export function createInstanceClients(deps: {
  store: Store;
  log: Logger;
  now: () => number;
  http?: HttpOverrides;
}) {
  interface Entry {
    version: number;
    client?: HttpClient;
    tokens: InstanceTokenCache;
  }
  const held = new Map<string, Entry>();

  function entryFor(instance: ResolvedInstance): Entry {
    const current = held.get(instance.name);
    if (current && current.version === instance.version) return current;
    if (current?.client) void current.client.close().catch(() => undefined);
    const fresh: Entry = { version: instance.version, tokens: createInstanceTokenCache(deps.now) };
    held.set(instance.name, fresh);
    return fresh;
  }

  function build(instance: ResolvedInstance): HttpClient {
    const { config } = instance;
    if (!config.baseUrl) {
      throw permanentError(
        ConnectorErrorCode.notConfigured,
        `instance ${instance.name} has no baseUrl to call`,
      );
    }
    return createHttpClient({
      label: `${instance.connector.name} (${instance.name})`,
      baseUrl: config.baseUrl,
      allowedHosts: config.allowedHosts,
      timeoutMs: config.timeoutMs,
      maxRetries: config.maxRetries,
      maxResponseBytes: config.maxResponseBytes,
      retryableStatuses: instance.connector.retryableStatuses,
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
  }

  return {
    get(instance: ResolvedInstance): HttpClient {
      const entry = entryFor(instance);
      return (entry.client ??= build(instance));
    },
    tokens(instance: ResolvedInstance): InstanceTokenCache {
      return entryFor(instance).tokens;
    },
    async closeAll(): Promise<void> {
      await Promise.all([...held.values()].map((e) => e.client?.close()));
      held.clear();
    },
  };
}
