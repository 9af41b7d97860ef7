import { startFakeServer, type FakeReply, type FakeServer } from './fake-server.js';

export interface SlackFake extends FakeServer {
  messages: Array<{ channel: string; ts: string; text: string; blocks: unknown; threadTs?: string }>;
  rateLimitNext(times: number, retryAfterSeconds: number): void;
}

/** Slack answers almost every failure with HTTP 200 and `{ ok: false, error }`. */
const fail = (error: string): FakeReply => ({ status: 200, body: { ok: false, error } });

const CHANNELS: Record<string, string> = { '#soc': 'C0SOC000001', C0SOC000001: 'C0SOC000001' };

/** The Web API methods Riposte calls, checking bearer token, JSON content type and arguments. */
export async function startSlackFake(botToken: string): Promise<SlackFake> {
  const messages: SlackFake['messages'] = [];
  let limited = 0;
  let retryAfter = 1;
  let seq = 100;
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST') return { status: 405, body: fail('method_not_supported').body };
    if (limited > 0) {
      limited--;
      return {
        status: 429,
        headers: { 'retry-after': String(retryAfter) },
        body: { ok: false, error: 'ratelimited' },
      };
    }
    const auth = req.headers.authorization;
    if (!auth) return fail('not_authed');
    if (auth !== `Bearer ${botToken}`) return fail('invalid_auth');
    if (!String(req.headers['content-type']).startsWith('application/json')) return fail('invalid_form_data');
    const args = (req.json ?? {}) as Record<string, unknown>;
    switch (req.path) {
      case '/auth.test':
        return {
          status: 200,
          body: {
            ok: true,
            url: 'https://acme.slack.com/',
            team: 'Acme',
            user: 'riposte',
            team_id: 'T0ACME',
            user_id: 'U0BOT',
          },
        };
      case '/chat.postMessage': {
        const channel = CHANNELS[String(args.channel)];
        if (!channel) return fail('channel_not_found');
        if (typeof args.text !== 'string' && !Array.isArray(args.blocks)) return fail('no_text');
        const ts = `1764000000.000${seq++}`;
        messages.push({
          channel,
          ts,
          text: String(args.text),
          blocks: args.blocks,
          threadTs: args.thread_ts as string | undefined,
        });
        return {
          status: 200,
          body: { ok: true, channel, ts, message: { type: 'message', text: args.text, ts, bot_id: 'B0BOT' } },
        };
      }
      case '/chat.update': {
        // chat.update takes the channel's id, never its name, and the message's ts.
        if (typeof args.channel !== 'string' || !/^[CDG][A-Z0-9]+$/.test(args.channel))
          return fail('channel_not_found');
        if (typeof args.ts !== 'string') return fail('message_not_found');
        if (typeof args.text !== 'string' && !Array.isArray(args.blocks)) return fail('no_text');
        const message = messages.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!message) return fail('message_not_found');
        message.text = String(args.text);
        message.blocks = args.blocks;
        return {
          status: 200,
          body: { ok: true, channel: message.channel, ts: message.ts, text: message.text },
        };
      }
      default:
        return { status: 404, body: fail('unknown_method').body };
    }
  });
  return {
    ...server,
    messages,
    rateLimitNext(times, seconds) {
      limited = times;
      retryAfter = seconds;
    },
  };
}
