import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { createAuthenticator } from '../../src/api/auth/authenticate.js';
import type { ApiInstance } from '../../src/api/route-plugin.js';
import { createApiToken } from '../../src/app/identity/api-tokens.service.js';
import { SYSTEM_PRINCIPAL } from '../../src/governance/principal.js';
import { bootstrapAdmin } from '../../src/app/identity/users.service.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { LOCKOUT_MS, MAX_FAILED_LOGINS } from '../../src/governance/identity/lockout.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { countUsers, findUserRowByUsername } from '../../src/store/identity/user.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { buildGovernanceApi, cookieOf } from './governance-api.js';

const ADMIN_PASSWORD = 'correct horse battery staple';

describe.each(DIALECTS)('identities and sessions on %s', (dialect) => {
  let handle: TestStoreHandle;
  let app: ApiInstance;
  let ctx: Awaited<ReturnType<typeof buildGovernanceApi>>['ctx'];
  const clock = new ManualClock(Date.UTC(2026, 0, 1));

  const signIn = async (username: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  const lastAudit = async () => {
    const all = await readAuditEntries(handle.store.db, 0, 10_000);
    return all[all.length - 1];
  };

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ({ app, ctx } = await buildGovernanceApi(handle.store, { clock }));
  });
  // Sign-in is rate limited per address; ten minutes between tests refill the bucket.
  beforeEach(() => clock.advance(10 * 60 * 1000));
  afterAll(async () => {
    await app.close();
    await handle.cleanup();
  });

  it('creates the first admin once, with a one-time password when none is given', async () => {
    const first = await bootstrapAdmin(ctx, {});
    expect(first.created).toBe(true);
    const otp = first.created ? first.oneTimePassword : undefined;
    expect(otp).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await bootstrapAdmin(ctx, { password: 'ignored because one exists' })).toEqual({ created: false });
    const row = await findUserRowByUsername(handle.store.db, 'admin');
    expect(row?.password_hash).toMatch(/^\$argon2id\$/);
    expect(row?.must_change_password).toBe(1);
    expect((await signIn('admin', otp ?? '')).statusCode).toBe(200);
    // Set a known password for the rest of the suite, through the API.
    const login = await signIn('admin', otp ?? '');
    const blocked = await app.inject({
      url: '/api/v1/users',
      headers: { cookie: cookieOf(login.headers['set-cookie']) },
    });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().message).toContain('one-time password');
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { cookie: cookieOf(login.headers['set-cookie']), 'x-csrf-token': login.json().csrfToken },
      payload: { currentPassword: otp, newPassword: ADMIN_PASSWORD },
    });
    expect(res.statusCode).toBe(204);
  });

  it('signs in with a hardened session cookie and a CSRF token', async () => {
    const res = await signIn('admin', ADMIN_PASSWORD);
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^riposte_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(res.json()).toMatchObject({
      user: { username: 'admin', roles: ['admin'], mustChangePassword: false },
    });
    expect(res.json().csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await app.inject({
      url: '/api/v1/auth/me',
      headers: { cookie: cookieOf(res.headers['set-cookie']) },
    });
    expect(me.json()).toMatchObject({ kind: 'user', name: 'admin', roles: ['admin'] });
    expect((await lastAudit())?.action).toBe('auth.login');
  });

  it('marks the cookie Secure when Riposte is served over https', async () => {
    const secure = await buildGovernanceApi(handle.store, {
      clock,
      config: { publicUrl: 'https://soar.example' },
    });
    try {
      const res = await secure.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/);
    } finally {
      await secure.app.close();
    }
  });

  it('refuses a cookie-authenticated write without the CSRF token, records it, and changes nothing', async () => {
    const login = await signIn('admin', ADMIN_PASSWORD);
    const cookie = cookieOf(login.headers['set-cookie']);
    const before = await countUsers(handle.store.db);
    const payload = { username: 'mallory', roles: ['viewer'], password: 'a long enough password' };
    const forged = await app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie }, payload });
    expect(forged.statusCode).toBe(403);
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie, 'x-csrf-token': 'x'.repeat(43) },
      payload,
    });
    expect(wrong.statusCode).toBe(403);
    expect(await countUsers(handle.store.db)).toBe(before);
    expect(await lastAudit()).toMatchObject({
      action: 'auth.forbidden',
      outcome: 'denied',
      actor: { name: 'admin' },
      target: { type: 'route', id: 'POST /api/v1/users' },
    });
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie, 'x-csrf-token': login.json().csrfToken },
      payload: { username: 'rita', roles: ['responder'], password: 'quiet amber lantern 42' },
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).not.toHaveProperty('oneTimePassword');
  });

  it('enforces the password policy', async () => {
    const login = await signIn('admin', ADMIN_PASSWORD);
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie: cookieOf(login.headers['set-cookie']), 'x-csrf-token': login.json().csrfToken },
      payload: { username: 'shorty', roles: ['viewer'], password: 'short' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0]).toMatchObject({ path: 'password' });
  });

  it('refuses a wrong password with 401, and locks the account after repeated failures', async () => {
    const wrong = await signIn('rita', 'not her password at all');
    expect(wrong.statusCode).toBe(401);
    expect(await lastAudit()).toMatchObject({
      action: 'auth.login_failed',
      outcome: 'denied',
      details: { reason: 'wrong password' },
    });
    for (let i = 1; i < MAX_FAILED_LOGINS; i += 1) await signIn('rita', 'not her password at all');
    const locked = await signIn('rita', 'quiet amber lantern 42');
    expect(locked.statusCode).toBe(401);
    expect(await lastAudit()).toMatchObject({ details: { reason: 'account locked' } });
    clock.advance(LOCKOUT_MS + 1);
    expect((await signIn('rita', 'quiet amber lantern 42')).statusCode).toBe(200);
    // An unknown user gets the same answer as a wrong password.
    const unknown = await signIn('nobody', 'whatever it is here');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toBe(wrong.json().message);
  });

  it('ends the session on logout and refuses the old cookie', async () => {
    const login = await signIn('rita', 'quiet amber lantern 42');
    const cookie = cookieOf(login.headers['set-cookie']);
    const out = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie, 'x-csrf-token': login.json().csrfToken },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await app.inject({ url: '/api/v1/auth/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(await lastAudit()).toMatchObject({ action: 'auth.unauthenticated', outcome: 'denied' });
  });

  it('ends the sessions of a disabled user', async () => {
    const rita = await signIn('rita', 'quiet amber lantern 42');
    const admin = await signIn('admin', ADMIN_PASSWORD);
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/users/rita/disable',
      headers: { cookie: cookieOf(admin.headers['set-cookie']), 'x-csrf-token': admin.json().csrfToken },
    });
    expect(res.json()).toMatchObject({ username: 'rita', disabled: true });
    const me = await app.inject({
      url: '/api/v1/auth/me',
      headers: { cookie: cookieOf(rita.headers['set-cookie']) },
    });
    expect(me.statusCode).toBe(401);
    expect((await signIn('rita', 'quiet amber lantern 42')).statusCode).toBe(401);
  });

  it('issues API tokens shown once, scoped to roles, expiring and revocable', async () => {
    const admin = await signIn('admin', ADMIN_PASSWORD);
    const headers = { cookie: cookieOf(admin.headers['set-cookie']), 'x-csrf-token': admin.json().csrfToken };
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers,
      payload: { name: 'splunk', roles: ['ingest'], sources: ['splunk'], expiresInDays: 1 },
    });
    expect(created.statusCode).toBe(201);
    const { token, info } = created.json() as { token: string; info: { id: string } };
    expect(token).toMatch(/^rpt_/);
    const listed = await app.inject({ url: '/api/v1/tokens', headers });
    expect(listed.body).not.toContain(token);
    expect(JSON.stringify(await readAuditEntries(handle.store.db, 0, 10_000))).not.toContain(token);

    const bearer = { authorization: `Bearer ${token}` };
    const outside = await app.inject({ url: '/api/v1/users', headers: bearer });
    expect(outside.statusCode).toBe(403);
    expect(await lastAudit()).toMatchObject({
      action: 'auth.forbidden',
      actor: { type: 'token', name: 'token:splunk' },
    });

    const viewer = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers,
      payload: { name: 'dash', roles: ['viewer'] },
    });
    const viewerToken = viewer.json().token as string;
    expect(
      (
        await app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${viewerToken}` } })
      ).json(),
    ).toMatchObject({
      kind: 'token',
      roles: ['viewer'],
      name: 'token:dash',
    });
    // A token is not a session: no CSRF token is needed, and none is asked for.
    const revoke = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${viewer.json().info.id}`,
      headers,
    });
    expect(revoke.statusCode).toBe(200);
    const revoked = await app.inject({
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().message).toContain('revoked');
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${viewer.json().info.id}`, headers }))
        .statusCode,
    ).toBe(409);

    clock.advance(2 * 24 * 60 * 60 * 1000);
    const expired = await app.inject({ url: '/api/v1/users', headers: bearer });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().message).toContain('expired');
    expect(await lastAudit()).toMatchObject({ action: 'auth.unauthenticated', details: { status: 401 } });
    expect(
      (await app.inject({ url: '/api/v1/auth/me', headers: { authorization: 'Bearer rpt_forged' } }))
        .statusCode,
    ).toBe(401);
    expect(info.id).toBeTruthy();
  });

  it('rate limits sign-in attempts from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i += 1) statuses.push((await signIn('nobody', 'wrong password x')).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(await lastAudit()).toMatchObject({ action: 'auth.login_failed' });
  });

  it('counts sign-ins from one client behind a trusted proxy as one, whatever port the proxy writes', async () => {
    // Some proxies (Azure Application Gateway) write the client as address:port, a new port each connection:
    // keyed on the raw text, every attempt had a bucket of its own and the limit never bit.
    const behind = await buildGovernanceApi(handle.store, { clock, config: { trustProxy: ['127.0.0.1'] } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i += 1)
        statuses.push(
          (
            await behind.app.inject({
              method: 'POST',
              url: '/api/v1/auth/login',
              payload: { username: 'nobody', password: 'wrong password x' },
              headers: { 'x-forwarded-for': `203.0.113.9:${50_000 + i}` },
            })
          ).statusCode,
        );
      expect(statuses.slice(10)).toEqual([429, 429]);
    } finally {
      await behind.app.close();
    }
  });

  it('rate limits ingest per token, in the authenticator', async () => {
    const authenticate = createAuthenticator(ctx);
    const { token } = await createApiToken(ctx, SYSTEM_PRINCIPAL, { name: 'flood', roles: ['ingest'] });
    const request = {
      headers: { authorization: `Bearer ${token}` },
      method: 'POST',
      routeOptions: { config: { access: 'alerts:ingest' } },
    } as unknown as FastifyRequest;
    // The default: 1,000 a second, bursts of 2,000.
    for (let i = 0; i < 2_000; i += 1) await authenticate(request);
    await expect(authenticate(request)).rejects.toMatchObject({
      code: 'RIPOSTE_RATE_LIMITED',
      retryAfterMs: 1,
    });
    clock.advance(1000);
    await expect(authenticate(request)).resolves.toMatchObject({ kind: 'token', name: 'token:flood' });
    // Set by the operator, or off.
    for (const [perSecond, allowed] of [
      [5, 10],
      [0, 5_000],
    ] as const) {
      const limited = createAuthenticator({
        ...ctx,
        config: { ...ctx.config, ingestRatePerSecond: perSecond },
      });
      for (let i = 0; i < allowed; i += 1) await limited(request);
      if (perSecond > 0)
        await expect(limited(request)).rejects.toMatchObject({ code: 'RIPOSTE_RATE_LIMITED' });
    }
  });
});
