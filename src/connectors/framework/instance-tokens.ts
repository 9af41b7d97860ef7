/** A short-lived credential and when it stops being usable (milliseconds since the epoch). */
export interface HeldToken {
  token: string;
  expiresAt: number;
}

/**
 * Short-lived credentials of one connector instance (OAuth access tokens, session JWTs). The framework holds
 * one cache per instance version, so editing an instance (a new client secret) forgets its tokens, and every
 * action of the instance shares them. Only bearer tokens live here, never the secret they were bought with.
 */
export interface InstanceTokenCache {
  /**
   * The token held under `key` while it is valid, or a new one from `fetch`; concurrent callers share one
   * fetch, so a burst of actions makes one token request.
   */
  get(key: string, fetch: () => Promise<HeldToken>): Promise<string>;
  /** Forgets a token the vendor refused (revoked, rotated), so the next `get` fetches a new one. */
  drop(key: string): void;
}

export function createInstanceTokenCache(now: () => number): InstanceTokenCache {
  const held = new Map<string, HeldToken>();
  const pending = new Map<string, Promise<string>>();
  return {
    get(key, fetch) {
      const cached = held.get(key);
      if (cached && cached.expiresAt > now()) return Promise.resolve(cached.token);
      const inFlight = pending.get(key);
      if (inFlight) return inFlight;
      const fetching = fetch()
        .then((fresh) => {
          held.set(key, fresh);
          return fresh.token;
        })
        .finally(() => pending.delete(key));
      pending.set(key, fetching);
      return fetching;
    },
    drop(key) {
      held.delete(key);
    },
  };
}
