import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiInstance } from '../../src/api/route-plugin.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { startFakeIdp, type FakeIdp } from './fake-idp.js';
import { buildGovernanceApi, cookieOf } from './governance-api.js';

describe.each(DIALECTS)('OpenID Connect sign-in on %s', (dialect) => {
  let handle: TestStoreHandle;
  let idp: FakeIdp;
  let app: ApiInstance;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    idp = await startFakeIdp('riposte');
    ({ app } = await buildGovernanceApi(handle.store, {
      config: {
        oidcIssuer: idp.issuer,
        oidcClientId: 'riposte',
        oidcClientSecret: 's3cret',
        oidcRedirectUrl: 'http://127.0.0.1/api/v1/auth/oidc/callback',
      },
    }));
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
    await handle.cleanup();
  });

  const start = async () => {
    const res = await app.inject({ url: '/api/v1/auth/oidc/login' });
    expect(res.statusCode).toBe(302);
    const location = String(res.headers.location);
    expect(location.startsWith(`${idp.issuer}/authorize?`)).toBe(true);
    return { location, state: new URL(location).searchParams.get('state') ?? '' };
  };
  const callback = (code: string, state: string) =>
    app.inject({ url: `/api/v1/auth/oidc/callback?code=${code}&state=${encodeURIComponent(state)}` });

  it('signs a person in through the provider, with PKCE, and provisions them as a viewer', async () => {
    const { location, state } = await start();
    const params = new URL(location).searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('client_id')).toBe('riposte');
    const res = await callback(idp.issueCode(location), state);
    expect(res.statusCode).toBe(302);
    const cookie = cookieOf(res.headers['set-cookie']);
    const me = await app.inject({ url: '/api/v1/auth/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ kind: 'user', name: 'olga', roles: ['viewer'] });
    expect(me.json().csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The same person again maps to the same account.
    const again = await start();
    await callback(idp.issueCode(again.location), again.state);
    const entries = await readAuditEntries(handle.store.db, 0, 1000);
    expect(entries.filter((e) => e.action === 'user.created')).toHaveLength(1);
    expect(entries.filter((e) => e.action === 'auth.login' && e.details.method === 'oidc')).toHaveLength(2);
  });

  it('refuses a replayed or forged state', async () => {
    const { location, state } = await start();
    const code = idp.issueCode(location);
    expect((await callback(code, 'forged-state')).statusCode).toBe(401);
    expect((await callback(code, state)).statusCode).toBe(302);
    expect((await callback(code, state)).statusCode).toBe(401);
    const entries = await readAuditEntries(handle.store.db, 0, 1000);
    expect(entries.at(-1)).toMatchObject({ action: 'auth.login_failed', outcome: 'denied' });
  });

  it('refuses an ID token not signed by the provider, or for another client', async () => {
    const forged = await start();
    idp.forgeNextToken();
    const res = await callback(idp.issueCode(forged.location), forged.state);
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toContain('ID token is not valid');
    const other = await start();
    idp.nextAudience('someone-else');
    expect((await callback(idp.issueCode(other.location), other.state)).statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('answers 404 when no provider is configured', async () => {
    const bare = await buildGovernanceApi(handle.store);
    try {
      expect((await bare.app.inject({ url: '/api/v1/auth/oidc/login' })).statusCode).toBe(404);
    } finally {
      await bare.app.close();
    }
  });
});
