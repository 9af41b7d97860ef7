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
import { adaptiveCardMessage } from './teams-card.js';

/**
 * Microsoft Teams incoming webhook (a Workflows "post to a channel when a webhook request is received" flow,
 * or a legacy Office 365 connector). The webhook URL is the credential; `baseUrl` is its origin so the host
 * allow-list admits it. Webhooks cannot receive button clicks (Action.Submit needs a bot), so approval
 * buttons are Action.OpenUrl links to Riposte's approval page, where the approver signs in.
 */
export const TeamsConfig = connectorConfig({
  /** The webhook's origin, e.g. https://prod-12.westeurope.logic.azure.com. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  webhookUrl: secret(z.url({ protocol: /^https?$/ })),
});
export type TeamsConfig = z.infer<typeof TeamsConfig>;

type Ctx = ActionContext<TeamsConfig>;

async function post(ctx: Ctx, payload: unknown): Promise<{ delivered: true }> {
  if (new URL(ctx.config.webhookUrl).origin !== new URL(ctx.config.baseUrl).origin) {
    throw new ConnectorError(
      ConnectorErrorCode.notConfigured,
      "the Teams webhookUrl must be on the instance's baseUrl origin",
      { retryable: false },
    );
  }
  const res = await ctx.http.request(
    { method: 'POST', path: ctx.config.webhookUrl, json: payload },
    ctx.signal,
  );
  // Legacy connectors answer 200 with "1", or 200 with an error text (e.g. a card over 28 KB).
  if (res.status === 200 && res.text !== '' && res.text.trim() !== '1' && !res.text.trim().startsWith('{')) {
    throw new ConnectorError(
      ConnectorErrorCode.rejected,
      `Teams did not post the card: ${res.text.slice(0, 200)}`,
      { retryable: false },
    );
  }
  return { delivered: true };
}

const Fact = z.object({ title: z.string().min(1), value: z.string() });

export const teamsConnector = defineConnector({
  name: 'teams',
  title: 'Microsoft Teams',
  description:
    'Post Adaptive Cards to a Teams channel, including approval requests with Approve / Reject links.',
  config: TeamsConfig,
  actions: [
    defineAction({
      name: 'teams.post_message',
      description: 'Post an Adaptive Card with a title, text, facts and optional links',
      risk: 'read',
      input: z.object({
        title: z.string().min(1).max(300),
        text: z.string().max(20_000).default(''),
        facts: z.array(Fact).max(20).default([]),
        links: z
          .array(z.object({ title: z.string().min(1), url: z.url() }))
          .max(6)
          .default([]),
      }),
      output: z.object({ delivered: z.literal(true) }),
      example: { delivered: true },
      // A webhook has no idempotency key and no way to look: a retried step may post twice.
      idempotency: 'none',
      run: (ctx: Ctx, input) => post(ctx, adaptiveCardMessage(input)),
    }),
    defineAction({
      name: 'teams.request_approval',
      description: 'Post an approval request whose Approve / Reject buttons open Riposte approval links',
      risk: 'read',
      input: z.object({
        title: z.string().min(1).max(300),
        text: z.string().max(20_000).default(''),
        facts: z.array(Fact).max(20).default([]),
        approvalId: z.string().min(1),
        /** Signed one-click links of one approver (an approval step's `notify` issues them per person). */
        approveUrl: z.url({ protocol: /^https?$/ }),
        rejectUrl: z.url({ protocol: /^https?$/ }),
        /** Whose links these are: shown on the card, since whoever clicks decides as this person. */
        approver: z.string().min(1).max(200).optional(),
      }),
      output: z.object({ delivered: z.literal(true), approvalId: z.string() }),
      example: { delivered: true, approvalId: '0193f1c2-7d4e-7a10-8000-000000000001' },
      idempotency: 'none',
      approvalPrompt: { via: 'links', message: 'title' },
      async run(ctx: Ctx, input) {
        const who = input.approver ? ` (${input.approver})` : '';
        await post(
          ctx,
          adaptiveCardMessage({
            title: input.title,
            text: input.text,
            facts: [
              ...input.facts,
              { title: 'Approval', value: input.approvalId },
              ...(input.approver ? [{ title: 'Links for', value: input.approver }] : []),
            ],
            links: [
              { title: `Approve${who}`, url: input.approveUrl, style: 'positive' },
              { title: `Reject${who}`, url: input.rejectUrl, style: 'destructive' },
            ],
          }),
        );
        return { delivered: true as const, approvalId: input.approvalId };
      },
    }),
  ],
  test(ctx) {
    // Any post to a webhook shows up in the channel: checking the configuration is all that is harmless.
    const config = ctx.config as TeamsConfig;
    const same = new URL(config.webhookUrl).origin === new URL(config.baseUrl).origin;
    return Promise.resolve({
      ok: same,
      message: same
        ? 'webhook configured (not called: every call posts to the channel)'
        : 'webhookUrl is not on the baseUrl origin',
    });
  },
});
