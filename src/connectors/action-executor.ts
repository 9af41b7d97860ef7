/**
 * The port between the playbook runtime and the connectors: the worker hands an action request to an
 * executor and records what comes back. The connector framework implements it; dry runs and playbook tests
 * use a simulating implementation of the same interface.
 */

import type { ApprovalPrompt } from '../domain/playbooks/approval-prompt.js';

export { approvalPromptKeys, type ApprovalPrompt } from '../domain/playbooks/approval-prompt.js';

/** Risk classes drive approvals and safety checks. */
export const RiskClass = { read: 'read', contain: 'contain', destructive: 'destructive' } as const;
export type RiskClass = (typeof RiskClass)[keyof typeof RiskClass];

export interface ActionRequest {
  /** `vendor.action` (e.g. `virustotal.lookup_ip`) or an OpenC2 intent (`openc2.deny.ipv4_net`). */
  action: string;
  /** A configured connector instance name; the connector's default instance when omitted. */
  instance?: string;
  input: Record<string, unknown>;
  /** Stable across retries of the same step attempt: the same key means the same side effect. */
  idempotencyKey: string;
  /** Simulate: return the declared example output or a fixture, never call the vendor. */
  dryRun: boolean;
  context: { runId: string; stepId: string; playbookId: string; caseId?: string; alertId?: string };
  /** For containment: when (ms since epoch) it is rolled back by the `containment.expire` timer. */
  expiresAt?: number;
}

export interface ActionResult {
  output: unknown;
  /** Set for containment actions: how to undo what was done, recorded for rollback and expiry. */
  undo?: { action: string; input: Record<string, unknown> };
  /** True when the target already had the effect (query-first idempotency) and nothing was sent. */
  alreadyApplied?: boolean;
  /** Set when the action was a containment and was recorded (see `riposte containment list`). */
  containmentId?: string;
  /** True when the answer came from the verdict cache and no vendor was called. */
  cached?: boolean;
}

/** Why an action failed, and whether trying again may help. */
export class ConnectorError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(
    code: string,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; status?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'ConnectorError';
    this.code = code;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** What the playbook validator and the approval policy need to know about an action before running it. */
export interface ActionDescriptor {
  name: string;
  risk: RiskClass;
  undo?: string;
  /** JSON Schemas of input and output, for validation and the UI. */
  inputSchema: unknown;
  outputSchema: unknown;
  exampleOutput: unknown;
  /** Set when the action can announce a parked approval (see ApprovalPrompt). */
  approvalPrompt?: ApprovalPrompt;
}

export interface ActionExecutor {
  /** The action's declaration, or undefined when no such action exists. */
  describe(action: string): ActionDescriptor | undefined;
  execute(request: ActionRequest, signal: AbortSignal): Promise<ActionResult>;
}
