import { z } from 'zod';
import { queryInteger } from '../query-integer.js';

export const InstanceParams = z.object({ name: z.string().min(1).max(63) });
export const IdParams = z.object({ id: z.string().min(1).max(100) });

export const InstanceBody = z.object({
  name: z.string(),
  connector: z.string(),
  isDefault: z.boolean(),
  /** Settings without credentials. */
  config: z.record(z.string(), z.unknown()),
  /** Which credentials are set; their values are never returned. */
  secrets: z.record(z.string(), z.literal('set')),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const CreateInstanceBody = z.object({
  name: z.string().min(1).max(63),
  connector: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  isDefault: z.boolean().optional(),
});

export const UpdateInstanceBody = z.object({
  /** Given keys replace, `null` removes, absent keys stay (a secret need not be sent again). */
  config: z.record(z.string(), z.unknown()).optional(),
  isDefault: z.boolean().optional(),
});

export const ConnectorTypeBody = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  configSchema: z.unknown(),
  secretKeys: z.array(z.string()),
  actions: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      risk: z.enum(['read', 'contain', 'destructive']),
      idempotency: z.string(),
      undo: z.string().nullable(),
      openc2: z.string().nullable(),
      inputSchema: z.unknown(),
      outputSchema: z.unknown(),
      example: z.unknown(),
    }),
  ),
});

export const TestResultBody = z.object({ ok: z.boolean(), message: z.string(), connector: z.string() });

export const ContainmentBody = z.object({
  id: z.string(),
  action: z.string(),
  connector: z.string(),
  instance: z.string(),
  targets: z.array(z.object({ kind: z.string(), value: z.string() })),
  undo: z.object({ action: z.string(), input: z.record(z.string(), z.unknown()) }).nullable(),
  status: z.enum(['active', 'undone', 'undo_failed']),
  runId: z.string(),
  stepId: z.string(),
  playbookId: z.string(),
  caseId: z.string().nullable(),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
  undoneAt: z.number().nullable(),
  undoneBy: z.string().nullable(),
  lastError: z.string().nullable(),
});

export const ContainmentQuery = z.object({
  status: z.enum(['active', 'undone', 'undo_failed']).optional(),
  limit: queryInteger(1, 1000).default(200),
});

export const ProtectedAssetBody = z.object({
  id: z.string(),
  kind: z.enum(['ip', 'host', 'user', 'domain']),
  value: z.string(),
  reason: z.string(),
  createdAt: z.number(),
});

export const BreakerBody = z.object({
  scope: z.string(),
  openedAt: z.number(),
  openUntil: z.number(),
  reason: z.string(),
});
export const BreakerParams = z.object({ scope: z.string().min(1).max(300) });
