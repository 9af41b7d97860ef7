import { z } from 'zod';
import type { Logger } from 'pino';
import { approvalPromptKeys, type ApprovalPrompt, type RiskClass } from '../action-executor.js';
import type { HttpClient } from '../http/http-client.js';
import type { AssetRef } from '../safety/asset-ref.js';
import type { IndicatorPort } from './indicator-port.js';
import type { InstanceTokenCache } from './instance-tokens.js';

/** How an action avoids doing its side effect twice when a step is retried after a crash. */
export const Idempotency = {
  /** The vendor honours an idempotency key we send (the step's key). */
  vendorKey: 'vendor-key',
  /** The action checks the target's state first and does nothing when the effect is already there. */
  queryFirst: 'query-first',
  /** Repeating it is harmless by nature (a lookup, setting a value to the same value). */
  natural: 'natural',
  /** Repeating it repeats the effect (a chat message): the engine must not retry blindly. */
  none: 'none',
} as const;
export type Idempotency = (typeof Idempotency)[keyof typeof Idempotency];

/** What an action's `run` receives: the one HTTP client, cancellation, a child logger, and its instance. */
export interface ActionContext<C = Record<string, unknown>> {
  http: HttpClient;
  signal: AbortSignal;
  log: Logger;
  /** Decrypted credentials by config key; never log them (the client already scrubs them from errors). */
  secrets: Readonly<Record<string, string>>;
  /** The instance's validated configuration (secrets included, as typed by the connector's schema). */
  config: C;
  instance: string;
  /** Stable across retries of one step attempt: send it where the vendor honours one. */
  idempotencyKey: string;
  /** The local indicator store (STIX/TAXII feeds, local lists). */
  indicators: IndicatorPort;
  now(): number;
  /**
   * Waits between polls of a vendor job (a search, an export, a scan); rejects when the step is cancelled.
   * Use it rather than a timer so tests and the step timeout govern the wait.
   */
  sleep(ms: number): Promise<void>;
  /** The instance's short-lived tokens (OAuth, session JWTs): shared by its actions, dropped on edit. */
  tokens: InstanceTokenCache;
  /** Query-first actions call this when the target already had the effect and nothing was sent. */
  markAlreadyApplied(): void;
}

export interface VerdictCachePolicy<I, O> {
  /** Cache key within the action, e.g. the IP looked up. */
  key(input: I): string;
  /** How long this answer stays good: a malicious verdict can live longer than an unknown one. */
  ttlMs(output: O): number;
}

export interface ActionDefinition<I = unknown, O = unknown, C = Record<string, unknown>> {
  /** `vendor.verb_noun`, e.g. `virustotal.lookup_ip`. */
  name: string;
  description: string;
  risk: RiskClass;
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  /** The output a dry run returns; validated against `output` when the connector is defined. */
  example: O;
  idempotency: Idempotency;
  /** The action that reverses this one, and its input built from this one's input and output. */
  undo?: { action: string; input(input: I, output: O): Record<string, unknown> };
  /** This action lifts a containment (unblock, release): no protected-asset or limit check, not recorded. */
  reverses?: boolean;
  /** What a contain/destructive action acts on, checked against protected assets before it runs. */
  targets?(input: I): AssetRef[];
  /** The OpenC2 intent this action can carry out, with the mapping from the intent's target. */
  openc2?: { action: string; target: string; input(target: Record<string, unknown>): I };
  cache?: VerdictCachePolicy<I, O>;
  /** The action can announce a parked approval: what the runtime fills in (see ApprovalPrompt). */
  approvalPrompt?: ApprovalPrompt;
  run(ctx: ActionContext<C>, input: I): Promise<O>;
}

/**
 * Declares an action; the type parameters are inferred from the schemas and `run`'s context annotation.
 * @example
 * defineAction({ name: 'acme.lookup_ip', risk: 'read', input: z.object({ ip: z.ipv4() }), output: Verdict,
 *   example: { verdict: 'clean' }, idempotency: 'natural', description: 'Reputation of an IP',
 *   run: async (ctx: ActionContext<AcmeConfig>, { ip }) => toVerdict(await ctx.http.json({ path: `/ip/${ip}` })) })
 */
export function defineAction<I, O, C = Record<string, unknown>>(
  definition: ActionDefinition<I, O, C>,
): ActionDefinition<unknown, unknown, unknown> {
  return definition as unknown as ActionDefinition<unknown, unknown, unknown>;
}

export interface ConnectorTestResult {
  ok: boolean;
  message: string;
}

export interface ConnectorDefinition {
  /** Lower-case vendor name: the prefix of its actions and the folder it lives in. */
  name: string;
  title: string;
  description: string;
  config: z.ZodObject;
  /** Config keys holding credentials (marked with `secret()`): encrypted at rest, never returned. */
  secretKeys: readonly string[];
  actions: ReadonlyArray<ActionDefinition<unknown, unknown, unknown>>;
  /**
   * Statuses this vendor documents as transient besides 408, 429 and 5xx (e.g. a 409 "resource locked"):
   * the HTTP client retries them like a 503.
   */
  retryableStatuses?: readonly number[];
  /** Works without a configured instance (its config schema accepts `{}`): local stores, pure functions. */
  instanceless?: boolean;
  /** Checks the instance against its endpoint with a harmless call (`riposte connector test`). */
  test(ctx: ActionContext<unknown>): Promise<ConnectorTestResult>;
}

const SECRET_MARK = 'x-riposte-secret';

/** Marks a config field as a credential: write-only in JSON Schema, encrypted at rest, redacted everywhere. */
export const secret = <T extends z.ZodType>(schema: T): T =>
  schema.meta({ [SECRET_MARK]: true, writeOnly: true }) as T;

function isSecret(schema: z.ZodType): boolean {
  let current: z.ZodType = schema;
  // Optional and default wrap the marked schema; look through them.
  for (let i = 0; i < 4; i++) {
    if (z.globalRegistry.get(current)?.[SECRET_MARK] === true) return true;
    const def = current.def as { innerType?: z.ZodType };
    if (!def.innerType) return false;
    current = def.innerType;
  }
  return false;
}

/** Settings every connector instance has, whatever the vendor. */
export const BaseConnectorConfig = z.object({
  /** Where the vendor API lives; absent only for connectors that make no HTTP calls (local lists). */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Hosts besides the base URL's that this instance may call (pagination links, a second API host). */
  allowedHosts: z.array(z.string().min(1)).default([]),
  timeoutMs: z.number().int().min(100).max(300_000).default(15_000),
  maxRetries: z.number().int().min(0).max(10).default(3),
  maxResponseBytes: z
    .number()
    .int()
    .min(1_024)
    .default(5 * 1024 * 1024),
  proxyUrl: z.url().optional(),
  /** Extra CA certificates (PEM) to trust; verification itself cannot be turned off. */
  caCertPem: z.string().optional(),
  /** Requests per second shared by every worker for this instance; no limit when absent. */
  rateLimit: z.object({ perSecond: z.number().positive(), burst: z.number().int().min(1) }).optional(),
  /** This instance carries out OpenC2 intents its connector supports. */
  openc2Actuator: z.boolean().default(false),
});
export type BaseConnectorConfig = z.infer<typeof BaseConnectorConfig>;

/** A connector's config schema: the base settings plus the vendor's own. */
export const connectorConfig = <S extends z.ZodRawShape>(shape: S) => BaseConnectorConfig.extend(shape);

/**
 * Declares a connector. Checks at definition time what would otherwise fail in a run: action names carry
 * the connector's prefix, examples match their output schema, undo actions exist.
 */
export function defineConnector(definition: Omit<ConnectorDefinition, 'secretKeys'>): ConnectorDefinition {
  const names = new Set(definition.actions.map((a) => a.name));
  for (const action of definition.actions) {
    if (!action.name.startsWith(`${definition.name}.`)) {
      throw new Error(`action ${action.name} must be named ${definition.name}.<verb_noun>`);
    }
    const example = action.output.safeParse(action.example);
    if (!example.success) {
      throw new Error(`example output of ${action.name} does not match its schema: ${example.error.message}`);
    }
    if (action.undo && !names.has(action.undo.action)) {
      throw new Error(`undo action ${action.undo.action} of ${action.name} is not declared`);
    }
    if (action.approvalPrompt) {
      const declared = action.input instanceof z.ZodObject ? Object.keys(action.input.shape) : [];
      const missing = [...approvalPromptKeys(action.approvalPrompt), action.approvalPrompt.message].filter(
        (k) => !declared.includes(k),
      );
      if (missing.length > 0)
        throw new Error(`${action.name} carries approvals but its input lacks ${missing.join(', ')}`);
    }
    if (action.risk !== 'read' && !action.reverses && !action.targets) {
      throw new Error(`${action.name} is ${action.risk}: it must declare its targets for the safety check`);
    }
  }
  const secretKeys = Object.entries(definition.config.shape)
    .filter(([, schema]) => isSecret(schema as z.ZodType))
    .map(([key]) => key);
  return { ...definition, secretKeys };
}
