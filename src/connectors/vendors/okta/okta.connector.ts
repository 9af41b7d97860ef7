import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { assetRef } from '../../safety/asset-ref.js';

/** Okta Management API (https://developer.okta.com/docs/api/): `Authorization: SSWS {API token}`. */
export const OktaConfig = connectorConfig({
  /** Each org has its own host: https://{yourOktaDomain} (e.g. https://acme.okta.com). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiToken: secret(z.string().min(8)),
});
export type OktaConfig = z.infer<typeof OktaConfig>;
type OktaContext = ActionContext<OktaConfig>;

const okta = (ctx: OktaContext, req: HttpRequest) =>
  ctx.http.request(
    { ...req, headers: { ...req.headers, Authorization: `SSWS ${ctx.config.apiToken}` } },
    ctx.signal,
  );

const User = z.looseObject({
  id: z.string(),
  status: z.string(),
  profile: z.looseObject({ login: z.string() }),
});
type User = z.infer<typeof User>;

/** A user id (`00u…`) or login; logins are e-mail shaped and go into the path encoded. */
const UserKey = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^/\\?#\s]+$/, 'an Okta user id or login');
const UserInput = z.object({ user: UserKey });
const UserOutput = z.object({ id: z.string(), login: z.string(), status: z.string() });
type UserOutput = z.infer<typeof UserOutput>;

const userPath = (user: string) => `/api/v1/users/${encodeURIComponent(user)}`;

async function getUser(ctx: OktaContext, user: string): Promise<User> {
  return User.parse((await okta(ctx, { path: userPath(user) })).json());
}

/**
 * Suspend and unsuspend are lifecycle transitions Okta allows only from ACTIVE and SUSPENDED respectively:
 * read the status first, do nothing when already there, and say clearly when the user is in another state.
 */
async function transition(ctx: OktaContext, key: string, to: 'SUSPENDED' | 'ACTIVE'): Promise<UserOutput> {
  const user = await getUser(ctx, key);
  const out = { id: user.id, login: user.profile.login };
  if (user.status === to) {
    ctx.markAlreadyApplied();
    return { ...out, status: to };
  }
  const from = to === 'SUSPENDED' ? 'ACTIVE' : 'SUSPENDED';
  if (user.status !== from) {
    throw new ConnectorError(
      ConnectorErrorCode.rejected,
      `Okta user ${user.profile.login} is ${user.status}; only a ${from} user can be ${to === 'SUSPENDED' ? 'suspended' : 'unsuspended'}`,
      { retryable: false },
    );
  }
  const verb = to === 'SUSPENDED' ? 'suspend' : 'unsuspend';
  await okta(ctx, { method: 'POST', path: `${userPath(user.id)}/lifecycle/${verb}` });
  return { ...out, status: to };
}

const accountOf = (t: Record<string, unknown>) => ({ user: String(t.account_name ?? t.user_id ?? '') });
const example = (status: string): UserOutput => ({
  id: '00ub0oNGTSWTBKOLGLNR',
  login: 'isaac.brock@example.com',
  status,
});

export const oktaConnector = defineConnector({
  name: 'okta',
  title: 'Okta',
  description: 'Suspend and unsuspend users, clear their sessions.',
  config: OktaConfig,
  actions: [
    defineAction({
      name: 'okta.suspend_user',
      description:
        'Suspend an active user: no sign-in until unsuspended (the account keeps its apps and groups)',
      risk: 'contain',
      input: UserInput,
      output: UserOutput,
      example: example('SUSPENDED'),
      idempotency: 'query-first',
      undo: { action: 'okta.unsuspend_user', input: (_input, output) => ({ user: output.id }) },
      targets: (input) => [assetRef('user', input.user)],
      openc2: { action: 'disable', target: 'user_account', input: accountOf },
      run: (ctx: OktaContext, input) => transition(ctx, input.user, 'SUSPENDED'),
    }),
    defineAction({
      name: 'okta.unsuspend_user',
      description: 'Return a suspended user to ACTIVE',
      risk: 'contain',
      reverses: true,
      input: UserInput,
      output: UserOutput,
      example: example('ACTIVE'),
      idempotency: 'query-first',
      openc2: { action: 'enable', target: 'user_account', input: accountOf },
      run: (ctx: OktaContext, input) => transition(ctx, input.user, 'ACTIVE'),
    }),
    defineAction({
      name: 'okta.clear_sessions',
      description: 'End all IdP sessions of a user and revoke the OAuth tokens issued to them',
      risk: 'contain',
      input: UserInput.extend({ oauthTokens: z.boolean().default(true) }),
      output: z.object({ user: z.string(), cleared: z.boolean() }),
      example: { user: 'isaac.brock@example.com', cleared: true },
      // Clearing twice leaves the same state.
      idempotency: 'natural',
      targets: (input) => [assetRef('user', input.user)],
      async run(ctx: OktaContext, input) {
        await okta(ctx, {
          method: 'DELETE',
          path: `${userPath(input.user)}/sessions`,
          query: { oauthTokens: input.oauthTokens },
        });
        return { user: input.user, cleared: true };
      },
    }),
  ],
  async test(ctx) {
    // The token's own user: any valid API token may read it.
    const me = User.parse((await okta(ctx as OktaContext, { path: '/api/v1/users/me' })).json());
    return { ok: true, message: `Okta accepted the API token (acting as ${me.profile.login})` };
  },
});
