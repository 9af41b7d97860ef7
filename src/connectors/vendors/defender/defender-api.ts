import { z } from 'zod';
import { connectorConfig, type ActionContext } from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { MicrosoftAppCredentials, microsoftSend } from '../entra/microsoft-identity.js';

/**
 * Microsoft Defender for Endpoint API (https://learn.microsoft.com/defender-endpoint/api/apis-intro):
 * app-only token for `https://api.securitycenter.microsoft.com`, JSON with OData `value` lists.
 */
export const DefenderConfig = connectorConfig({
  /** Or a geo endpoint (us.api.security.microsoft.com, eu.…) for lower latency. */
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.securitycenter.microsoft.com'),
  ...MicrosoftAppCredentials,
  /** Token audience; the same for the geo endpoints. */
  resource: z.url().default('https://api.securitycenter.microsoft.com'),
});
export type DefenderConfig = z.infer<typeof DefenderConfig>;
export type DefenderContext = ActionContext<DefenderConfig>;

export const defender = <T extends z.ZodType>(ctx: DefenderContext, req: HttpRequest, schema: T) =>
  microsoftSend(ctx, ctx.config.resource, req, schema);

/** An OData collection answer. */
export const ODataList = <T extends z.ZodType>(item: T) => z.looseObject({ value: z.array(item) });

export const MachineAction = z.looseObject({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  machineId: z.string().nullable().optional(),
  computerDnsName: z.string().nullable().optional(),
  creationDateTimeUtc: z.string().optional(),
  scope: z.string().nullable().optional(),
});
export type MachineAction = z.infer<typeof MachineAction>;

/** Statuses of a machine action that still stands (it is done or on its way). */
export const STANDING_STATUSES = new Set(['Pending', 'InProgress', 'Succeeded']);
