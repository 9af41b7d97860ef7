import { z } from 'zod';
import type { RiskClass } from '../action-executor.js';

/**
 * The containment vocabulary, after the OASIS OpenC2 Language Specification v1.0: an action on a target.
 * A playbook asks for `openc2.<action>.<target>` with the target's properties as input; a configured
 * actuator (an instance with `openc2Actuator: true` whose connector maps the pair) carries it out.
 */
export const OPENC2_TARGETS = {
  ipv4_net: z.object({ ipv4_net: z.string().min(7).describe('Address or CIDR, e.g. 203.0.113.7/32') }),
  ipv6_net: z.object({ ipv6_net: z.string().min(2) }),
  domain_name: z.object({ domain_name: z.string().min(1) }),
  url: z.object({ url: z.url() }),
  device: z
    .object({ hostname: z.string().min(1).optional(), device_id: z.string().min(1).optional() })
    .refine((d) => d.hostname ?? d.device_id, 'give hostname or device_id'),
  user_account: z
    .object({ account_name: z.string().min(1).optional(), user_id: z.string().min(1).optional() })
    .refine((u) => u.account_name ?? u.user_id, 'give account_name or user_id'),
  file: z.object({
    hashes: z.object({
      md5: z.string().optional(),
      sha1: z.string().optional(),
      sha256: z.string().optional(),
    }),
    path: z.string().optional(),
    device_id: z.string().optional(),
  }),
} as const;
export type OpenC2Target = keyof typeof OPENC2_TARGETS;

export interface OpenC2Intent {
  action: string;
  target: OpenC2Target;
  risk: RiskClass;
  /** The intent that reverses this one. */
  undo?: string;
}

export const OPENC2_INTENTS: readonly OpenC2Intent[] = [
  { action: 'deny', target: 'ipv4_net', risk: 'contain', undo: 'openc2.allow.ipv4_net' },
  { action: 'allow', target: 'ipv4_net', risk: 'contain' },
  { action: 'deny', target: 'ipv6_net', risk: 'contain', undo: 'openc2.allow.ipv6_net' },
  { action: 'allow', target: 'ipv6_net', risk: 'contain' },
  { action: 'deny', target: 'domain_name', risk: 'contain', undo: 'openc2.allow.domain_name' },
  { action: 'allow', target: 'domain_name', risk: 'contain' },
  { action: 'deny', target: 'url', risk: 'contain', undo: 'openc2.allow.url' },
  { action: 'allow', target: 'url', risk: 'contain' },
  { action: 'contain', target: 'device', risk: 'contain', undo: 'openc2.allow.device' },
  { action: 'allow', target: 'device', risk: 'contain' },
  { action: 'disable', target: 'user_account', risk: 'contain', undo: 'openc2.enable.user_account' },
  { action: 'enable', target: 'user_account', risk: 'contain' },
  { action: 'delete', target: 'file', risk: 'destructive' },
  { action: 'query', target: 'file', risk: 'read' },
];

/** Parses `openc2.deny.ipv4_net` into its intent, or undefined when it is not one we speak. */
export function parseOpenC2Action(name: string): OpenC2Intent | undefined {
  const [prefix, action, target] = name.split('.');
  if (prefix !== 'openc2') return undefined;
  return OPENC2_INTENTS.find((i) => i.action === action && i.target === target);
}

export const openC2Name = (intent: Pick<OpenC2Intent, 'action' | 'target'>): string =>
  `openc2.${intent.action}.${intent.target}`;
