import { z } from 'zod';
import { defineAction } from '../../framework/define-connector.js';
import { assetRef, type AssetRef } from '../../safety/asset-ref.js';
import { odataString } from '../entra/microsoft-identity.js';
import { defender, ODataList, type DefenderContext } from './defender-api.js';

const Hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${n}}$`));
const Domain = z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a domain name');

/** Indicator types of the Defender Indicator API, with the value each takes. */
const INDICATOR_VALUES = {
  IpAddress: z.union([z.ipv4(), z.ipv6()]),
  DomainName: Domain,
  Url: z.url(),
  FileSha256: Hex(64),
  FileSha1: Hex(40),
  FileMd5: Hex(32),
} as const;

// A flat object (not a union) keeps the input's JSON Schema a plain form for the UI; the value is checked here.
const AddInput = z
  .object({
    indicatorType: z.enum(['IpAddress', 'DomainName', 'Url', 'FileSha256', 'FileSha1', 'FileMd5']),
    indicatorValue: z.string().min(1).max(2048),
    /** Block for network indicators; BlockAndRemediate also quarantines files already present. */
    action: z.enum(['Block', 'BlockAndRemediate', 'AlertAndBlock', 'Alert', 'Audit', 'Warn']).optional(),
    title: z.string().min(1).max(256).default('Blocked by Riposte'),
    description: z.string().min(1).max(1000).default('Indicator submitted by a Riposte playbook'),
    severity: z.enum(['Informational', 'Low', 'Medium', 'High']).default('High'),
    expirationTime: z.iso.datetime().optional(),
    generateAlert: z.boolean().default(true),
  })
  .superRefine((i, ctx) => {
    if (!INDICATOR_VALUES[i.indicatorType].safeParse(i.indicatorValue).success) {
      ctx.addIssue({
        code: 'custom',
        path: ['indicatorValue'],
        message: `not a valid ${i.indicatorType} value`,
      });
    }
  });
type AddInput = z.infer<typeof AddInput>;

const Indicator = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  indicatorValue: z.string(),
  indicatorType: z.string(),
  action: z.string(),
});
const IndicatorOutput = z.object({
  id: z.string(),
  indicatorValue: z.string(),
  indicatorType: z.string(),
  action: z.string(),
});

function indicatorTargets(input: AddInput): AssetRef[] {
  if (input.indicatorType === 'IpAddress') return [assetRef('ip', input.indicatorValue)];
  if (input.indicatorType === 'DomainName') return [assetRef('domain', input.indicatorValue)];
  if (input.indicatorType === 'Url') return [assetRef('domain', new URL(input.indicatorValue).hostname)];
  return [];
}

const isFile = (type: string) => type.startsWith('File');

export const addIndicator = defineAction({
  name: 'defender.add_indicator',
  description: 'Submit a block indicator (IP, domain, URL or file hash) to Defender for Endpoint',
  risk: 'contain',
  input: AddInput,
  output: IndicatorOutput,
  example: { id: '995', indicatorValue: '203.0.113.7', indicatorType: 'IpAddress', action: 'Block' },
  idempotency: 'query-first',
  undo: { action: 'defender.remove_indicator', input: (_input, output) => ({ id: output.id }) },
  targets: indicatorTargets,
  openc2: {
    action: 'deny',
    target: 'ipv4_net',
    input: (t) => ({
      indicatorType: 'IpAddress' as const,
      indicatorValue: String(t.ipv4_net).replace(/\/32$/, ''),
      title: 'OpenC2 deny ipv4_net',
      description: 'Indicator submitted by a Riposte OpenC2 intent',
      severity: 'High' as const,
      generateAlert: true,
    }),
  },
  async run(ctx: DefenderContext, input) {
    const action = input.action ?? (isFile(input.indicatorType) ? 'BlockAndRemediate' : 'Block');
    const { body: existing } = await defender(
      ctx,
      {
        path: '/api/indicators',
        query: { $filter: `indicatorValue eq ${odataString(input.indicatorValue)}` },
      },
      ODataList(Indicator),
    );
    const same = existing.value.find((i) => i.indicatorType === input.indicatorType && i.action === action);
    if (same) {
      ctx.markAlreadyApplied();
      return {
        id: same.id,
        indicatorValue: same.indicatorValue,
        indicatorType: same.indicatorType,
        action: same.action,
      };
    }
    // "Submit or update": Defender keys indicators by value and type, so a retry updates rather than duplicates.
    const { body } = await defender(
      ctx,
      {
        method: 'POST',
        path: '/api/indicators',
        idempotent: true,
        json: {
          indicatorValue: input.indicatorValue,
          indicatorType: input.indicatorType,
          action,
          title: input.title,
          description: input.description,
          severity: input.severity,
          expirationTime: input.expirationTime,
          generateAlert: input.generateAlert,
        },
      },
      Indicator,
    );
    return {
      id: body.id,
      indicatorValue: body.indicatorValue,
      indicatorType: body.indicatorType,
      action: body.action,
    };
  },
});

export const removeIndicator = defineAction({
  name: 'defender.remove_indicator',
  description: 'Delete a Defender indicator by id',
  risk: 'contain',
  reverses: true,
  input: z.object({ id: z.string().regex(/^\d+$/, 'a Defender indicator id is numeric') }),
  output: z.object({ id: z.string(), removed: z.boolean() }),
  example: { id: '995', removed: true },
  idempotency: 'natural',
  async run(ctx: DefenderContext, { id }) {
    const { status } = await defender(
      ctx,
      { method: 'DELETE', path: `/api/indicators/${id}`, okStatuses: [404] },
      z.unknown(),
    );
    if (status === 404) ctx.markAlreadyApplied();
    return { id, removed: status !== 404 };
  },
});
