import { randomUUID } from 'node:crypto';
import type { FakeReply, FakeRoute, FakeVendor, SeenRequest } from './fake-server.js';

/** What the fake Microsoft identity platform accepts, and the tokens it issued by audience. */
export interface MicrosoftTenant {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Token → audience (`https://graph.microsoft.com`…). */
  tokens: Map<string, string>;
}

/** OAuth2 error answer of the identity platform (RFC 6749 §5.2 plus AADSTS codes). */
const oauthError = (status: number, error: string, code: number, description: string): FakeReply => ({
  status,
  body: {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()}`,
    error_codes: [code],
    timestamp: '2026-11-25 10:00:00Z',
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  },
});

/** POST /{tenant}/oauth2/v2.0/token with the client-credentials grant. */
export function microsoftTokenRoute(tenant: MicrosoftTenant): FakeRoute {
  return {
    method: 'POST',
    path: /^\/([^/]+)\/oauth2\/v2\.0\/token$/,
    handle(req, [tenantId]) {
      if (tenantId !== tenant.tenantId)
        return oauthError(400, 'invalid_request', 90002, `Tenant '${tenantId}' not found.`);
      if (req.form.get('grant_type') !== 'client_credentials') {
        return oauthError(
          400,
          'unsupported_grant_type',
          70003,
          'The app requested an unsupported grant type.',
        );
      }
      const scope = req.form.get('scope') ?? '';
      if (!scope.endsWith('/.default'))
        return oauthError(400, 'invalid_scope', 1002012, 'The provided value for scope is not valid.');
      if (
        req.form.get('client_id') !== tenant.clientId ||
        req.form.get('client_secret') !== tenant.clientSecret
      ) {
        return oauthError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      }
      const token = `eyJ0eXAiOiJKV1Qi.${randomUUID()}`;
      tenant.tokens.set(token, scope.slice(0, -'/.default'.length));
      return {
        status: 200,
        body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token },
      };
    },
  };
}

/** The audience of the request's bearer token, or undefined when it carries none we issued. */
export function audienceOf(tenant: MicrosoftTenant, req: SeenRequest): string | undefined {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return m ? tenant.tokens.get(m[1] as string) : undefined;
}

export const isTokenRequest = (req: SeenRequest): boolean => req.path.endsWith('/oauth2/v2.0/token');

/** Graph's error body: `{ error: { code, message, innerError } }`. */
export const graphError = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error: { code, message, innerError: { date: '2026-11-25T10:00:00', 'request-id': randomUUID() } } },
});

export interface GraphUser {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  /** Last password set through the API (the fake keeps it to check the request). */
  password?: string;
  forceChange?: boolean;
  sessionsRevoked: number;
}

export interface GraphMessage {
  id: string;
  mailbox: string;
  subject: string;
  from: string;
  internetMessageId: string;
  receivedDateTime: string;
  deleted?: 'soft' | 'hard';
}

export interface GraphState {
  tenant: MicrosoftTenant;
  users: GraphUser[];
  messages: GraphMessage[];
}

const findUser = (state: GraphState, key: string) =>
  state.users.find((u) => u.id === key || u.userPrincipalName.toLowerCase() === key.toLowerCase());

const userBody = (u: GraphUser) => ({
  '@odata.context':
    'https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,accountEnabled)/$entity',
  id: u.id,
  userPrincipalName: u.userPrincipalName,
  accountEnabled: u.accountEnabled,
});

const noUser = (key: string) =>
  graphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );

/** Microsoft Graph v1.0 users and messages, as documented. */
export function graphFake(state: GraphState): FakeVendor {
  return {
    authorize(req) {
      if (isTokenRequest(req)) return undefined;
      const audience = audienceOf(state.tenant, req);
      if (audience !== 'https://graph.microsoft.com') {
        return graphError(
          401,
          'InvalidAuthenticationToken',
          'Access token validation failure. Invalid audience.',
        );
      }
      return undefined;
    },
    notFound: (req) => graphError(400, 'BadRequest', `Resource not found for the segment '${req.path}'.`),
    routes: [
      microsoftTokenRoute(state.tenant),
      {
        method: 'GET',
        path: '/v1.0/organization',
        handle: () => ({ status: 200, body: { value: [{ id: state.tenant.tenantId }] } }),
      },
      {
        method: 'GET',
        path: /^\/v1\.0\/users\/([^/]+)$/,
        handle(req, [key = '']) {
          const user = findUser(state, key);
          return user ? { status: 200, body: userBody(user) } : noUser(key);
        },
      },
      {
        method: 'PATCH',
        path: /^\/v1\.0\/users\/([^/]+)$/,
        handle(req, [key = '']) {
          const user = findUser(state, key);
          if (!user) return noUser(key);
          const body = req.json as {
            accountEnabled?: unknown;
            passwordProfile?: { password?: unknown; forceChangePasswordNextSignIn?: unknown };
          };
          if (body === undefined || typeof body !== 'object')
            return graphError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
          if (body.accountEnabled !== undefined) {
            if (typeof body.accountEnabled !== 'boolean')
              return graphError(400, 'Request_BadRequest', 'Invalid value for accountEnabled.');
            user.accountEnabled = body.accountEnabled;
          }
          if (body.passwordProfile !== undefined) {
            const { password, forceChangePasswordNextSignIn } = body.passwordProfile;
            if (typeof password !== 'string' || password.length < 8) {
              return graphError(
                400,
                'Request_BadRequest',
                'The specified password does not comply with password complexity requirements.',
              );
            }
            user.password = password;
            user.forceChange = forceChangePasswordNextSignIn === true;
          }
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: /^\/v1\.0\/users\/([^/]+)\/revokeSignInSessions$/,
        handle(req, [key = '']) {
          const user = findUser(state, key);
          if (!user) return noUser(key);
          user.sessionsRevoked += 1;
          return {
            status: 200,
            body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true },
          };
        },
      },
      {
        method: 'GET',
        path: /^\/v1\.0\/users\/([^/]+)\/messages$/,
        handle(req, [mailbox = '']) {
          if (!findUser(state, mailbox))
            return graphError(404, 'ErrorInvalidUser', `The requested user '${mailbox}' is invalid.`);
          const filter = req.query.get('$filter') ?? '';
          const m = /^internetMessageId eq '((?:[^']|'')*)'$/.exec(filter);
          if (!m) return graphError(400, 'BadRequest', `Invalid filter clause: ${filter}`);
          const wanted = (m[1] as string).replace(/''/g, "'");
          const value = state.messages
            .filter((x) => x.mailbox === mailbox && x.internetMessageId === wanted && !x.deleted)
            .map((x) => ({
              id: x.id,
              subject: x.subject,
              receivedDateTime: x.receivedDateTime,
              internetMessageId: x.internetMessageId,
              from: { emailAddress: { name: x.from, address: x.from } },
            }));
          return { status: 200, body: { '@odata.context': 'messages', value } };
        },
      },
      {
        method: 'DELETE',
        path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)$/,
        handle: (req, [mailbox, id]) => deleteMessage(state, mailbox ?? '', id ?? '', 'soft'),
      },
      {
        method: 'POST',
        path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/permanentDelete$/,
        handle: (req, [mailbox, id]) => deleteMessage(state, mailbox ?? '', id ?? '', 'hard'),
      },
    ],
  };
}

function deleteMessage(state: GraphState, mailbox: string, id: string, how: 'soft' | 'hard'): FakeReply {
  const message = state.messages.find((m) => m.mailbox === mailbox && m.id === id && !m.deleted);
  if (!message)
    return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  message.deleted = how;
  return { status: 204 };
}
