import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { approvalBlocks } from './slack-approval.js';

/**
 * Slack Web API (https://api.slack.com/web): bot token as `Authorization: Bearer xoxb-…`, JSON bodies. Slack
 * answers most failures with HTTP 200 and `{ ok: false, error }`, so the body decides, not the status.
 */
export const SlackConfig = connectorConfig({
  baseUrl: z.url().default('https://slack.com/api'),
  botToken: secret(z.string().regex(/^xox[bp]-/, 'a Slack bot token (xoxb-…)')),
  /** Verifies interactivity callbacks (approval buttons); used by the API layer, not by actions. */
  signingSecret: secret(z.string().min(16)).optional(),
  defaultChannel: z.string().min(1).optional(),
  /**
   * Who may click the approval buttons: Slack user id (U…) → Riposte username. The click is decided as that
   * Riposte user, with their roles, so the approval policy (roles, quorum, separation of duties) still holds.
   */
  approvers: z
    .record(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id (U…)'), z.string().min(1))
    .default({}),
});
export type SlackConfig = z.infer<typeof SlackConfig>;

const SlackAnswer = z.looseObject({ ok: z.boolean(), error: z.string().optional() });
const PostAnswer = z.object({ ok: z.literal(true), channel: z.string(), ts: z.string() });

/** Slack error codes meaning the token itself is bad: retrying cannot help. */
const AUTH_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
]);

async function callSlack(
  ctx: ActionContext<SlackConfig>,
  method: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  const json = await ctx.http.json(
    {
      method: 'POST',
      path: `/${method}`,
      headers: {
        authorization: `Bearer ${ctx.config.botToken}`,
        'content-type': 'application/json; charset=utf-8',
      },
      json: body,
    },
    ctx.signal,
  );
  const answer = SlackAnswer.parse(json);
  if (!answer.ok) {
    const error = answer.error ?? 'unknown_error';
    const auth = AUTH_ERRORS.has(error);
    throw new ConnectorError(
      auth ? ConnectorErrorCode.authFailed : ConnectorErrorCode.rejected,
      auth
        ? `Slack refused the bot token (${error}); check the instance's token and its scopes`
        : `Slack ${method} failed: ${error}`,
      { retryable: false },
    );
  }
  return json;
}

const channelOf = (ctx: ActionContext<SlackConfig>, channel: string | undefined): string => {
  const chosen = channel ?? ctx.config.defaultChannel;
  if (!chosen) {
    throw new ConnectorError(
      ConnectorErrorCode.invalidInput,
      'give a channel (or set defaultChannel on the instance)',
      { retryable: false },
    );
  }
  return chosen;
};

const MessageOutput = z.object({ channel: z.string(), ts: z.string() });

export const slackConnector = defineConnector({
  name: 'slack',
  title: 'Slack',
  description:
    'Post messages and approval requests with Approve / Reject buttons that call back into Riposte.',
  config: SlackConfig,
  actions: [
    defineAction({
      name: 'slack.post_message',
      description: 'Post a message (text and optional Block Kit blocks) to a channel or thread',
      risk: 'read',
      input: z.object({
        channel: z.string().min(1).optional(),
        text: z.string().min(1).max(40_000),
        blocks: z.array(z.record(z.string(), z.unknown())).max(50).optional(),
        threadTs: z.string().optional(),
      }),
      output: MessageOutput,
      example: { channel: 'C0123456789', ts: '1764000000.000100' },
      // Slack has no idempotency key for messages: a retried step may post twice, so the engine must not
      // retry it blindly.
      idempotency: 'none',
      async run(ctx: ActionContext<SlackConfig>, input) {
        const answer = PostAnswer.parse(
          await callSlack(ctx, 'chat.postMessage', {
            channel: channelOf(ctx, input.channel),
            text: input.text,
            blocks: input.blocks,
            thread_ts: input.threadTs,
          }),
        );
        return { channel: answer.channel, ts: answer.ts };
      },
    }),
    defineAction({
      name: 'slack.request_approval',
      description:
        'Ask for a decision with Approve / Reject buttons; the click is posted to the interactivity URL',
      risk: 'read',
      input: z.object({
        channel: z.string().min(1).optional(),
        text: z.string().min(1).max(3_000),
        approvalId: z.string().min(1).max(2_000),
        details: z.string().max(3_000).optional(),
        approveLabel: z.string().min(1).max(75).default('Approve'),
        rejectLabel: z.string().min(1).max(75).default('Reject'),
      }),
      output: MessageOutput.extend({ approvalId: z.string() }),
      example: {
        channel: 'C0123456789',
        ts: '1764000000.000200',
        approvalId: '0193f1c2-7d4e-7a10-8000-000000000001',
      },
      idempotency: 'none',
      approvalPrompt: { via: 'callback', message: 'text' },
      async run(ctx: ActionContext<SlackConfig>, input) {
        const answer = PostAnswer.parse(
          await callSlack(ctx, 'chat.postMessage', {
            channel: channelOf(ctx, input.channel),
            // The text is the notification and screen-reader fallback for the blocks.
            text: input.text,
            blocks: approvalBlocks(input),
          }),
        );
        return { channel: answer.channel, ts: answer.ts, approvalId: input.approvalId };
      },
    }),
    defineAction({
      name: 'slack.update_message',
      description: 'Replace a message (e.g. the approval buttons by the decision taken)',
      risk: 'read',
      input: z.object({
        channel: z.string().min(1),
        ts: z.string().min(1),
        text: z.string().min(1),
        blocks: z.array(z.record(z.string(), z.unknown())).max(50).optional(),
      }),
      output: MessageOutput,
      example: { channel: 'C0123456789', ts: '1764000000.000200' },
      // Setting a message to the same content twice leaves it as it was.
      idempotency: 'natural',
      async run(ctx: ActionContext<SlackConfig>, input) {
        const answer = PostAnswer.parse(
          await callSlack(ctx, 'chat.update', {
            channel: input.channel,
            ts: input.ts,
            text: input.text,
            blocks: input.blocks ?? [],
          }),
        );
        return { channel: answer.channel, ts: answer.ts };
      },
    }),
  ],
  async test(ctx) {
    const who = z
      .looseObject({ team: z.string().optional(), user: z.string().optional() })
      .parse(await callSlack(ctx as ActionContext<SlackConfig>, 'auth.test', {}));
    return { ok: true, message: `Slack accepted the bot token (${who.user ?? '?'} in ${who.team ?? '?'})` };
  },
});
