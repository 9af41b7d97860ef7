import { RiposteError, invalid, notFound } from '../../domain/shared/errors.js';
import { openInstanceSecrets } from '../../connectors/framework/instance-config.js';
import type { ActionExecutor } from '../../connectors/action-executor.js';
import {
  decidedApprovalBlocks,
  parseSlackApprovalCallback,
  type SlackApprovalDecision,
} from '../../connectors/vendors/slack/slack-approval.js';
import { verifySlackSignature } from '../../connectors/vendors/slack/slack-signature.js';
import type { Principal } from '../../governance/principal.js';
import { findConnectorInstance } from '../../store/connectors/connector-instance.repository.js';
import { findUserRowByUsername, userRowToUser } from '../../store/identity/user.repository.js';
import { findApprovalById } from '../../store/runs/approval.repository.js';
import { findRunById } from '../../store/runs/run.repository.js';
import type { AppContext } from '../context.js';
import { decideApproval, type DecideApprovalResult } from '../playbooks/approval-decisions.js';
import type { ConnectorDeps } from './connector-runtime.js';

export interface SlackInteraction {
  /** The Slack connector instance whose app posted the buttons (its signing secret verifies the click). */
  instance: string;
  /** The body exactly as received: the signature covers these bytes. */
  rawBody: string;
  timestamp: string | undefined;
  signature: string | undefined;
}

export interface SlackDecision extends DecideApprovalResult {
  approvalId: string;
  decision: 'approved' | 'rejected';
  decidedBy: string;
  /** Whether the clicked message now shows the decision (the decision stands either way). */
  messageUpdated: boolean;
}

// Slack wants the callback answered within 3 s; the message update must leave time for the answer.
const UPDATE_TIMEOUT_MS = 2_000;

/**
 * A click on an approval button posted by `slack.request_approval`: Slack calls the app's interactivity URL
 * (POST /api/v1/connectors/{instance}/slack/interactions). The request is authenticated by the instance's
 * signing secret (v0 HMAC, five-minute replay window), the Slack user is mapped to the Riposte user the
 * instance's `approvers` names, and the decision goes through the same approval policy as the UI's. The
 * message then shows who decided what, and loses its buttons once the request is decided.
 */
export async function decideFromSlack(
  ctx: AppContext,
  deps: ConnectorDeps,
  actions: ActionExecutor,
  input: SlackInteraction,
): Promise<SlackDecision> {
  const stored = await findConnectorInstance(ctx.store.db, input.instance);
  if (!stored || stored.connector !== 'slack') throw notFound('Slack connector instance', input.instance);
  const signingSecret = openInstanceSecrets(deps.keyring(), stored).signingSecret;
  if (!signingSecret) {
    throw new RiposteError(
      'RIPOSTE_UNAUTHENTICATED',
      `Slack instance ${input.instance} has no signingSecret: interactive approvals are off`,
    );
  }
  const verified = verifySlackSignature({
    signingSecret,
    timestamp: input.timestamp,
    signature: input.signature,
    rawBody: input.rawBody,
    nowMs: ctx.clock.now(),
  });
  if (!verified.ok)
    throw new RiposteError('RIPOSTE_UNAUTHENTICATED', `Slack callback refused: ${verified.reason}`);

  const parsed = parseSlackApprovalCallback(input.rawBody);
  if (!parsed.ok)
    throw invalid(`Slack callback not understood: ${parsed.reason}`, [
      { path: 'payload', message: parsed.reason },
    ]);
  const { decision } = parsed;
  const approvers = (stored.config.approvers ?? {}) as Record<string, string>;
  const username = approvers[decision.slackUserId];
  const user = username ? await findUserRowByUsername(ctx.store.db, username) : undefined;
  if (!username || !user || user.disabled === 1) {
    throw new RiposteError(
      'RIPOSTE_FORBIDDEN',
      `Slack user ${decision.slackUserId} is not linked to an active Riposte user in the approvers of instance ${input.instance}`,
    );
  }
  const person = userRowToUser(user);
  const approver: Principal = { kind: 'user', id: person.id, name: person.username, roles: person.roles };
  const verdict: 'approved' | 'rejected' = decision.decision === 'approve' ? 'approved' : 'rejected';
  const result = await decideApproval(ctx, {
    approvalId: decision.approvalId,
    approver,
    decision: verdict,
    comment: `via Slack by ${decision.slackUserName ?? decision.slackUserId}`,
  });
  const decided = {
    ...result,
    approvalId: decision.approvalId,
    decision: verdict,
    decidedBy: person.username,
  };
  const messageUpdated = await showDecisionInSlack(ctx, actions, input.instance, decision, decided);
  return { ...decided, messageUpdated };
}

/**
 * Replaces the clicked message with what was decided and by whom (chat.update through the instance that
 * posted it, so its token, host allow-list and rate limit apply). The decision is already committed: a
 * failed update is logged, and the buttons left behind answer a second click with a 409.
 */
async function showDecisionInSlack(
  ctx: AppContext,
  actions: ActionExecutor,
  instance: string,
  decision: SlackApprovalDecision,
  decided: Omit<SlackDecision, 'messageUpdated'>,
): Promise<boolean> {
  if (!decision.channelId || !decision.messageTs) return false;
  try {
    const approval = await findApprovalById(ctx.store.db, decided.approvalId);
    const run = approval && (await findRunById(ctx.store.db, approval.run_id));
    const { text, blocks } = decidedApprovalBlocks({
      original: decision.messageBlocks,
      originalText: decision.messageText,
      decision: decided.decision,
      slackUserId: decision.slackUserId,
      decidedBy: decided.decidedBy,
      status: decided.status,
      approvals: decided.approvals,
      quorum: decided.quorum,
    });
    await actions.execute(
      {
        action: 'slack.update_message',
        instance,
        input: { channel: decision.channelId, ts: decision.messageTs, text, blocks },
        idempotencyKey: `slack-decision:${decided.approvalId}:${decision.slackUserId}`,
        dryRun: false,
        context: {
          runId: approval?.run_id ?? '',
          stepId: approval?.step_id ?? '',
          playbookId: run?.playbook_id ?? '',
          caseId: run?.case_id ?? undefined,
        },
      },
      AbortSignal.timeout(UPDATE_TIMEOUT_MS),
    );
    return true;
  } catch (err) {
    ctx.log.warn(
      { err, instance, approvalId: decided.approvalId },
      'the approval is decided, but its Slack message could not be updated',
    );
    return false;
  }
}
