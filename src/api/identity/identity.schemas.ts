import { z } from 'zod';
import type { ApiTokenInfo } from '../../app/identity/api-tokens.service.js';
import type { User } from '../../app/identity/users.service.js';
import { Roles } from '../../governance/permissions.js';

export const UserView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.enum(Roles)),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  lastLoginAt: z.number().nullable(),
});

export const toUserView = (u: User): z.infer<typeof UserView> => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  email: u.email,
  roles: u.roles,
  disabled: u.disabled,
  mustChangePassword: u.mustChangePassword,
  lastLoginAt: u.lastLoginAt,
});

export const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  roles: z.array(z.enum(Roles)),
  sources: z.array(z.string()).nullable(),
  createdBy: z.string(),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

export const toTokenView = (t: ApiTokenInfo): z.infer<typeof TokenView> => ({ ...t });
