import { randomUUID, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { FakeReply, FakeVendor } from './fake-server.js';

/** Google OAuth2 JWT-bearer token endpoint and the Admin SDK Directory API users resource. */
export interface GoogleUser {
  id: string;
  primaryEmail: string;
  suspended: boolean;
  signOuts: number;
}

export interface GoogleState {
  /** The service account's public key: assertions must verify against it. */
  publicKey: KeyObject;
  serviceAccountEmail: string;
  adminEmail: string;
  tokenUrl: string;
  /** The time (ms) the fake checks assertion expiry against. */
  now: number;
  tokens: Set<string>;
  users: GoogleUser[];
}

export const googleError = (code: number, status: string, reason: string, message: string): FakeReply => ({
  status: code,
  body: { error: { code, message, errors: [{ message, domain: 'global', reason }], status } },
});

const API = '/admin/directory/v1';

export function googleWorkspaceFake(state: GoogleState): FakeVendor {
  const find = (key: string) => state.users.find((u) => u.id === key || u.primaryEmail === key);
  const body = (u: GoogleUser) => ({
    kind: 'admin#directory#user',
    id: u.id,
    primaryEmail: u.primaryEmail,
    suspended: u.suspended,
  });
  const notFound = () => googleError(404, 'NOT_FOUND', 'notFound', 'Resource Not Found: userKey');
  return {
    authorize(req) {
      if (req.path === '/token') return undefined;
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      return m && state.tokens.has(m[1] as string)
        ? undefined
        : googleError(401, 'UNAUTHENTICATED', 'authError', 'Request had invalid authentication credentials.');
    },
    notFound: () => googleError(404, 'NOT_FOUND', 'notFound', 'Not Found'),
    routes: [
      {
        method: 'POST',
        path: '/token',
        async handle(req) {
          if (req.form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
            return {
              status: 400,
              body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' },
            };
          }
          try {
            const { payload } = await jwtVerify(req.form.get('assertion') ?? '', state.publicKey, {
              issuer: state.serviceAccountEmail,
              audience: state.tokenUrl,
              subject: state.adminEmail,
              // Checked against the bench's manual clock, which signed it.
              currentDate: new Date(state.now),
            });
            if (payload.scope !== 'https://www.googleapis.com/auth/admin.directory.user') {
              return {
                status: 401,
                body: {
                  error: 'unauthorized_client',
                  error_description:
                    'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
                },
              };
            }
          } catch {
            return {
              status: 400,
              body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
            };
          }
          const token = `ya29.${randomUUID()}`;
          state.tokens.add(token);
          return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
        },
      },
      {
        method: 'GET',
        path: new RegExp(`^${API}/users/([^/]+)$`),
        handle(req, [key = '']) {
          const u = find(key);
          return u ? { status: 200, body: body(u) } : notFound();
        },
      },
      {
        method: 'PUT',
        path: new RegExp(`^${API}/users/([^/]+)$`),
        handle(req, [key = '']) {
          const u = find(key);
          if (!u) return notFound();
          const suspended = (req.json as { suspended?: unknown } | undefined)?.suspended;
          if (typeof suspended !== 'boolean')
            return googleError(400, 'INVALID_ARGUMENT', 'invalid', 'Invalid Input');
          u.suspended = suspended;
          return { status: 200, body: body(u) };
        },
      },
      {
        method: 'POST',
        path: new RegExp(`^${API}/users/([^/]+)/signOut$`),
        handle(req, [key = '']) {
          const u = find(key);
          if (!u) return notFound();
          u.signOuts += 1;
          return { status: 204 };
        },
      },
    ],
  };
}
