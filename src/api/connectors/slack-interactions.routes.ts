import { z } from 'zod';
import type { ConnectorDeps } from '../../app/connectors/connector-runtime.js';
import { decideFromSlack } from '../../app/connectors/slack-interactions.service.js';
import type { ActionExecutor } from '../../connectors/action-executor.js';
import type { ApiContext, ApiInstance } from '../route-plugin.js';

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Slack's interactivity request URL for approval buttons. Public to the authoriser: the Slack app's signing
 * secret is the credential, checked over the raw body, and the clicking Slack user must be mapped to a
 * Riposte user who may decide. Registered in its own scope so only this route keeps bodies raw.
 */
export async function registerSlackInteractionRoutes(
  app: ApiInstance,
  ctx: ApiContext,
  deps: ConnectorDeps,
  actions: ActionExecutor,
): Promise<void> {
  await app.register(async (raw: ApiInstance) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    raw.post(
      '/connectors/:name/slack/interactions',
      {
        config: { access: 'public' },
        schema: {
          tags: ['connectors'],
          summary: 'Slack approval button clicks (X-Slack-Signature over the raw body)',
          params: z.object({ name: z.string().min(1).max(100) }),
          response: {
            200: z.object({
              approvalId: z.string(),
              decision: z.enum(['approved', 'rejected']),
              decidedBy: z.string(),
              status: z.string(),
              approvals: z.number(),
              quorum: z.number(),
              messageUpdated: z.boolean().describe('whether the Slack message now shows the decision'),
            }),
          },
        },
      },
      async (request) =>
        decideFromSlack(ctx, deps, actions, {
          instance: request.params.name,
          rawBody: typeof request.body === 'string' ? request.body : '',
          timestamp: header(request.headers['x-slack-request-timestamp']),
          signature: header(request.headers['x-slack-signature']),
        }),
    );
  });
}
