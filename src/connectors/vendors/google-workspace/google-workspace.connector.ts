import { importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode, permanentError } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { assetRef } from '../../safety/asset-ref.js';
import { createTokenCache } from '../../framework/oauth-tokens.js';

/**
 * Google Workspace Admin SDK Directory API (https://developers.google.com/admin-sdk/directory): a service
 * account with domain-wide delegation signs a JWT (RFC 7523) impersonating an admin, exchanges it at the
 * token endpoint, and calls the API with the bearer token.
 */
export const GoogleWorkspaceConfig = connectorConfig({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://admin.googleapis.com'),
  tokenUrl: z.url({ protocol: /^https?$/ }).default('https://oauth2.googleapis.com/token'),
  allowedHosts: z.array(z.string().min(1)).default(['oauth2.googleapis.com']),
  /** `client_email` of the service account key. */
  serviceAccountEmail: z.email(),
  /** `private_key` of the service account key (PKCS#8 PEM). */
  privateKey: secret(z.string().includes('PRIVATE KEY')),
  /** A super admin (or delegated admin) the service account acts as. */
  adminEmail: z.email(),
});
export type GoogleWorkspaceConfig = z.infer<typeof GoogleWorkspaceConfig>;
type GoogleContext = ActionContext<GoogleWorkspaceConfig>;

const SCOPE = 'https://www.googleapis.com/auth/admin.directory.user';
const tokens = createTokenCache('Google');

async function assertion(ctx: GoogleContext): Promise<Record<string, string>> {
  const { serviceAccountEmail, privateKey, adminEmail, tokenUrl } = ctx.config;
  let key: Awaited<ReturnType<typeof importPKCS8>>;
  try {
    key = await importPKCS8(privateKey, 'RS256');
  } catch {
    throw permanentError(
      ConnectorErrorCode.notConfigured,
      `instance ${ctx.instance}: privateKey is not a PKCS#8 RSA key in PEM form`,
    );
  }
  const now = Math.floor(ctx.now() / 1000);
  const jwt = await new SignJWT({ scope: SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(serviceAccountEmail)
    .setSubject(adminEmail)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(key);
  return { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt };
}

async function directory<T extends z.ZodType>(
  ctx: GoogleContext,
  req: HttpRequest,
  schema: T,
): Promise<z.infer<T>> {
  const { tokenUrl, serviceAccountEmail, adminEmail } = ctx.config;
  const res = await tokens.send(
    ctx as ActionContext<unknown>,
    { tokenUrl, form: () => assertion(ctx), key: `${tokenUrl}|${serviceAccountEmail}|${adminEmail}` },
    { ...req, path: `/admin/directory/v1${req.path}` },
  );
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) {
    throw new ConnectorError(
      ConnectorErrorCode.badResponse,
      `Google ${req.path} answered an unexpected shape`,
      { retryable: false },
    );
  }
  return parsed.data as z.infer<T>;
}

const User = z.looseObject({
  id: z.string(),
  primaryEmail: z.string(),
  suspended: z.boolean().default(false),
});
/** A user's primary e-mail, alias or immutable id, as the Directory API's `userKey`. */
const UserKey = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^/\\?#\s]+$/, 'a user e-mail or id');
const UserInput = z.object({ user: UserKey });
const UserOutput = z.object({ id: z.string(), primaryEmail: z.string(), suspended: z.boolean() });
type UserOutput = z.infer<typeof UserOutput>;

const userPath = (user: string) => `/users/${encodeURIComponent(user)}`;

/** Query-first: reads `suspended` and updates it only when it differs. */
async function setSuspended(ctx: GoogleContext, key: string, suspended: boolean): Promise<UserOutput> {
  const user = await directory(
    ctx,
    { path: userPath(key), query: { fields: 'id,primaryEmail,suspended' } },
    User,
  );
  const out = { id: user.id, primaryEmail: user.primaryEmail, suspended };
  if (user.suspended === suspended) {
    ctx.markAlreadyApplied();
    return out;
  }
  await directory(ctx, { method: 'PUT', path: userPath(user.id), json: { suspended } }, User);
  return out;
}

const accountOf = (t: Record<string, unknown>) => ({ user: String(t.account_name ?? t.user_id ?? '') });
const example = (suspended: boolean): UserOutput => ({
  id: '107234567890123456789',
  primaryEmail: 'liz@example.com',
  suspended,
});

/** Google Workspace: suspend users and sign them out everywhere. */
export const googleWorkspaceConnector = defineConnector({
  name: 'google-workspace',
  title: 'Google Workspace',
  description: 'Suspend and unsuspend users, sign them out of all sessions (Admin SDK Directory API).',
  config: GoogleWorkspaceConfig,
  actions: [
    defineAction({
      name: 'google-workspace.suspend_user',
      description: 'Suspend a user: no sign-in, mail still delivered, until unsuspended',
      risk: 'contain',
      input: UserInput,
      output: UserOutput,
      example: example(true),
      idempotency: 'query-first',
      undo: { action: 'google-workspace.unsuspend_user', input: (_input, output) => ({ user: output.id }) },
      targets: (input) => [assetRef('user', input.user)],
      openc2: { action: 'disable', target: 'user_account', input: accountOf },
      run: (ctx: GoogleContext, input) => setSuspended(ctx, input.user, true),
    }),
    defineAction({
      name: 'google-workspace.unsuspend_user',
      description: 'Lift the suspension of a user',
      risk: 'contain',
      reverses: true,
      input: UserInput,
      output: UserOutput,
      example: example(false),
      idempotency: 'query-first',
      openc2: { action: 'enable', target: 'user_account', input: accountOf },
      run: (ctx: GoogleContext, input) => setSuspended(ctx, input.user, false),
    }),
    defineAction({
      name: 'google-workspace.sign_out',
      description: 'Sign a user out of all web and device sessions and reset their sign-in cookies',
      risk: 'contain',
      input: UserInput,
      output: z.object({ user: z.string(), signedOut: z.boolean() }),
      example: { user: 'liz@example.com', signedOut: true },
      // Signing out twice leaves the same state.
      idempotency: 'natural',
      targets: (input) => [assetRef('user', input.user)],
      async run(ctx: GoogleContext, input) {
        await directory(
          ctx,
          { method: 'POST', path: `${userPath(input.user)}/signOut`, idempotent: true },
          z.unknown(),
        );
        return { user: input.user, signedOut: true };
      },
    }),
  ],
  async test(ctx) {
    const config = ctx.config as GoogleWorkspaceConfig;
    const admin = await directory(
      ctx as GoogleContext,
      { path: userPath(config.adminEmail), query: { fields: 'id,primaryEmail' } },
      User,
    );
    return { ok: true, message: `Google issued a token acting as ${admin.primaryEmail}` };
  },
});
