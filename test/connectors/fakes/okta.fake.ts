import { randomUUID } from 'node:crypto';
import type { FakeReply, FakeVendor } from './fake-server.js';

/** Okta Management API users and lifecycle operations, with Okta's error object. */
export interface OktaUser {
  id: string;
  status:
    | 'STAGED'
    | 'PROVISIONED'
    | 'ACTIVE'
    | 'RECOVERY'
    | 'LOCKED_OUT'
    | 'PASSWORD_EXPIRED'
    | 'SUSPENDED'
    | 'DEPROVISIONED';
  login: string;
  sessionsCleared: number;
  oauthTokensRevoked: boolean;
}

export interface OktaState {
  apiToken: string;
  users: OktaUser[];
}

export const oktaError = (status: number, errorCode: string, errorSummary: string): FakeReply => ({
  status,
  body: {
    errorCode,
    errorSummary,
    errorLink: errorCode,
    errorId: `oae${randomUUID().slice(0, 18)}`,
    errorCauses: [],
  },
});

const userBody = (u: OktaUser) => ({
  id: u.id,
  status: u.status,
  created: '2026-01-01T00:00:00.000Z',
  profile: { login: u.login, email: u.login, firstName: 'Isaac', lastName: 'Brock' },
  _links: { self: { href: `https://acme.okta.com/api/v1/users/${u.id}` } },
});

export function oktaFake(state: OktaState): FakeVendor {
  const find = (key: string) =>
    state.users.find((u) => u.id === key || u.login.toLowerCase() === key.toLowerCase());
  const notFound = (key: string) =>
    oktaError(404, 'E0000007', `Not found: Resource not found: ${key} (User)`);

  function lifecycle(key: string, from: OktaUser['status'], to: OktaUser['status']): FakeReply {
    const user = find(key);
    if (!user) return notFound(key);
    if (user.status !== from) {
      return oktaError(
        400,
        'E0000001',
        `Api validation failed: This operation is not allowed in the user's current status.`,
      );
    }
    user.status = to;
    return { status: 200, body: {} };
  }

  return {
    authorize(req) {
      if (req.headers.authorization !== `SSWS ${state.apiToken}`)
        return oktaError(401, 'E0000011', 'Invalid token provided');
      return undefined;
    },
    notFound: () => oktaError(404, 'E0000022', 'The endpoint does not support the provided HTTP method'),
    routes: [
      {
        method: 'GET',
        path: '/api/v1/users/me',
        handle: () => ({
          status: 200,
          body: userBody({
            id: '00uadmin',
            status: 'ACTIVE',
            login: 'admin@example.com',
            sessionsCleared: 0,
            oauthTokensRevoked: false,
          }),
        }),
      },
      {
        method: 'GET',
        path: /^\/api\/v1\/users\/([^/]+)$/,
        handle(req, [key = '']) {
          const user = find(key);
          return user ? { status: 200, body: userBody(user) } : notFound(key);
        },
      },
      {
        method: 'POST',
        path: /^\/api\/v1\/users\/([^/]+)\/lifecycle\/suspend$/,
        handle: (req, [key = '']) => lifecycle(key, 'ACTIVE', 'SUSPENDED'),
      },
      {
        method: 'POST',
        path: /^\/api\/v1\/users\/([^/]+)\/lifecycle\/unsuspend$/,
        handle: (req, [key = '']) => lifecycle(key, 'SUSPENDED', 'ACTIVE'),
      },
      {
        method: 'DELETE',
        path: /^\/api\/v1\/users\/([^/]+)\/sessions$/,
        handle(req, [key = '']) {
          const user = find(key);
          if (!user) return notFound(key);
          user.sessionsCleared += 1;
          user.oauthTokensRevoked = req.query.get('oauthTokens') === 'true';
          return { status: 204 };
        },
      },
    ],
  };
}
