import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { defineAction } from '../../framework/define-connector.js';
import { assetRef } from '../../safety/asset-ref.js';
import { graph, UserKey, userPath, type EntraContext } from './entra-api.js';

const User = z.looseObject({
  id: z.string(),
  userPrincipalName: z.string(),
  accountEnabled: z.boolean().nullable(),
});

const UserInput = z.object({ user: UserKey });
const UserState = z.object({ id: z.string(), userPrincipalName: z.string(), accountEnabled: z.boolean() });
type UserState = z.infer<typeof UserState>;

const userExample = (accountEnabled: boolean): UserState => ({
  id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
  userPrincipalName: 'adele.vance@contoso.com',
  accountEnabled,
});

/** Query-first: reads `accountEnabled` and patches it only when it differs. */
async function setAccountEnabled(ctx: EntraContext, user: string, enabled: boolean): Promise<UserState> {
  const { body } = await graph(
    ctx,
    { path: userPath(user), query: { $select: 'id,userPrincipalName,accountEnabled' } },
    User,
  );
  const out = { id: body.id, userPrincipalName: body.userPrincipalName, accountEnabled: enabled };
  if (body.accountEnabled === enabled) {
    ctx.markAlreadyApplied();
    return out;
  }
  await graph(
    ctx,
    { method: 'PATCH', path: userPath(body.id), json: { accountEnabled: enabled } },
    z.unknown(),
  );
  return out;
}

const accountOf = (t: Record<string, unknown>) => ({
  user: String(t.account_name ?? t.user_id ?? ''),
});

export const disableUser = defineAction({
  name: 'entra.disable_user',
  description: 'Block sign-in of a user (accountEnabled = false)',
  risk: 'contain',
  input: UserInput,
  output: UserState,
  example: userExample(false),
  idempotency: 'query-first',
  undo: { action: 'entra.enable_user', input: (_input, output) => ({ user: output.id }) },
  targets: (input) => [assetRef('user', input.user)],
  openc2: { action: 'disable', target: 'user_account', input: accountOf },
  run: (ctx: EntraContext, input) => setAccountEnabled(ctx, input.user, false),
});

export const enableUser = defineAction({
  name: 'entra.enable_user',
  description: 'Allow sign-in of a user again (accountEnabled = true)',
  risk: 'contain',
  reverses: true,
  input: UserInput,
  output: UserState,
  example: userExample(true),
  idempotency: 'query-first',
  openc2: { action: 'enable', target: 'user_account', input: accountOf },
  run: (ctx: EntraContext, input) => setAccountEnabled(ctx, input.user, true),
});

export const revokeSessions = defineAction({
  name: 'entra.revoke_sessions',
  description: 'Invalidate refresh tokens and session cookies of a user (revokeSignInSessions)',
  risk: 'contain',
  input: UserInput,
  output: z.object({ user: z.string(), revoked: z.boolean() }),
  example: { user: 'adele.vance@contoso.com', revoked: true },
  // Revoking twice leaves the same state: nothing issued before the call is valid.
  idempotency: 'natural',
  targets: (input) => [assetRef('user', input.user)],
  async run(ctx: EntraContext, input) {
    const { body } = await graph(
      ctx,
      { method: 'POST', path: `${userPath(input.user)}/revokeSignInSessions`, idempotent: true },
      z.looseObject({ value: z.boolean() }),
    );
    return { user: input.user, revoked: body.value };
  },
});

const PASSWORD_ALPHABETS = [
  'ABCDEFGHJKLMNPQRSTUVWXYZ',
  'abcdefghijkmnopqrstuvwxyz',
  '23456789',
  '!#$%&*+-=?@^_',
];

/** A random password meeting Entra's complexity rule (three of four character classes; here all four). */
export function randomPassword(length = 24): string {
  const all = PASSWORD_ALPHABETS.join('');
  const chars = PASSWORD_ALPHABETS.map((a) => a[randomInt(a.length)] as string);
  while (chars.length < length) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

export const resetPassword = defineAction({
  name: 'entra.reset_password',
  description:
    'Replace the password of a user with a random one nobody is told and require a change at next sign-in; ' +
    'the user regains access through self-service reset or the help desk',
  risk: 'destructive',
  input: UserInput,
  // The password is never returned: run outputs are stored and shown.
  output: z.object({
    user: z.string(),
    passwordReset: z.boolean(),
    forceChangePasswordNextSignIn: z.boolean(),
  }),
  example: { user: 'adele.vance@contoso.com', passwordReset: true, forceChangePasswordNextSignIn: true },
  // A repeat sets another random password: harmless, but not the same call.
  idempotency: 'none',
  targets: (input) => [assetRef('user', input.user)],
  async run(ctx: EntraContext, input) {
    await graph(
      ctx,
      {
        method: 'PATCH',
        path: userPath(input.user),
        json: { passwordProfile: { forceChangePasswordNextSignIn: true, password: randomPassword() } },
      },
      z.unknown(),
    );
    return { user: input.user, passwordReset: true, forceChangePasswordNextSignIn: true };
  },
});
