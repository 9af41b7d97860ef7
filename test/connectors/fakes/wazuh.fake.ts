import { randomUUID } from 'node:crypto';
import type { FakeReply, FakeVendor } from './fake-server.js';

/** Wazuh server API v4: JWT authentication and PUT /active-response. */
export interface WazuhState {
  username: string;
  password: string;
  tokens: Set<string>;
  /** Agent id → active (connected) or not. */
  agents: Record<string, 'active' | 'disconnected'>;
  /** Agent id → inventory entry (GET /agents); agents absent here are listed with their id only. */
  inventory?: Record<string, { name: string; ip: string; platform: string }>;
  /** Agent id → files in its file-integrity (syscheck) database. */
  files?: Record<string, Array<{ file: string; md5: string; sha1: string; sha256: string; mtime: string }>>;
  /** Commands that reached agents, in order. */
  sent: Array<{ agent: string; command: string; arguments: string[]; alert: unknown }>;
}

export const wazuhError = (status: number, title: string, detail: string): FakeReply => ({
  status,
  body: { title, detail, remediation: 'See the Wazuh API reference', error: status === 401 ? 6000 : 1000 },
});

/** A Wazuh list answer: `{ data: { affected_items, total_affected_items, … }, message, error: 0 }`. */
const listAnswer = (items: unknown[], message: string): FakeReply => ({
  status: 200,
  body: {
    data: {
      affected_items: items,
      total_affected_items: items.length,
      total_failed_items: 0,
      failed_items: [],
    },
    message,
    error: 0,
  },
});

export function wazuhFake(state: WazuhState): FakeVendor {
  return {
    authorize(req) {
      if (req.path === '/security/user/authenticate') {
        const expected = `Basic ${Buffer.from(`${state.username}:${state.password}`).toString('base64')}`;
        return req.headers.authorization === expected
          ? undefined
          : wazuhError(401, 'Unauthorized', 'Invalid credentials');
      }
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      return m && state.tokens.has(m[1] as string)
        ? undefined
        : wazuhError(401, 'Unauthorized', 'Invalid token');
    },
    notFound: (req) =>
      wazuhError(404, 'Not Found', `The requested URL ${req.path} was not found on the server.`),
    routes: [
      {
        method: 'POST',
        path: '/security/user/authenticate',
        handle() {
          const token = `eyJhbGciOiJFUzUxMiJ9.${randomUUID()}`;
          state.tokens.add(token);
          return { status: 200, body: { data: { token }, error: 0 } };
        },
      },
      {
        method: 'GET',
        path: '/',
        handle: () => ({
          status: 200,
          body: {
            data: { title: 'Wazuh API REST', api_version: '4.9.2', hostname: 'wazuh-manager' },
            error: 0,
          },
        }),
      },
      {
        method: 'GET',
        path: '/agents',
        handle(req) {
          const q = req.query;
          const items = Object.entries(state.agents)
            .map(([id, status]) => {
              const inv = state.inventory?.[id];
              return {
                id,
                status,
                name: inv?.name,
                ip: inv?.ip,
                os: inv ? { platform: inv.platform } : undefined,
              };
            })
            .filter((a) => !q.get('status') || a.status === q.get('status'))
            .filter((a) => !q.get('ip') || a.ip === q.get('ip'))
            .filter((a) => !q.get('name') || a.name === q.get('name'))
            .slice(0, Number(q.get('limit') ?? 500));
          return listAnswer(items, 'All selected agents information was returned');
        },
      },
      {
        method: 'GET',
        path: /^\/syscheck\/(\d{3,})$/,
        handle(req, [agent]) {
          if (!state.agents[agent ?? '']) return wazuhError(400, 'Bad Request', 'Agent does not exist');
          const hash = req.query.get('hash')?.toLowerCase();
          const items = (state.files?.[agent ?? ''] ?? []).filter(
            (f) => !hash || f.md5 === hash || f.sha1 === hash || f.sha256 === hash,
          );
          return listAnswer(items, 'FIM findings of the agent were returned');
        },
      },
      {
        method: 'PUT',
        path: '/active-response',
        handle(req) {
          const body = req.json as { command?: unknown; arguments?: unknown; alert?: unknown } | undefined;
          if (typeof body?.command !== 'string' || body.command === '') {
            return wazuhError(400, 'Bad Request', "'command' is a required property");
          }
          const list = req.query.get('agents_list');
          if (!list)
            return wazuhError(
              400,
              'Bad Request',
              'agents_list is required by this fake (the real API would target all agents)',
            );
          const affected: string[] = [];
          const failed: Array<{
            error: { code: number; message: string; remediation: string };
            id: string[];
          }> = [];
          for (const agent of list.split(',')) {
            const status = state.agents[agent];
            if (status === 'active') {
              affected.push(agent);
              state.sent.push({
                agent,
                command: body.command,
                arguments: (body.arguments as string[] | undefined) ?? [],
                alert: body.alert,
              });
            } else {
              const message = status ? 'Agent is not active' : 'Agent does not exist';
              failed.push({ error: { code: status ? 1707 : 1701, message, remediation: '' }, id: [agent] });
            }
          }
          return {
            status: 200,
            body: {
              data: {
                affected_items: affected,
                total_affected_items: affected.length,
                total_failed_items: failed.length,
                failed_items: failed,
              },
              message: affected.length
                ? 'AR command was sent to all agents'
                : 'AR command was not sent to any agent',
              error: failed.length ? (affected.length ? 2 : 1) : 0,
            },
          };
        },
      },
    ],
  };
}
