import { startFakeServer, type FakeServer } from './fake-server.js';

export interface TeamsFake extends FakeServer {
  webhookPath: string;
  cards: unknown[];
}

/**
 * A Teams Workflows webhook: POST to the signed URL with a message holding an Adaptive Card attachment;
 * 202 Accepted on success, 400 with an error for a malformed card, 401 for a wrong signature.
 */
export async function startTeamsFake(): Promise<TeamsFake> {
  const webhookPath = '/workflows/7a1b2c3d4e5f/triggers/manual/paths/invoke';
  const signature = 'sig-0123456789abcdefWEBHOOK';
  const cards: unknown[] = [];
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST' || req.path !== webhookPath)
      return {
        status: 404,
        body: { error: { code: 'TriggerNotFound', message: 'The workflow trigger was not found.' } },
      };
    if (req.query.get('sig') !== signature)
      return {
        status: 401,
        body: {
          error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated.' },
        },
      };
    const message = req.json as
      | {
          type?: unknown;
          attachments?: Array<{
            contentType?: unknown;
            content?: { type?: unknown; version?: unknown; body?: unknown };
          }>;
        }
      | undefined;
    const card = message?.attachments?.[0];
    if (
      message?.type !== 'message' ||
      card?.contentType !== 'application/vnd.microsoft.card.adaptive' ||
      card.content?.type !== 'AdaptiveCard' ||
      !Array.isArray(card.content.body)
    ) {
      return {
        status: 400,
        body: {
          error: {
            code: 'InvalidRequestContent',
            message: 'The request content is not a message with an Adaptive Card attachment.',
          },
        },
      };
    }
    cards.push(card.content);
    return { status: 202 };
  });
  return {
    ...server,
    webhookPath: `${webhookPath}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${signature}`,
    cards,
  };
}
