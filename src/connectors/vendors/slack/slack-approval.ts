import { z } from 'zod';

/** Action ids of the approval buttons; the callback maps them back to a decision. */
export const SLACK_APPROVE_ACTION = 'riposte_approve';
export const SLACK_REJECT_ACTION = 'riposte_reject';
export const SLACK_APPROVAL_BLOCK = 'riposte_approval';

/** A Block Kit message asking for a decision: the text, context, and Approve / Reject buttons. */
export function approvalBlocks(input: {
  text: string;
  approvalId: string;
  approveLabel: string;
  rejectLabel: string;
  details?: string;
}): unknown[] {
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: input.text } }];
  if (input.details) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: input.details }] });
  blocks.push({
    type: 'actions',
    block_id: SLACK_APPROVAL_BLOCK,
    elements: [
      {
        type: 'button',
        action_id: SLACK_APPROVE_ACTION,
        style: 'primary',
        text: { type: 'plain_text', text: input.approveLabel },
        value: input.approvalId,
      },
      {
        type: 'button',
        action_id: SLACK_REJECT_ACTION,
        style: 'danger',
        text: { type: 'plain_text', text: input.rejectLabel },
        value: input.approvalId,
        confirm: {
          title: { type: 'plain_text', text: 'Reject?' },
          text: { type: 'plain_text', text: 'The playbook step will not run.' },
          confirm: { type: 'plain_text', text: input.rejectLabel },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  });
  return blocks;
}

const BlockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string(), username: z.string().optional(), name: z.string().optional() }),
  team: z.object({ id: z.string() }).nullable().optional(),
  channel: z.object({ id: z.string() }).optional(),
  message: z
    .object({
      ts: z.string(),
      text: z.string().optional(),
      blocks: z.array(z.looseObject({ type: z.string(), block_id: z.string().optional() })).optional(),
    })
    .optional(),
  response_url: z.string().optional(),
  actions: z
    .array(z.object({ action_id: z.string(), block_id: z.string().optional(), value: z.string().optional() }))
    .min(1),
});

export interface SlackApprovalDecision {
  approvalId: string;
  decision: 'approve' | 'reject';
  slackUserId: string;
  slackUserName: string | undefined;
  teamId: string | undefined;
  channelId: string | undefined;
  messageTs: string | undefined;
  /** The clicked message as Slack sent it, so its update keeps what it said. */
  messageText: string | undefined;
  messageBlocks: Array<Record<string, unknown>> | undefined;
  /** Where to post the updated message (valid 30 minutes, 5 uses). */
  responseUrl: string | undefined;
}

export type SlackCallbackResult =
  { ok: true; decision: SlackApprovalDecision } | { ok: false; reason: string };

/**
 * Reads an interactivity callback (`application/x-www-form-urlencoded`, field `payload` holding JSON) into an
 * approval decision. Verify the signature with `verifySlackSignature` on the raw body first.
 */
export function parseSlackApprovalCallback(rawBody: string): SlackCallbackResult {
  const payloadText = new URLSearchParams(rawBody).get('payload');
  if (!payloadText) return { ok: false, reason: 'no payload field in the callback body' };
  let json: unknown;
  try {
    json = JSON.parse(payloadText);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const parsed = BlockActionsPayload.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: `not a block_actions payload: ${parsed.error.issues[0]?.message ?? ''}` };
  const p = parsed.data;
  const action = p.actions.find(
    (a) => a.action_id === SLACK_APPROVE_ACTION || a.action_id === SLACK_REJECT_ACTION,
  );
  if (!action?.value) return { ok: false, reason: 'no Riposte approval button in the callback' };
  return {
    ok: true,
    decision: {
      approvalId: action.value,
      decision: action.action_id === SLACK_APPROVE_ACTION ? 'approve' : 'reject',
      slackUserId: p.user.id,
      slackUserName: p.user.username ?? p.user.name,
      teamId: p.team?.id,
      channelId: p.channel?.id,
      messageTs: p.message?.ts,
      messageText: p.message?.text,
      messageBlocks: p.message?.blocks,
      responseUrl: p.response_url,
    },
  };
}

/**
 * The approval message once someone decided: what it said, with a line saying who decided what. A final
 * decision removes the buttons (nobody can click a decided request); an approval still short of its quorum
 * keeps them for the other approvers.
 */
export function decidedApprovalBlocks(input: {
  original: ReadonlyArray<Record<string, unknown>> | undefined;
  originalText: string | undefined;
  decision: 'approved' | 'rejected';
  slackUserId: string;
  decidedBy: string;
  status: string;
  approvals: number;
  quorum: number;
}): { text: string; blocks: unknown[] } {
  const final = input.status !== 'pending';
  const kept = (input.original ?? []).filter((b) => final === false || b.block_id !== SLACK_APPROVAL_BLOCK);
  const verb = input.decision === 'approved' ? 'Approved' : 'Rejected';
  const mark = input.decision === 'approved' ? ':white_check_mark:' : ':no_entry:';
  const progress = final
    ? `the request is ${input.status}`
    : `${input.approvals} of ${input.quorum} approvals, waiting for more`;
  const line = `${mark} ${verb} by <@${input.slackUserId}> (Riposte user ${input.decidedBy}): ${progress}`;
  const note = { type: 'context', elements: [{ type: 'mrkdwn', text: line }] };
  // Without the original blocks (an old client) the text alone still says what was asked.
  const head =
    kept.length > 0 || !input.originalText
      ? kept
      : [{ type: 'section', text: { type: 'mrkdwn', text: input.originalText } }];
  // The note goes above the buttons that stay, so it reads before the next click.
  const buttons = head.findIndex((b) => b.block_id === SLACK_APPROVAL_BLOCK);
  const blocks = buttons < 0 ? [...head, note] : [...head.slice(0, buttons), note, ...head.slice(buttons)];
  const text = `${input.originalText ? `${input.originalText} ` : ''}(${verb.toLowerCase()} by ${input.decidedBy})`;
  return { text, blocks };
}
