import type { RoutePlugin } from '../route-plugin.js';
import { authRoutes } from './auth.routes.js';
import { oidcRoutes } from './oidc.routes.js';
import { usersRoutes } from './users.routes.js';

/** Sign-in (password and OpenID Connect), the caller's account, users and API tokens. */
export const identityRoutes: RoutePlugin = async (app, ctx) => {
  await authRoutes(app, ctx);
  await oidcRoutes(app, ctx);
  await usersRoutes(app, ctx);
};
