import { z } from 'zod';
import { beginOidcLogin, completeOidcLogin, oidcClientOf } from '../../app/identity/oidc.service.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { sessionCookie } from '../auth/cookies.js';
import type { RoutePlugin } from '../route-plugin.js';
import { clientAddress } from '../client-address.js';

/** OpenID Connect sign-in (authorization code with PKCE); 404 when no identity provider is configured. */
export const oidcRoutes: RoutePlugin = async (app, ctx) => {
  const client = oidcClientOf(ctx);
  const requireClient = () => {
    if (!client) throw new RiposteError('RIPOSTE_NOT_FOUND', 'OpenID Connect sign-in is not configured');
    return client;
  };

  app.get(
    '/auth/oidc/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['identity'],
        summary: 'Start OpenID Connect sign-in (redirects to the identity provider)',
      },
    },
    async (_request, reply) => {
      const url = await beginOidcLogin(ctx, requireClient());
      reply.header('cache-control', 'no-store');
      return reply.redirect(url, 302);
    },
  );

  app.get(
    '/auth/oidc/callback',
    {
      config: { access: 'public', recordsOwnRefusals: true },
      schema: {
        tags: ['identity'],
        summary: 'Where the identity provider sends the browser back; sets the session cookie',
        querystring: z.object({ code: z.string().min(1).max(4096), state: z.string().min(1).max(256) }),
      },
    },
    async (request, reply) => {
      const signedIn = await completeOidcLogin(ctx, requireClient(), {
        ...request.query,
        ip: clientAddress(request),
      });
      reply.header(
        'set-cookie',
        sessionCookie(ctx.config, signedIn.sessionToken, signedIn.expiresAt - ctx.clock.now()),
      );
      reply.header('cache-control', 'no-store');
      // The UI fetches its CSRF token from GET /api/v1/auth/me once it is back.
      return reply.redirect('/', 302);
    },
  );
};
