import { z } from 'zod';
import { createApiToken, listApiTokens, revokeApiToken } from '../../app/identity/api-tokens.service.js';
import { createUser, disableUser, listUsers } from '../../app/identity/users.service.js';
import { Roles } from '../../governance/permissions.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import { TokenView, UserView, toTokenView, toUserView } from './identity.schemas.js';

const CreateUserBody = z
  .object({
    username: z.string().min(2).max(64),
    displayName: z.string().max(200).optional(),
    email: z.string().email().optional(),
    roles: z.array(z.enum(Roles)).min(1),
    password: z.string().max(1024).optional(),
  })
  .strict();

const CreateTokenBody = z
  .object({
    name: z.string().min(1).max(100),
    roles: z.array(z.enum(Roles)).min(1),
    sources: z.array(z.string().min(1).max(100)).optional(),
    expiresInDays: z.number().positive().max(3650).optional(),
  })
  .strict();

const DAY_MS = 24 * 60 * 60 * 1000;

/** Users and API tokens, for admins. */
export const usersRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/users',
    {
      config: { access: 'users:read' },
      schema: {
        tags: ['identity'],
        summary: 'List users',
        response: { 200: z.object({ items: z.array(UserView) }) },
      },
    },
    async (request) => ({ items: (await listUsers(ctx, principalOf(request))).map(toUserView) }),
  );

  app.post(
    '/users',
    {
      config: { access: 'users:admin' },
      schema: {
        tags: ['identity'],
        summary: 'Create a local user; without a password, a one-time password is returned once',
        body: CreateUserBody,
        response: { 201: z.object({ user: UserView, oneTimePassword: z.string().optional() }) },
      },
    },
    async (request, reply) => {
      const { user, oneTimePassword } = await createUser(ctx, principalOf(request), request.body);
      reply.header('cache-control', 'no-store');
      return reply
        .status(201)
        .send({ user: toUserView(user), ...(oneTimePassword ? { oneTimePassword } : {}) });
    },
  );

  app.post(
    '/users/:username/disable',
    {
      config: { access: 'users:admin' },
      schema: {
        tags: ['identity'],
        summary: 'Disable a user and end their sessions',
        params: z.object({ username: z.string().min(1).max(64) }),
        response: { 200: UserView },
      },
    },
    async (request) => toUserView(await disableUser(ctx, principalOf(request), request.params.username)),
  );

  app.get(
    '/tokens',
    {
      config: { access: 'tokens:admin' },
      schema: {
        tags: ['identity'],
        summary: 'List API tokens',
        response: { 200: z.object({ items: z.array(TokenView) }) },
      },
    },
    async (request) => ({ items: (await listApiTokens(ctx, principalOf(request))).map(toTokenView) }),
  );

  app.post(
    '/tokens',
    {
      config: { access: 'tokens:admin' },
      schema: {
        tags: ['identity'],
        summary: 'Create an API token; the token is shown in this response only',
        body: CreateTokenBody,
        response: { 201: z.object({ token: z.string(), info: TokenView }) },
      },
    },
    async (request, reply) => {
      const { expiresInDays, ...rest } = request.body;
      const created = await createApiToken(ctx, principalOf(request), {
        ...rest,
        ...(expiresInDays !== undefined ? { expiresInMs: expiresInDays * DAY_MS } : {}),
      });
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ token: created.token, info: toTokenView(created.info) });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { access: 'tokens:admin' },
      schema: {
        tags: ['identity'],
        summary: 'Revoke an API token',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: TokenView },
      },
    },
    async (request) => toTokenView(await revokeApiToken(ctx, principalOf(request), request.params.id)),
  );
};
