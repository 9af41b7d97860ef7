import { z } from 'zod';
import { connectorConfig, type ActionContext } from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { MicrosoftAppCredentials, microsoftSend } from './microsoft-identity.js';

/** Microsoft Graph v1.0 (https://learn.microsoft.com/graph/api/overview) with an app-only token. */
export const EntraConfig = connectorConfig({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://graph.microsoft.com'),
  ...MicrosoftAppCredentials,
  /** Token audience (national clouds: https://graph.microsoft.us…). */
  resource: z.url().default('https://graph.microsoft.com'),
});
export type EntraConfig = z.infer<typeof EntraConfig>;
export type EntraContext = ActionContext<EntraConfig>;

export const graph = <T extends z.ZodType>(ctx: EntraContext, req: HttpRequest, schema: T) =>
  microsoftSend(ctx, ctx.config.resource, { ...req, path: `/v1.0${req.path}` }, schema);

/** A user by object id or user principal name; UPNs may hold characters that need escaping in a path. */
export const UserKey = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^/\\?#\s]+$/, 'a user id or user principal name');

export const userPath = (user: string): string => `/users/${encodeURIComponent(user)}`;
