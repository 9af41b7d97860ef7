import { z } from 'zod';
import { defineAction } from '../../framework/define-connector.js';
import { assetRef, type AssetRef } from '../../safety/asset-ref.js';
import { Envelope, falcon, fql, type CrowdStrikeContext } from './crowdstrike-api.js';

/** Custom IOC types and their value shapes (IOC Management API). */
const IOC_VALUES = {
  ipv4: z.ipv4(),
  ipv6: z.ipv6(),
  domain: z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  md5: z.string().regex(/^[0-9a-fA-F]{32}$/),
} as const;
const IocFields = {
  type: z.enum(['ipv4', 'ipv6', 'domain', 'sha256', 'md5']),
  value: z.string().min(1).max(2048),
};
// A flat object (not a union) keeps the input's JSON Schema a plain form for the UI; the value is checked here.
const checkValue = (i: { type: keyof typeof IOC_VALUES; value: string }, ctx: z.RefinementCtx) => {
  if (!IOC_VALUES[i.type].safeParse(i.value).success) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `not a valid ${i.type} value` });
  }
};
const IocValue = z.object(IocFields).superRefine(checkValue);

const IocAction = z.enum(['prevent', 'detect']);
const AddIocInput = z
  .object({
    ...IocFields,
    /** `prevent` blocks hashes; Falcon accepts only `detect` for network indicators, so that is their default. */
    action: IocAction.optional(),
    severity: z.enum(['informational', 'low', 'medium', 'high', 'critical']).default('high'),
    description: z.string().max(4096).default('Added by Riposte'),
    /** ISO 8601 time after which Falcon drops the indicator. */
    expiration: z.iso.datetime().optional(),
  })
  .superRefine(checkValue);
type AddIocInput = z.infer<typeof AddIocInput>;

const Ioc = z.looseObject({ id: z.string(), type: z.string(), value: z.string(), action: z.string() });
const IocOutput = z.object({ id: z.string(), type: z.string(), value: z.string(), action: z.string() });

const isNetwork = (type: string) => type === 'ipv4' || type === 'ipv6' || type === 'domain';

function iocTargets(input: AddIocInput): AssetRef[] {
  if (input.type === 'domain') return [assetRef('domain', input.value)];
  if (input.type === 'ipv4' || input.type === 'ipv6') return [assetRef('ip', input.value)];
  return [];
}

export const addIoc = defineAction({
  name: 'crowdstrike.add_ioc',
  description: 'Add a custom IOC (hash, IP or domain) applied to all hosts: prevent (block) or detect',
  risk: 'contain',
  input: AddIocInput,
  output: IocOutput,
  example: {
    id: '4f8c43311k1801ca4359fc07t319610482c2003mcde8934d5412b1781e841e9r',
    type: 'sha256',
    value: '8a86c4eecf12446ff273afc03e1b3a09a911d0b7981db1af58cb45c439161295',
    action: 'prevent',
  },
  idempotency: 'query-first',
  undo: { action: 'crowdstrike.remove_ioc', input: (_input, output) => ({ id: output.id }) },
  targets: iocTargets,
  openc2: {
    action: 'deny',
    target: 'ipv4_net',
    input: (target): AddIocInput => ({
      type: 'ipv4',
      value: String(target.ipv4_net).replace(/\/32$/, ''),
      severity: 'high',
      description: 'OpenC2 deny ipv4_net',
    }),
  },
  async run(ctx: CrowdStrikeContext, input) {
    const action = input.action ?? (isNetwork(input.type) ? 'detect' : 'prevent');
    const { body: existing } = await falcon(
      ctx,
      {
        path: '/iocs/combined/indicator/v1',
        query: { filter: `type:${fql(input.type)}+value:${fql(input.value)}`, limit: 1 },
      },
      Envelope(Ioc),
    );
    const found = existing.resources?.[0];
    if (found && found.action === action) {
      ctx.markAlreadyApplied();
      return { id: found.id, type: found.type, value: found.value, action: found.action };
    }
    const indicator = {
      type: input.type,
      value: input.value,
      action,
      severity: input.severity,
      description: input.description,
      platforms: ['windows', 'mac', 'linux'],
      applied_globally: true,
      source: 'Riposte',
      expiration: input.expiration,
    };
    // An IOC of that value with another action is updated in place rather than duplicated.
    const { body } = found
      ? await falcon(
          ctx,
          {
            method: 'PATCH',
            path: '/iocs/entities/indicators/v1',
            json: { indicators: [{ id: found.id, ...indicator }] },
          },
          Envelope(Ioc),
        )
      : await falcon(
          ctx,
          { method: 'POST', path: '/iocs/entities/indicators/v1', json: { indicators: [indicator] } },
          Envelope(Ioc),
        );
    const saved = body.resources?.[0];
    if (!saved)
      throw new Error(
        `CrowdStrike saved no indicator: ${body.errors?.[0]?.message ?? 'no resource returned'}`,
      );
    return { id: saved.id, type: saved.type, value: saved.value, action: saved.action };
  },
});

export const removeIoc = defineAction({
  name: 'crowdstrike.remove_ioc',
  description: 'Delete a custom IOC by id',
  risk: 'contain',
  reverses: true,
  input: z.object({ id: z.string().min(1) }),
  output: z.object({ id: z.string(), removed: z.boolean() }),
  example: { id: '4f8c43311k1801ca4359fc07t319610482c2003mcde8934d5412b1781e841e9r', removed: true },
  idempotency: 'natural',
  async run(ctx: CrowdStrikeContext, { id }) {
    // 404: already gone, which is what was asked.
    const { status } = await falcon(
      ctx,
      { method: 'DELETE', path: '/iocs/entities/indicators/v1', query: { ids: id }, okStatuses: [404] },
      Envelope(z.unknown()),
    );
    if (status === 404) ctx.markAlreadyApplied();
    return { id, removed: status !== 404 };
  },
});

export const huntIndicator = defineAction({
  name: 'crowdstrike.hunt_indicator',
  description: 'Hosts on which Falcon observed an indicator (hash, IP or domain)',
  risk: 'read',
  input: IocValue,
  output: z.object({
    type: z.string(),
    value: z.string(),
    deviceIds: z.array(z.string()),
    total: z.number(),
  }),
  example: {
    type: 'sha256',
    value: '8a86c4eecf12446ff273afc03e1b3a09a911d0b7981db1af58cb45c439161295',
    deviceIds: ['0d5a6c6f1d2e4b5c8a9b0c1d2e3f4a5b'],
    total: 1,
  },
  idempotency: 'natural',
  async run(ctx: CrowdStrikeContext, input) {
    // Falcon answers 404 when no host has seen the indicator.
    const { status, body } = await falcon(
      ctx,
      {
        path: '/indicators/queries/devices/v1',
        query: { type: input.type, value: input.value, limit: 100 },
        okStatuses: [404],
      },
      Envelope(z.string()),
    );
    const deviceIds = status === 404 ? [] : (body.resources ?? []);
    const total = z.object({ pagination: z.object({ total: z.number() }) }).safeParse(body.meta);
    return {
      type: input.type,
      value: input.value,
      deviceIds,
      total: total.success ? total.data.pagination.total : deviceIds.length,
    };
  },
});

const Alert = z.looseObject({
  composite_id: z.string(),
  severity: z.number().optional(),
  status: z.string().optional(),
  description: z.string().optional(),
  created_timestamp: z.string().optional(),
  device: z.looseObject({ device_id: z.string().optional(), hostname: z.string().optional() }).optional(),
});

export const searchAlerts = defineAction({
  name: 'crowdstrike.search_alerts',
  description: "Alerts matching an FQL filter (e.g. `sha256:'…'` or `device.hostname:'…'`), newest first",
  risk: 'read',
  input: z.object({
    filter: z.string().min(1).max(2000),
    limit: z.number().int().min(1).max(100).default(20),
  }),
  output: z.object({
    alerts: z.array(
      z.object({
        id: z.string(),
        severity: z.number().nullable(),
        status: z.string().nullable(),
        description: z.string().nullable(),
        createdAt: z.string().nullable(),
        deviceId: z.string().nullable(),
        hostname: z.string().nullable(),
      }),
    ),
  }),
  example: {
    alerts: [
      {
        id: 'ad2b8e1c:ind:0d5a6c6f1d2e4b5c8a9b0c1d2e3f4a5b:1234567-5702-123',
        severity: 70,
        status: 'new',
        description: 'A process triggered a high severity custom rule.',
        createdAt: '2026-11-25T09:12:44.123Z',
        deviceId: '0d5a6c6f1d2e4b5c8a9b0c1d2e3f4a5b',
        hostname: 'WS-FIN-042',
      },
    ],
  },
  idempotency: 'natural',
  async run(ctx: CrowdStrikeContext, input) {
    const { body: ids } = await falcon(
      ctx,
      {
        path: '/alerts/queries/alerts/v2',
        query: { filter: input.filter, limit: input.limit, sort: 'created_timestamp.desc' },
      },
      Envelope(z.string()),
    );
    const compositeIds = ids.resources ?? [];
    if (compositeIds.length === 0) return { alerts: [] };
    // Reads through POST: a retry repeats a read, never an effect.
    const { body } = await falcon(
      ctx,
      {
        method: 'POST',
        path: '/alerts/entities/alerts/v2',
        json: { composite_ids: compositeIds },
        idempotent: true,
      },
      Envelope(Alert),
    );
    return {
      alerts: (body.resources ?? []).map((a) => ({
        id: a.composite_id,
        severity: a.severity ?? null,
        status: a.status ?? null,
        description: a.description ?? null,
        createdAt: a.created_timestamp ?? null,
        deviceId: a.device?.device_id ?? null,
        hostname: a.device?.hostname ?? null,
      })),
    };
  },
});
