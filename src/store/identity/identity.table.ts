import type { Selectable } from 'kysely';

/** A person who signs in: locally with a password, or through OpenID Connect (`oidc_subject`). */
export interface UserTable {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  /** Argon2id PHC string; null for users who only sign in through the identity provider. */
  password_hash: string | null;
  /** JSON array of role names. */
  roles: string;
  disabled: number;
  failed_logins: number;
  locked_until: number | null;
  /** 1 for a generated one-time password that must be changed. */
  must_change_password: number;
  /** `<issuer>|<sub>` for OpenID Connect users. */
  oidc_subject: string | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

/** A signed-in browser session. Only the SHA-256 of the cookie value is stored. */
export interface SessionTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** An API token. Only the SHA-256 of the token is stored; the token itself is shown once. */
export interface ApiTokenTable {
  id: string;
  name: string;
  token_hash: string;
  /** JSON array of role names. */
  roles: string;
  /** JSON array of source names, or null for any source. */
  sources: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** An OpenID Connect sign-in in flight: the PKCE verifier and nonce wait here until the callback. */
export interface OidcLoginTable {
  state: string;
  code_verifier: string;
  nonce: string;
  created_at: number;
  expires_at: number;
}

export type UserRow = Selectable<UserTable>;
export type SessionRow = Selectable<SessionTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;

export interface IdentityTables {
  users: UserTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  oidc_logins: OidcLoginTable;
}
