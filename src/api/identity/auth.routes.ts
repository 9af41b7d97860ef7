import { z } from 'zod';
import { changeOwnPassword } from '../../app/identity/users.service.js';
import { login, logout, resolveSession } from '../../app/identity/sessions.service.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { createRateLimiter } from '../../governance/hardening/rate-limiter.js';
import { principalOf } from '../auth/authorize.js';
import { SESSION_COOKIE, clearedSessionCookie, readCookie, sessionCookie } from '../auth/cookies.js';
import type { RoutePlugin } from '../route-plugin.js';
import { UserView, toUserView } from './identity.schemas.js';
import { clientAddress } from '../client-address.js';

const LoginBody = z
  .object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) })
  .strict();
const SignedInView = z.object({ user: UserView, csrfToken: z.string(), expiresAt: z.number() });

/** Guessing passwords from one address: 10 tries at once, then one every 6 seconds. */
export const LOGIN_RATE = { capacity: 10, perSecond: 1 / 6 };

/** Password sign-in and sign-out, the caller's own account. */
export const authRoutes: RoutePlugin = async (app, ctx) => {
  const limiter = createRateLimiter({ ...LOGIN_RATE, now: () => ctx.clock.now() });

  app.post(
    '/auth/login',
    {
      config: { access: 'public', recordsOwnRefusals: true },
      schema: {
        tags: ['identity'],
        summary: 'Sign in with a username and password; sets the session cookie and returns the CSRF token',
        body: LoginBody,
        response: { 200: SignedInView },
      },
    },
    async (request, reply) => {
      const verdict = limiter.take(clientAddress(request));
      if (!verdict.ok) {
        reply.header('retry-after', Math.ceil(verdict.retryAfterMs / 1000));
        throw new RiposteError(
          'RIPOSTE_RATE_LIMITED',
          'too many sign-in attempts from this address; wait a little',
        );
      }
      const signedIn = await login(ctx, { ...request.body, ip: clientAddress(request) });
      reply.header(
        'set-cookie',
        sessionCookie(ctx.config, signedIn.sessionToken, signedIn.expiresAt - ctx.clock.now()),
      );
      reply.header('cache-control', 'no-store');
      return {
        user: toUserView(signedIn.user),
        csrfToken: signedIn.csrfToken,
        expiresAt: signedIn.expiresAt,
      };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { access: 'profile:read' },
      schema: { tags: ['identity'], summary: 'End the current session', response: { 204: z.null() } },
    },
    async (request, reply) => {
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (cookie) await logout(ctx, principalOf(request), cookie);
      reply.header('set-cookie', clearedSessionCookie(ctx.config));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      config: { access: 'profile:read' },
      schema: {
        tags: ['identity'],
        summary: 'Who the caller is',
        response: {
          200: z.object({
            kind: z.string(),
            id: z.string(),
            name: z.string(),
            roles: z.array(z.string()),
            csrfToken: z.string().optional(),
          }),
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
      // A browser that came back from OpenID Connect sign-in learns its CSRF token here.
      const csrfToken =
        cookie && !request.headers.authorization ? (await resolveSession(ctx, cookie)).csrfToken : undefined;
      reply.header('cache-control', 'no-store');
      return {
        kind: p.kind,
        id: p.id,
        name: p.name,
        roles: [...p.roles],
        ...(csrfToken ? { csrfToken } : {}),
      };
    },
  );

  app.post(
    '/auth/password',
    {
      config: { access: 'profile:write' },
      schema: {
        tags: ['identity'],
        summary: 'Change your own password',
        body: z
          .object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) })
          .strict(),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await changeOwnPassword(ctx, principalOf(request), request.body);
      return reply.status(204).send(null);
    },
  );
};
